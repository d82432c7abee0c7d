package api_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// pushBody is an im_push body with a text message and the given extra
// fields (null deletes one).
func pushBody(t *testing.T, random int, extra map[string]any) string {
	t.Helper()
	b := map[string]any{"MsgRandom": random, "MsgBody": []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": "hello all"}}}}
	for k, v := range extra {
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
	}
	return jsonBody(t, b)
}

func TestPushAttrNames(t *testing.T) {
	ts := newOpsServer(t, nil)
	ts.must(t, pathSetNames, `{"AttrNames":{"0":"plan","1":"region","2":"lang"}}`, 0)
	ts.must(t, pathSetNames, `{"AttrNames":{"1":"area","9":"tier"}}`, 0)
	env := ts.must(t, pathGetNames, `{}`, 0)
	sameKeys(t, "answer", env, "ActionStatus", "ErrorCode", "ErrorInfo", "ErrorDisplay", "RequestId", "AttrNames")
	if got, _ := json.Marshal(env["AttrNames"]); string(got) != `{"0":"plan","1":"area","2":"lang","9":"tier"}` {
		t.Errorf("AttrNames %s", got)
	}
	for _, body := range []string{
		`{}`, `{"AttrNames":{}}`, `{"AttrNames":{"10":"x"}}`, `{"AttrNames":{"01":"x"}}`, `{"AttrNames":{"a":"x"}}`,
		`{"AttrNames":{"3":""}}`, `{"AttrNames":{"3":"` + strings.Repeat("n", 51) + `"}}`, `{"AttrNames":{"3":"plan"}}`,
		`{"AttrNames":{"3":5}}`, `{"AttrNames":["plan"]}`,
	} {
		ts.must(t, pathSetNames, body, im.CodeMsgBodyNotJSON)
	}
	ts.must(t, pathSetNames, `{"AttrNames":{"3":"`+strings.Repeat("n", 50)+`"}}`, 0)
}

func TestPushAttrs(t *testing.T) {
	ts := newOpsServer(t, nil)
	ts.importAccounts(t, "alice_01", "bob_02")
	ts.must(t, pathSetUserAttr, `{"UserAttrs":[{"To_Account":"alice_01","Attrs":{"plan":"pro"}}]}`, im.CodePushBadAttr) // no names yet
	ts.must(t, pathSetNames, `{"AttrNames":{"0":"plan","1":"region","2":"lang"}}`, 0)
	ts.must(t, pathSetUserAttr, `{"UserAttrs":[{"To_Account":"alice_01","Attrs":{"plan":"pro","region":"eu"}},{"To_Account":"bob_02","Attrs":{"region":"apac"}}]}`, 0)
	ts.must(t, pathSetUserAttr, `{"UserAttrs":[{"To_Account":"alice_01","Attrs":{"lang":"`+strings.Repeat("v", 50)+`"}}]}`, 0)
	ts.must(t, pathRemoveAttr, `{"UserAttrs":[{"To_Account":"alice_01","Attrs":["lang"]},{"To_Account":"bob_02","Attrs":["plan"]}]}`, 0)
	env := ts.must(t, pathGetUserAttr, `{"To_Account":["alice_01","bob_02","nobody"]}`, 0)
	if got, _ := json.Marshal(env["UserAttrs"]); string(got) != `[{"Attrs":{"plan":"pro","region":"eu"},"To_Account":"alice_01"},{"Attrs":{"region":"apac"},"To_Account":"bob_02"},{"Attrs":{},"To_Account":"nobody"}]` {
		t.Errorf("UserAttrs %s", got)
	}
	// A renamed slot keeps its values.
	ts.must(t, pathSetNames, `{"AttrNames":{"1":"area"}}`, 0)
	env = ts.must(t, pathGetUserAttr, `{"To_Account":["bob_02"]}`, 0)
	if got, _ := json.Marshal(env["UserAttrs"]); string(got) != `[{"Attrs":{"area":"apac"},"To_Account":"bob_02"}]` {
		t.Errorf("after the rename %s", got)
	}

	users101 := jsonBody(t, map[string]any{"To_Account": ids("u", 101)})
	attrs101, names101 := make([]any, 101), make([]any, 101)
	for i := range attrs101 {
		attrs101[i] = map[string]any{"To_Account": "alice_01", "Attrs": map[string]any{"plan": "x"}}
		names101[i] = map[string]any{"To_Account": "alice_01", "Attrs": []string{"plan"}}
	}
	for _, c := range []struct {
		path, body string
		code       int
	}{
		{pathSetUserAttr, `{"UserAttrs":[{"To_Account":"alice_01","Attrs":{"nope":"x"}}]}`, im.CodePushBadAttr},
		{pathSetUserAttr, `{"UserAttrs":[{"To_Account":"alice_01","Attrs":{"plan":"` + strings.Repeat("v", 51) + `"}}]}`, im.CodePushBadAttr},
		{pathSetUserAttr, `{"UserAttrs":[{"To_Account":"alice_01","Attrs":{"plan":"x"}},{"To_Account":"ghost","Attrs":{"plan":"x"}}]}`, im.CodeMsgToNotFound},
		{pathSetUserAttr, `{"UserAttrs":[{"Attrs":{"plan":"x"}}]}`, im.CodeMsgToAccount},
		{pathSetUserAttr, `{"UserAttrs":[]}`, im.CodeMsgToAccount},
		{pathSetUserAttr, jsonBody(t, map[string]any{"UserAttrs": attrs101}), im.CodeMsgTooManyPeers},
		{pathSetUserAttr, `{"UserAttrs":[{"To_Account":"alice_01","Attrs":{"plan":1}}]}`, im.CodeMsgBodyNotJSON},
		{pathSetUserAttr, `{"UserAttrs":[{"To_Account":5,"Attrs":{}}]}`, im.CodeAccountNotStr},
		{pathRemoveAttr, `{"UserAttrs":[{"To_Account":"alice_01","Attrs":["nope"]}]}`, im.CodePushBadAttr},
		{pathRemoveAttr, jsonBody(t, map[string]any{"UserAttrs": names101}), im.CodeMsgTooManyPeers},
		{pathGetUserAttr, users101, im.CodeMsgTooManyPeers},
		{pathGetUserAttr, `{"To_Account":[]}`, im.CodeMsgToAccount},
		{pathGetUserAttr, `{"To_Account":"alice_01"}`, im.CodeAccountNotStr},
	} {
		ts.must(t, c.path, c.body, c.code)
	}
	// Nothing of a refused write was stored.
	env = ts.must(t, pathGetUserAttr, `{"To_Account":["alice_01"]}`, 0)
	if got, _ := json.Marshal(env["UserAttrs"]); string(got) != `[{"Attrs":{"area":"eu","plan":"pro"},"To_Account":"alice_01"}]` {
		t.Errorf("after refused writes %s", got)
	}
}

func TestPushTags(t *testing.T) {
	ts := newOpsServer(t, nil)
	ts.importAccounts(t, "alice_01", "bob_02")
	ts.must(t, pathAddTag, `{"UserTags":[{"To_Account":"alice_01","Tags":["vip","beta","vip"]},{"To_Account":"bob_02","Tags":["beta"]}]}`, 0)
	ts.must(t, pathAddTag, `{"UserTags":[{"To_Account":"alice_01","Tags":["beta","new"]}]}`, 0)
	ts.must(t, pathRemoveTag, `{"UserTags":[{"To_Account":"alice_01","Tags":["new","never-had"]}]}`, 0)
	env := ts.must(t, pathGetTag, `{"To_Account":["alice_01","bob_02","nobody"]}`, 0)
	if got, _ := json.Marshal(env["UserTags"]); string(got) != `[{"Tags":["beta","vip"],"To_Account":"alice_01"},{"Tags":["beta"],"To_Account":"bob_02"},{"Tags":[],"To_Account":"nobody"}]` {
		t.Errorf("UserTags %s", got)
	}
	ts.must(t, pathRemoveAllTg, `{"To_Account":["bob_02","nobody"]}`, 0)
	env = ts.must(t, pathGetTag, `{"To_Account":["bob_02"]}`, 0)
	if got, _ := json.Marshal(env["UserTags"]); string(got) != `[{"Tags":[],"To_Account":"bob_02"}]` {
		t.Errorf("after remove all %s", got)
	}

	// 100 tags held at most: 98 more fill alice's; one more is refused.
	for i := 0; i < 98; i += 10 {
		var tags []string
		for j := i; j < min(i+10, 98); j++ {
			tags = append(tags, fmt.Sprintf("t%02d", j))
		}
		ts.must(t, pathAddTag, jsonBody(t, map[string]any{"UserTags": []any{map[string]any{"To_Account": "alice_01", "Tags": tags}}}), 0)
	}
	ts.must(t, pathAddTag, `{"UserTags":[{"To_Account":"alice_01","Tags":["one_over"]}]}`, im.CodePushTooManyTags)
	ts.must(t, pathAddTag, `{"UserTags":[{"To_Account":"alice_01","Tags":["vip"]}]}`, 0) // held already

	users101 := make([]any, 101)
	for i := range users101 {
		users101[i] = map[string]any{"To_Account": "bob_02", "Tags": []string{"x"}}
	}
	for _, c := range []struct {
		path, body string
		code       int
	}{
		{pathAddTag, jsonBody(t, map[string]any{"UserTags": []any{map[string]any{"To_Account": "bob_02", "Tags": ids("t", 11)}}}), im.CodePushTooManyTags},
		{pathAddTag, `{"UserTags":[{"To_Account":"bob_02","Tags":[""]}]}`, im.CodePushEmptyTag},
		{pathAddTag, `{"UserTags":[{"To_Account":"bob_02","Tags":["` + strings.Repeat("t", 51) + `"]}]}`, im.CodePushTagTooLong},
		{pathAddTag, `{"UserTags":[{"To_Account":"ghost","Tags":["x"]}]}`, im.CodeMsgToNotFound},
		{pathAddTag, jsonBody(t, map[string]any{"UserTags": users101}), im.CodeMsgTooManyPeers},
		{pathAddTag, `{"UserTags":[{"To_Account":"bob_02","Tags":"x"}]}`, im.CodeMsgBodyNotJSON},
		{pathRemoveTag, jsonBody(t, map[string]any{"UserTags": users101}), im.CodeMsgTooManyPeers},
		{pathRemoveTag, `{"UserTags":[{"Tags":["x"]}]}`, im.CodeMsgToAccount},
		{pathGetTag, jsonBody(t, map[string]any{"To_Account": ids("u", 101)}), im.CodeMsgTooManyPeers},
		{pathRemoveAllTg, jsonBody(t, map[string]any{"To_Account": ids("u", 101)}), im.CodeMsgTooManyPeers},
		{pathRemoveAllTg, `{}`, im.CodeMsgToAccount},
	} {
		ts.must(t, c.path, c.body, c.code)
	}
	ts.must(t, pathAddTag, `{"UserTags":[{"To_Account":"bob_02","Tags":["`+strings.Repeat("t", 50)+`"]}]}`, 0)
}

func TestPushDisabled(t *testing.T) {
	ts := newOpsServer(t, []option{withApp(func(a *config.App) { a.Disabled = []string{"all_member_push"} })})
	ts.importAccounts(t, "alice_01")
	for path, body := range map[string]string{
		pathPush:        pushBody(t, 1, nil),
		pathSetNames:    `{"AttrNames":{"0":"plan"}}`,
		pathGetNames:    `{}`,
		pathGetUserAttr: `{"To_Account":["alice_01"]}`,
		pathSetUserAttr: `{"UserAttrs":[{"To_Account":"alice_01","Attrs":{}}]}`,
		pathRemoveAttr:  `{"UserAttrs":[{"To_Account":"alice_01","Attrs":[]}]}`,
		pathGetTag:      `{"To_Account":["alice_01"]}`,
		pathAddTag:      `{"UserTags":[{"To_Account":"alice_01","Tags":["x"]}]}`,
		pathRemoveTag:   `{"UserTags":[{"To_Account":"alice_01","Tags":["x"]}]}`,
		pathRemoveAllTg: `{"To_Account":["alice_01"]}`,
	} {
		ts.must(t, path, body, im.CodePushDisabled)
	}
	page, err := ts.pushes.Sync(t.Context(), testAppID, "alice_01", 0, 0)
	if err != nil || len(page.Pushes) != 0 || !page.Complete {
		t.Errorf("sync of a disabled app: %+v %v", page, err)
	}
}

var taskIDPattern = regexp.MustCompile(`^1400012345_[0-9]+_[0-9]+_[0-9]+$`)

func TestPush(t *testing.T) {
	ts := newOpsServer(t, []option{withRateLimit(0)})
	ts.importAccounts(t, "alice", "bob", "carol", "dave")
	ts.must(t, pathSetNames, `{"AttrNames":{"0":"plan","1":"region"}}`, 0)
	ts.must(t, pathSetUserAttr, `{"UserAttrs":[{"To_Account":"alice","Attrs":{"plan":"pro","region":"eu"}},{"To_Account":"bob","Attrs":{"plan":"pro"}}]}`, 0)
	ts.must(t, pathAddTag, `{"UserTags":[{"To_Account":"alice","Tags":["vip"]},{"To_Account":"carol","Tags":["beta","vip"]}]}`, 0)
	ts.node.setOnline("alice", "bob", "carol", "dave")

	// To everyone, from the admin.
	env := ts.must(t, pathPush, pushBody(t, 77342901, map[string]any{"MsgLifeTime": 3600, "OfflinePushInfo": map[string]any{"Desc": "d"}}), 0)
	sameKeys(t, "answer", env, "ActionStatus", "ErrorCode", "ErrorInfo", "ErrorDisplay", "RequestId", "TaskId")
	task := env["TaskId"].(string)
	if !taskIDPattern.MatchString(task) {
		t.Errorf("TaskId %q", task)
	}
	d := ts.node.next(t)
	if strings.Join(d.users, ",") != "alice,bob,carol,dave" {
		t.Errorf("delivered to %v", d.users)
	}
	if got, _ := json.Marshal(d.event); string(got) != fmt.Sprintf(`{"From_Account":"administrator","MsgBody":[{"MsgContent":{"Text":"hello all"},"MsgType":"TIMTextElem"}],"MsgRandom":77342901,"MsgTime":1717000000,"OfflinePushInfo":{"Desc":"d"},"PushSeq":1,"TaskId":%q,"Type":"AllMemberPush"}`, task) {
		t.Errorf("event %s", got)
	}

	// The same MsgRandom is the same task: no second push.
	ts.clock.Advance(time.Minute)
	if again := ts.must(t, pathPush, pushBody(t, 77342901, nil), 0)["TaskId"]; again != task {
		t.Errorf("a retry got task %v, want %s", again, task)
	}

	// Tag and attribute conditions reach only the users matching.
	for _, c := range []struct {
		cond map[string]any
		want string
	}{
		{map[string]any{"TagsOr": []string{"vip", "none"}}, "alice,carol"},
		{map[string]any{"TagsAnd": []string{"vip", "beta"}}, "carol"},
		{map[string]any{"TagsOr": []string{"beta"}, "TagsAnd": []string{"vip"}}, "carol"},
		{map[string]any{"AttrsAnd": map[string]string{"plan": "pro", "region": "eu"}}, "alice"},
		{map[string]any{"AttrsOr": map[string]string{"plan": "pro", "region": "apac"}}, "alice,bob"},
		{map[string]any{"AttrsAnd": map[string]string{"plan": "pro"}, "AttrsOr": map[string]string{"region": "eu"}}, "alice"},
		{map[string]any{"TagsOr": []string{}}, "alice,bob,carol,dave"}, // an empty list is no condition
	} {
		ts.clock.Advance(2 * time.Second)
		ts.must(t, pathPush, pushBody(t, int(ts.clock.Now().Unix()), map[string]any{"Condition": c.cond, "From_Account": "dave", "MsgLifeTime": 3600}), 0)
		d := ts.node.next(t)
		if got := strings.Join(d.users, ","); got != c.want {
			t.Errorf("%v reached %s, want %s", c.cond, got, c.want)
		}
		if d.event["From_Account"] != "dave" {
			t.Errorf("sender %v", d.event["From_Account"])
		}
	}

	// Offline users read their pushes later: the unexpired ones made
	// since their account, and matching them now.
	ts.clock.Advance(2 * time.Second)
	ts.must(t, pathPush, pushBody(t, 5, map[string]any{"MsgLifeTime": 0}), 0) // online only
	ts.node.next(t)
	page, err := ts.pushes.Sync(t.Context(), testAppID, "carol", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, p := range page.Pushes {
		seqs = append(seqs, p.PushSeq)
	}
	// 1 (everyone), 2 (TagsOr vip), 3 (TagsAnd vip beta), 4 (beta and
	// vip), 8 (everyone); 5-7 are attribute conditions carol fails; 9 is
	// online only.
	if !slices.Equal(seqs, []int64{1, 2, 3, 4, 8}) || page.PushSeq != 9 || !page.Complete {
		t.Errorf("carol's sync: %v up to %d, complete %v", seqs, page.PushSeq, page.Complete)
	}
	page, _ = ts.pushes.Sync(t.Context(), testAppID, "carol", 2, 1)
	if len(page.Pushes) != 1 || page.PushSeq != 3 || page.Complete {
		t.Errorf("a page of one: %+v", page)
	}
	ts.importAccounts(t, "erin")
	if page, _ := ts.pushes.Sync(t.Context(), testAppID, "erin", 0, 0); len(page.Pushes) != 0 || page.PushSeq != 9 {
		t.Errorf("a new account got older pushes: %+v", page)
	}
	ts.clock.Advance(time.Hour)
	if page, _ := ts.pushes.Sync(t.Context(), testAppID, "carol", 0, 0); len(page.Pushes) != 0 {
		t.Errorf("expired pushes synced: %+v", page)
	}
}

func TestPushErrors(t *testing.T) {
	ts := newOpsServer(t, []option{withRateLimit(0), withApp(func(a *config.App) { a.PushDailyLimit = 3 })})
	ts.importAccounts(t, "alice")
	ts.must(t, pathSetNames, `{"AttrNames":{"0":"plan"}}`, 0)
	elem := func(typ, content string) []any {
		return []any{map[string]any{"MsgType": typ, "MsgContent": json.RawMessage(content)}}
	}
	for _, c := range []struct {
		name  string
		extra map[string]any
		code  int
	}{
		{"no MsgRandom", map[string]any{"MsgRandom": nil}, im.CodeMsgRandomInvalid},
		{"negative MsgRandom", map[string]any{"MsgRandom": -1}, im.CodeMsgRandomInvalid},
		{"MsgRandom over 32 bits", map[string]any{"MsgRandom": int64(1) << 32}, im.CodeMsgRandomInvalid},
		{"MsgRandom a string", map[string]any{"MsgRandom": "1"}, im.CodeMsgRandomInvalid},
		{"no MsgBody", map[string]any{"MsgBody": nil}, im.CodeMsgBodyInvalid},
		{"empty MsgBody", map[string]any{"MsgBody": []any{}}, im.CodeMsgBodyInvalid},
		{"MsgBody an object", map[string]any{"MsgBody": map[string]any{}}, im.CodeMsgBodyNotArray},
		{"a type not pushed", map[string]any{"MsgBody": elem("TIMRelayElem", `{"Title":"t"}`)}, im.CodePushBadElem},
		{"an unknown type", map[string]any{"MsgBody": elem("TIMNope", `{}`)}, im.CodePushBadElem},
		{"an invalid element", map[string]any{"MsgBody": elem("TIMTextElem", `{"Text":5}`)}, im.CodePushBadElem},
		{"MsgType a number", map[string]any{"MsgBody": []any{map[string]any{"MsgType": 5, "MsgContent": map[string]any{}}}}, im.CodePushBadElem},
		{"over 12 KB", map[string]any{"MsgBody": elem("TIMTextElem", `{"Text":"`+strings.Repeat("x", 12<<10)+`"}`)}, im.CodeMsgTooLong},
		{"MsgLifeTime over 7 days", map[string]any{"MsgLifeTime": 604801}, im.CodeMsgLifeTime},
		{"MsgLifeTime negative", map[string]any{"MsgLifeTime": -1}, im.CodeMsgLifeTime},
		{"MsgLifeTime a string", map[string]any{"MsgLifeTime": "60"}, im.CodeMsgLifeTimeType},
		{"OfflinePushInfo not an object", map[string]any{"OfflinePushInfo": "x"}, im.CodeMsgPushInfo},
		{"an unknown sender", map[string]any{"From_Account": "ghost"}, im.CodeMsgFromAccount},
		{"Condition not an object", map[string]any{"Condition": "vip"}, im.CodeMsgBodyNotJSON},
		{"attributes and tags", map[string]any{"Condition": map[string]any{"AttrsAnd": map[string]string{"plan": "pro"}, "TagsOr": []string{"vip"}}}, im.CodePushMixedCond},
		{"a tag twice", map[string]any{"Condition": map[string]any{"TagsAnd": []string{"a", "vip"}, "TagsOr": []string{"vip"}}}, im.CodePushTagTwice},
		{"an empty tag", map[string]any{"Condition": map[string]any{"TagsOr": []string{""}}}, im.CodePushEmptyTag},
		{"a tag over 50 bytes", map[string]any{"Condition": map[string]any{"TagsAnd": []string{strings.Repeat("t", 51)}}}, im.CodePushTagTooLong},
		{"11 tags", map[string]any{"Condition": map[string]any{"TagsOr": ids("t", 11)}}, im.CodePushTooManyTags},
		{"an unknown attribute", map[string]any{"Condition": map[string]any{"AttrsOr": map[string]string{"nope": "x"}}}, im.CodePushBadAttr},
		{"an attribute value over 50 bytes", map[string]any{"Condition": map[string]any{"AttrsAnd": map[string]string{"plan": strings.Repeat("v", 51)}}}, im.CodePushBadAttr},
	} {
		t.Run(c.name, func(t *testing.T) { ts.must(t, pathPush, pushBody(t, 1, c.extra), c.code) })
	}

	// The limits at their edges: 10 tags of 50 bytes, 7 days, 12 KB.
	ok := map[string]any{"MsgLifeTime": 604800, "Condition": map[string]any{"TagsOr": append(ids("t", 9), strings.Repeat("t", 50))}}
	ts.must(t, pathPush, pushBody(t, 100, ok), 0)
	// The spacing (1 s) and the quota (3 a day here), in the store.
	ts.clock.Advance(999 * time.Millisecond)
	ts.must(t, pathPush, pushBody(t, 101, nil), im.CodePushTooSoon)
	ts.clock.Advance(time.Millisecond)
	ts.must(t, pathPush, pushBody(t, 102, nil), 0)
	ts.clock.Advance(time.Second)
	ts.must(t, pathPush, pushBody(t, 103, nil), 0)
	ts.clock.Advance(time.Second)
	ts.must(t, pathPush, pushBody(t, 104, nil), im.CodePushDailyQuota)
	ts.must(t, pathPush, pushBody(t, 102, nil), 0) // a retry is no new push
	// The day ends at midnight Beijing time (the clock is at 00:26:43).
	ts.clock.Advance(24*time.Hour - 27*time.Minute)
	ts.must(t, pathPush, pushBody(t, 104, nil), im.CodePushDailyQuota)
	ts.clock.Advance(time.Minute)
	ts.must(t, pathPush, pushBody(t, 104, nil), 0)
}

// TestPushRate: the documented rate (1/s) is the transport's limit too,
// answered with the family's code.
func TestPushRate(t *testing.T) {
	ts := newOpsServer(t, nil)
	ts.must(t, pathPush, pushBody(t, 1, nil), 0)
	ts.must(t, pathPush, pushBody(t, 2, nil), im.CodePushTooSoon)
	ts.must(t, pathPush, pushBody(t, 1, nil), im.CodePushTooSoon)
}
