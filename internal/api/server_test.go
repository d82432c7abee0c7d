package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/usersig"
)

// TestCommonParameters walks overview.md §1.2 and the check order of §1.7:
// each row breaks one thing (or two, to show which check wins).
func TestCommonParameters(t *testing.T) {
	ts := newTestServer(t)
	now := ts.clock.Now()
	sigFor := func(key string, app uint64, id string, expire int64, at time.Time) string {
		return usersig.Generate(key, app, id, expire, at)
	}
	const check = pathCheck
	const body = `{"CheckItem":[{"UserID":"alice"}]}`
	tests := []struct {
		name string
		path string
		body string
		opts []callOpt
		want int
	}{
		{"valid call", check, body, nil, 0},
		{"GET", check, body, []callOpt{withMethod(http.MethodGet)}, 60002},
		{"PUT", check, body, []callOpt{withMethod(http.MethodPut)}, 60002},
		{"GET wins over missing sdkappid", check, body, []callOpt{withMethod(http.MethodGet), withoutQuery("sdkappid")}, 60002},
		{"bad percent-escape in query", check, body, []callOpt{withRawQuery("sdkappid=%zz&identifier=administrator")}, 60002},
		{"sdkappid missing", check, body, []callOpt{withoutQuery("sdkappid")}, 60012},
		{"sdkappid empty", check, body, []callOpt{withQuery("sdkappid", "")}, 60012},
		{"sdkappid missing wins over unknown path", "/v4/foo/bar", body, []callOpt{withoutQuery("sdkappid")}, 60012},
		{"sdkappid not a number", check, body, []callOpt{withQuery("sdkappid", "14000x")}, 60006},
		{"sdkappid negative", check, body, []callOpt{withQuery("sdkappid", "-1400012345")}, 60006},
		{"sdkappid unknown", check, body, []callOpt{withQuery("sdkappid", "1400099999")}, 60006},
		{"unknown app wins over unknown path", "/v4/foo/bar", body, []callOpt{withQuery("sdkappid", "1")}, 60006},
		{"unknown service", "/v4/foo/bar", body, nil, 60009},
		{"unknown command", "/v4/im_open_login_svc/nope", body, nil, 60009},
		{"no version", "/im_open_login_svc/account_check", body, nil, 60009},
		{"trailing slash", check + "/", body, nil, 60009},
		{"command case differs", "/v4/im_open_login_svc/Account_Check", body, nil, 60009},
		{"unclean path", "/v4//im_open_login_svc/account_check", body, nil, 60009},
		{"root", "/", body, nil, 60009},
		{"unknown path wins over missing identifier", "/v4/foo/bar", body, []callOpt{withoutQuery("identifier")}, 60009},
		{"identifier missing", check, body, []callOpt{withoutQuery("identifier")}, 60025},
		{"identifier empty", check, body, []callOpt{withQuery("identifier", "")}, 60025},
		{"usersig missing", check, body, []callOpt{withoutQuery("usersig")}, 60025},
		{"usersig empty", check, body, []callOpt{withQuery("usersig", "")}, 60025},
		{"contenttype xml", check, body, []callOpt{withQuery("contenttype", "xml")}, 60025},
		{"contenttype empty", check, body, []callOpt{withQuery("contenttype", "")}, 60025},
		{"contenttype is case-sensitive", check, body, []callOpt{withQuery("contenttype", "JSON")}, 60025},
		{"contenttype absent", check, body, []callOpt{withoutQuery("contenttype")}, 0},
		{"contenttype wins over garbage usersig", check, body, []callOpt{withQuery("contenttype", "xml"), withQuery("usersig", "garbage")}, 60025},
		{"usersig garbage", check, body, []callOpt{withQuery("usersig", "garbage!!")}, 70003},
		{"usersig truncated", check, body, []callOpt{withQuery("usersig", ts.sig[:len(ts.sig)/2])}, 70003},
		{"usersig expired", check, body, []callOpt{withQuery("usersig", sigFor(testKey, testAppID, testAdmin, 86400, now.Add(-48*time.Hour)))}, 70001},
		{"usersig of another key", check, body, []callOpt{withQuery("usersig", sigFor("another-key", testAppID, testAdmin, sigLifetime, now))}, 70009},
		{"usersig of another identifier", check, body, []callOpt{withQuery("usersig", sigFor(testKey, testAppID, "bob", sigLifetime, now))}, 70013},
		{"usersig of another sdkappid", check, body, []callOpt{withQuery("usersig", sigFor(testKey, 1400099999, testAdmin, sigLifetime, now))}, 70014},
		{"garbage usersig wins over non-admin", check, body, []callOpt{withQuery("identifier", "bob"), withQuery("usersig", "garbage")}, 70003},
		{"valid sig of a non-admin", check, body, []callOpt{asUser("bob")}, 60010},
		{"non-admin wins over bad body", check, "not json", []callOpt{asUser("bob")}, 60010},
		{"random absent", check, body, []callOpt{withoutQuery("random")}, 0},
		{"random out of range", check, body, []callOpt{withQuery("random", "99999999999")}, 0},
		{"random not a number", check, body, []callOpt{withQuery("random", "abc")}, 0},
		{"parameter order is free", check, body, []callOpt{withRawQuery("contenttype=json&usersig=" + ts.sig + "&random=7&identifier=administrator&sdkappid=" + strconv.Itoa(testAppID))}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.must(t, tt.path, tt.body, tt.want, tt.opts...)
		})
	}
}

// TestBody covers overview.md §1.3 and §1.9: what the adapter makes of the
// body before any handler sees it.
func TestBody(t *testing.T) {
	const maxBody = 1024
	ts := newTestServer(t, withMaxBody(maxBody))
	// exactly returns a valid account_check body padded to n bytes.
	exactly := func(n int) string {
		b := `{"CheckItem":[{"UserID":"alice"}],"Pad":""}`
		return b[:len(b)-2] + strings.Repeat("x", n-len(b)) + `"}`
	}
	tests := []struct {
		name string
		path string
		body string
		opts []callOpt
		want int
	}{
		{"empty body", pathCheck, "", nil, 60003},
		{"only whitespace", pathCheck, " \n\t", nil, 60003},
		{"not JSON", pathCheck, "CheckItem=alice", nil, 60003},
		{"truncated JSON", pathCheck, `{"CheckItem":[`, nil, 60003},
		{"JSON array", pathCheck, `[{"CheckItem":[{"UserID":"alice"}]}]`, nil, 60003},
		{"JSON string", pathCheck, `"x"`, nil, 60003},
		{"JSON null", pathCheck, `null`, nil, 60003},
		{"two objects", pathCheck, `{} {}`, nil, 60003},
		{"empty object reaches the handler", pathAppGroups, `{}`, nil, 0},
		{"body at the limit", pathCheck, exactly(maxBody), nil, 0},
		{"body over the limit", pathCheck, exactly(maxBody + 1), nil, 60002},
		{"body far over the limit", pathCheck, exactly(64 * maxBody), nil, 60002},
		{"UserID a number", pathImport, `{"UserID":123}`, nil, 60015},
		{"UserID a bool", pathImport, `{"UserID":true}`, nil, 60015},
		{"nested UserID a number", pathCheck, `{"CheckItem":[{"UserID":5}]}`, nil, 60015},
		{"DeleteItem UserID a number", pathDelete, `{"DeleteItem":[{"UserID":5}]}`, nil, 60015},
		{"Accounts of numbers", pathMultiImport, `{"Accounts":[1,2]}`, nil, 60015},
		{"Owner_Account a number", pathCreateGroup, `{"Owner_Account":7,"Type":"Public","Name":"x"}`, nil, 60015},
		{"Member_Account a number", pathJoined, `{"Member_Account":7}`, nil, 60015},
		{"Members_Account of numbers", pathBan, `{"GroupId":"g","Members_Account":[1],"Duration":60}`, nil, 60015},
		{"Limit a string", pathAppGroups, `{"Limit":"x"}`, nil, 10004},
		{"Limit a fraction", pathAppGroups, `{"Limit":1.5}`, nil, 10004},
		{"GroupIdList a string", pathGroupInfo, `{"GroupIdList":"x"}`, nil, 10004},
		{"GroupIdList of numbers", pathGroupInfo, `{"GroupIdList":[1]}`, nil, 10004},
		{"CheckItem an object", pathCheck, `{"CheckItem":{"UserID":"alice"}}`, nil, 70402},
		{"unknown fields ignored", pathImport, `{"UserID":"alice","Unknown":{"x":[1,2]},"Pad":null}`, nil, 0},
		{"Content-Type header not relied on", pathImport, `{"UserID":"alice"}`, []callOpt{withHeader("Content-Type", "text/plain")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.clock.Advance(time.Second) // get_appid_group_list allows 1 call/s
			ts.must(t, tt.path, tt.body, tt.want, tt.opts...)
		})
	}
}

// TestFieldNamesCaseSensitive: overview.md §1.3 makes body field names
// case-sensitive, so "userid" is an unknown field, not UserID.
func TestFieldNamesCaseSensitive(t *testing.T) {
	ts := newTestServer(t)
	ts.must(t, pathImport, `{"userid":"bob"}`, 70402)
	ts.must(t, pathImport, `{"UserID":"alice","userid":"bob"}`, 0)
	env := ts.must(t, pathCheck, `{"CheckItem":[{"UserID":"alice"},{"UserID":"bob"}]}`, 0)
	items := list(t, env["ResultItem"])
	if items[0]["AccountStatus"] != "Imported" || items[1]["AccountStatus"] != "NotImported" {
		t.Errorf("after importing {UserID:alice, userid:bob}: %v", items)
	}
}

// TestEnvelope checks the shape every reply shares (overview.md §1.5).
func TestEnvelope(t *testing.T) {
	ts := newTestServer(t)
	seen := map[string]bool{}
	for i, want := range []int{0, 60003, 60009, 0} {
		path := pathCheck
		body := `{"CheckItem":[{"UserID":"alice"}]}`
		switch want {
		case 60003:
			body = ""
		case 60009:
			path = "/v4/foo/bar"
		}
		env := ts.must(t, path, body, want)
		id := env["RequestId"].(string)
		if seen[id] {
			t.Errorf("call %d: RequestId %s repeated", i, id)
		}
		seen[id] = true
		if want != 0 {
			sameKeys(t, "failure envelope", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId")
		} else {
			sameKeys(t, "account_check reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "ResultItem")
		}
	}

	// An API without response fields answers the bare envelope, with no
	// ErrorDisplay (overview.md §1.5: only some families carry it).
	env := ts.must(t, pathImport, `{"UserID":"alice"}`, 0)
	sameKeys(t, "account_import reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId")

	req, _ := http.NewRequest(http.MethodPost, ts.http.URL+pathCheck+"?sdkappid="+strconv.Itoa(testAppID), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
}

// TestRateLimit covers overview.md §3: token buckets per (app, API) over
// the injected clock.
func TestRateLimit(t *testing.T) {
	const check = `{"CheckItem":[{"UserID":"alice"}]}`
	const otherApp = 1400054321
	otherSig := usersig.Generate("other-key", otherApp, testAdmin, sigLifetime, testEpoch)
	asOtherApp := []callOpt{withQuery("sdkappid", strconv.Itoa(otherApp)), withQuery("usersig", otherSig)}
	secondApp := func(c *config.Config) {
		c.Apps = append(c.Apps, config.App{SDKAppID: otherApp, SecretKey: "other-key", Admins: []string{testAdmin}})
	}

	t.Run("RateLimit N", func(t *testing.T) {
		ts := newTestServer(t, withRateLimit(5), secondApp)
		for range 5 {
			ts.must(t, pathCheck, check, 0)
		}
		ts.must(t, pathCheck, check, 60007)
		ts.must(t, pathCheck, "not json", 60007)        // the limit is checked before the body
		ts.must(t, pathImport, `{"UserID":"alice"}`, 0) // another API has its own bucket
		ts.must(t, pathCheck, check, 0, asOtherApp...)  // another app too
		ts.clock.Advance(time.Second)
		for range 5 {
			ts.must(t, pathCheck, check, 0)
		}
		ts.must(t, pathCheck, check, 60007)
	})

	t.Run("refused auth takes no token", func(t *testing.T) {
		ts := newTestServer(t, withRateLimit(2))
		for range 5 {
			ts.must(t, pathCheck, check, 70003, withQuery("usersig", "garbage"))
			ts.must(t, pathCheck, check, 60010, asUser("bob"))
		}
		ts.must(t, pathCheck, check, 0)
		ts.must(t, pathCheck, check, 0)
		ts.must(t, pathCheck, check, 60007)
	})

	t.Run("partial refill", func(t *testing.T) {
		ts := newTestServer(t, withRateLimit(4))
		for range 4 {
			ts.must(t, pathCheck, check, 0)
		}
		ts.must(t, pathCheck, check, 60007)
		ts.clock.Advance(500 * time.Millisecond) // half a second refills half the bucket
		ts.must(t, pathCheck, check, 0)
		ts.must(t, pathCheck, check, 0)
		ts.must(t, pathCheck, check, 60007)
	})

	t.Run("get_appid_group_list spec default", func(t *testing.T) {
		ts := newTestServer(t)
		ts.must(t, pathAppGroups, `{}`, 0)
		ts.must(t, pathAppGroups, `{}`, 10006)
		ts.clock.Advance(999 * time.Millisecond)
		ts.must(t, pathAppGroups, `{}`, 10006)
		ts.clock.Advance(time.Millisecond)
		ts.must(t, pathAppGroups, `{}`, 0)
		ts.must(t, pathAppGroups, `{}`, 10006)
	})

	t.Run("RateLimit 0 turns limiting off", func(t *testing.T) {
		ts := newTestServer(t, withRateLimit(0))
		for range 50 {
			ts.must(t, pathAppGroups, `{}`, 0)
			ts.must(t, pathCheck, check, 0)
		}
	})

	t.Run("per-app override", func(t *testing.T) {
		ts := newTestServer(t, withApp(func(a *config.App) {
			a.RateLimits = map[string]int{
				"v4/im_open_login_svc/account_check":          2,
				"v4/group_open_http_svc/get_appid_group_list": 3,
			}
		}), secondApp)
		ts.must(t, pathCheck, check, 0)
		ts.must(t, pathCheck, check, 0)
		ts.must(t, pathCheck, check, 60007)
		for range 3 {
			ts.must(t, pathAppGroups, `{}`, 0)
		}
		ts.must(t, pathAppGroups, `{}`, 10006)
		// The other app keeps the documented rates: 100/s and 1/s.
		for range 100 {
			ts.must(t, pathCheck, check, 0, asOtherApp...)
		}
		ts.must(t, pathCheck, check, 60007, asOtherApp...)
		ts.must(t, pathAppGroups, `{}`, 0, asOtherApp...)
		ts.must(t, pathAppGroups, `{}`, 10006, asOtherApp...)
	})

	t.Run("per-app override wins over RateLimit", func(t *testing.T) {
		ts := newTestServer(t, withRateLimit(0), withApp(func(a *config.App) {
			a.RateLimits = map[string]int{"v4/im_open_login_svc/account_check": 1}
		}))
		ts.must(t, pathCheck, check, 0)
		ts.must(t, pathCheck, check, 60007)
		for range 20 {
			ts.must(t, pathImport, `{"UserID":"alice"}`, 0)
		}
	})

	t.Run("per-app override 0 turns one limit off", func(t *testing.T) {
		ts := newTestServer(t, withApp(func(a *config.App) {
			a.RateLimits = map[string]int{"v4/group_open_http_svc/get_appid_group_list": 0}
		}))
		for range 20 {
			ts.must(t, pathAppGroups, `{}`, 0)
		}
	})
}
