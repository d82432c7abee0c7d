package api_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/usersig"
)

// statuses asks account_check about ids and returns AccountStatus by ID,
// checking the per-item ResultCode/ResultInfo of a successful check.
func (ts *testServer) statuses(t *testing.T, userIDs ...string) map[string]string {
	t.Helper()
	items := make([]map[string]string, len(userIDs))
	for i, id := range userIDs {
		items[i] = map[string]string{"UserID": id}
	}
	env := ts.must(t, pathCheck, jsonBody(t, map[string]any{"CheckItem": items}), 0)
	out := map[string]string{}
	for i, it := range list(t, env["ResultItem"]) {
		if it["UserID"] != userIDs[i] {
			t.Errorf("ResultItem %d is %v, want %s (request order)", i, it["UserID"], userIDs[i])
		}
		if num(t, it["ResultCode"]) != 0 || it["ResultInfo"] != "" {
			t.Errorf("check %s: ResultCode %v ResultInfo %q, want 0 and empty", userIDs[i], it["ResultCode"], it["ResultInfo"])
		}
		out[it["UserID"].(string)] = it["AccountStatus"].(string)
	}
	return out
}

// profile reads an account's stored nick and avatar straight from the store.
func (ts *testServer) profile(t *testing.T, userID string) im.Account {
	t.Helper()
	found, err := ts.db.GetAccounts(context.Background(), testAppID, []string{userID})
	if err != nil {
		t.Fatal(err)
	}
	a, ok := found[userID]
	if !ok {
		t.Fatalf("account %s not stored", userID)
	}
	return a
}

func TestAccountImport(t *testing.T) {
	ts := newTestServer(t)
	long := strings.Repeat("n", 501)
	tests := []struct {
		name string
		body string
		want int
	}{
		{"ok", `{"UserID":"alice_01","Nick":"Alice","FaceUrl":"https://img.example.org/a1.png"}`, 0},
		{"idempotent", `{"UserID":"alice_01","Nick":"Alice","FaceUrl":"https://img.example.org/a1.png"}`, 0},
		{"only UserID", `{"UserID":"bob"}`, 0},
		{"Nick of 500 bytes", `{"UserID":"n500","Nick":"` + long[:500] + `"}`, 0},
		{"Nick over 500 bytes", `{"UserID":"n501","Nick":"` + long + `"}`, 40601},
		{"Nick over 500 bytes in UTF-8", `{"UserID":"n501u","Nick":"` + strings.Repeat("語", 167) + `"}`, 40601},
		{"FaceUrl over 500 bytes", `{"UserID":"f501","FaceUrl":"` + long + `"}`, 40601},
		{"UserID missing", `{"Nick":"x"}`, 70402},
		{"UserID null", `{"UserID":null}`, 70402},
		{"UserID empty", `{"UserID":""}`, 70402},
		{"UserID of 32 bytes", `{"UserID":"` + strings.Repeat("u", 32) + `"}`, 0},
		{"UserID over 32 bytes", `{"UserID":"` + strings.Repeat("u", 33) + `"}`, 70402},
		{"UserID with a control character", `{"UserID":"a\u0001b"}`, 70402},
		{"UserID with a newline", `{"UserID":"a\nb"}`, 70402},
		{"UserID with DEL", `{"UserID":"a\u007fb"}`, 70402},
		{"UserID not ASCII", `{"UserID":"zoë"}`, 70402},
		{"UserID with space and symbols", `{"UserID":"a b@c#-_.~"}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.must(t, pathImport, tt.body, tt.want)
		})
	}
	got := ts.statuses(t, "alice_01", "bob", "n500", "n501", "f501", strings.Repeat("u", 32), "a b@c#-_.~")
	want := map[string]string{"alice_01": "Imported", "bob": "Imported", "n500": "Imported", "n501": "NotImported",
		"f501": "NotImported", strings.Repeat("u", 32): "Imported", "a b@c#-_.~": "Imported"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after the imports: %v, want %v", got, want)
	}
	if p := ts.profile(t, "alice_01"); p.Nick != "Alice" || p.FaceURL != "https://img.example.org/a1.png" || p.CreatedAt != testEpoch.Unix() {
		t.Errorf("alice_01 stored as %+v", p)
	}
}

// TestAccountImportKeepsUnsentProfile: re-importing an account without Nick
// or FaceUrl must not wipe what it already has (rest-users.md: "updated
// with the supplied nick/avatar").
func TestAccountImportKeepsUnsentProfile(t *testing.T) {
	ts := newTestServer(t)
	ts.must(t, pathImport, `{"UserID":"alice","Nick":"Alice","FaceUrl":"https://img/a.png"}`, 0)
	ts.must(t, pathImport, `{"UserID":"alice","FaceUrl":"https://img/b.png"}`, 0)
	if p := ts.profile(t, "alice"); p.Nick != "Alice" || p.FaceURL != "https://img/b.png" {
		t.Errorf("after account_import with FaceUrl only: nick %q face %q, want Alice and https://img/b.png", p.Nick, p.FaceURL)
	}
	ts.must(t, pathMultiImport, `{"AccountList":[{"UserID":"alice","Nick":"Alicia"}]}`, 0)
	if p := ts.profile(t, "alice"); p.Nick != "Alicia" || p.FaceURL != "https://img/b.png" {
		t.Errorf("after AccountList with Nick only: nick %q face %q, want Alicia and https://img/b.png", p.Nick, p.FaceURL)
	}
}

func TestAccountCap(t *testing.T) {
	ts := newTestServer(t, withApp(func(a *config.App) { a.MaxAccounts = 3 }))
	ts.must(t, pathImport, `{"UserID":"a"}`, 0)
	ts.must(t, pathImport, `{"UserID":"b"}`, 0)
	ts.must(t, pathImport, `{"UserID":"c"}`, 0)
	ts.must(t, pathImport, `{"UserID":"d"}`, 70398)
	ts.must(t, pathImport, `{"UserID":"a","Nick":"A"}`, 0) // existing IDs still import at the cap

	env := ts.must(t, pathMultiImport, `{"Accounts":["a","d","e"]}`, 0)
	if got := strs(t, env["FailAccounts"]); !reflect.DeepEqual(got, []string{"d", "e"}) {
		t.Errorf("FailAccounts %v, want [d e]", got)
	}
	ts.must(t, pathDelete, `{"DeleteItem":[{"UserID":"c"}]}`, 0)
	env = ts.must(t, pathMultiImport, `{"AccountList":[{"UserID":"d"},{"UserID":"e"},{"UserID":"d"}]}`, 0)
	if got := strs(t, env["FailAccounts"]); !reflect.DeepEqual(got, []string{"e"}) {
		t.Errorf("FailAccounts %v, want [e]: one slot freed, d listed twice counts once", got)
	}
	want := map[string]string{"a": "Imported", "b": "Imported", "c": "NotImported", "d": "Imported", "e": "NotImported"}
	if got := ts.statuses(t, "a", "b", "c", "d", "e"); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
}

func TestAccountReimportCooldown(t *testing.T) {
	ts := newTestServer(t, withApp(func(a *config.App) { a.ReimportCooldown = config.Duration(time.Hour) }))
	ts.importAccounts(t, "gone", "other")
	ts.must(t, pathDelete, `{"DeleteItem":[{"UserID":"gone"}]}`, 0)
	ts.must(t, pathImport, `{"UserID":"gone"}`, 70399)
	env := ts.must(t, pathMultiImport, `{"Accounts":["gone","fresh"]}`, 0)
	if got := strs(t, env["FailAccounts"]); !reflect.DeepEqual(got, []string{"gone"}) {
		t.Errorf("FailAccounts %v, want [gone]", got)
	}
	ts.clock.Advance(59 * time.Minute)
	ts.must(t, pathImport, `{"UserID":"gone"}`, 70399)
	ts.clock.Advance(time.Minute + time.Second)
	ts.must(t, pathImport, `{"UserID":"gone"}`, 0)
	if got := ts.statuses(t, "gone", "fresh"); got["gone"] != "Imported" || got["fresh"] != "Imported" {
		t.Errorf("statuses %v", got)
	}
}

func TestAccountNoCooldownByDefault(t *testing.T) {
	ts := newTestServer(t)
	ts.importAccounts(t, "gone")
	ts.must(t, pathDelete, `{"DeleteItem":[{"UserID":"gone"}]}`, 0)
	ts.must(t, pathImport, `{"UserID":"gone"}`, 0)
}

func TestMultiAccountImport(t *testing.T) {
	ts := newTestServer(t)
	hundred := ids("u", 100)
	tests := []struct {
		name     string
		body     string
		want     int
		imported []string
	}{
		{"legacy Accounts", `{"Accounts":["a1","a2"]}`, 0, []string{"a1", "a2"}},
		{"AccountList", `{"AccountList":[{"UserID":"l1","Nick":"Kim"},{"UserID":"l2","FaceUrl":"https://img/u2.png"}]}`, 0, []string{"l1", "l2"}},
		{"duplicates imported once", `{"Accounts":["d1","d1","d2"]}`, 0, []string{"d1", "d2"}},
		{"100 IDs", jsonBody(t, map[string]any{"Accounts": hundred}), 0, hundred},
		{"already imported IDs", `{"Accounts":["a1","a2"]}`, 0, []string{"a1", "a2"}},
		{"neither list", `{}`, 70402, nil},
		{"both lists", `{"Accounts":["b1"],"AccountList":[{"UserID":"b2"}]}`, 70402, nil},
		{"empty Accounts", `{"Accounts":[]}`, 70402, nil},
		{"empty AccountList", `{"AccountList":[]}`, 70402, nil},
		{"101 IDs", jsonBody(t, map[string]any{"Accounts": ids("x", 101)}), 70402, nil},
		{"101 AccountList entries", jsonBody(t, map[string]any{"AccountList": accountList(ids("y", 101))}), 70402, nil},
		{"ID over 32 bytes", `{"Accounts":["ok1","` + strings.Repeat("z", 33) + `"]}`, 70402, nil},
		{"empty ID", `{"Accounts":["ok2",""]}`, 70402, nil},
		{"AccountList entry without UserID", `{"AccountList":[{"UserID":"ok3"},{"Nick":"x"}]}`, 70402, nil},
		{"AccountList Nick over 500 bytes", `{"AccountList":[{"UserID":"ok4","Nick":"` + strings.Repeat("n", 501) + `"}]}`, 40601, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := ts.must(t, pathMultiImport, tt.body, tt.want)
			if tt.want != 0 {
				return
			}
			if fail := strs(t, env["FailAccounts"]); len(fail) != 0 {
				t.Errorf("FailAccounts %v, want []", fail)
			}
			for id, s := range ts.statuses(t, tt.imported...) {
				if s != "Imported" {
					t.Errorf("%s is %s", id, s)
				}
			}
		})
	}
	// A rejected request imports nothing, not even its valid IDs.
	for id, s := range ts.statuses(t, "b1", "b2", "ok1", "ok2", "ok3", "ok4", "x0", "y0") {
		if s != "NotImported" {
			t.Errorf("%s is %s after a rejected request", id, s)
		}
	}
	if p := ts.profile(t, "l1"); p.Nick != "Kim" {
		t.Errorf("l1 nick %q, want Kim", p.Nick)
	}

	t.Run("AccountList updates existing accounts", func(t *testing.T) {
		ts.must(t, pathMultiImport, `{"AccountList":[{"UserID":"a1","Nick":"First"},{"UserID":"new1","Nick":"New"}]}`, 0)
		if p := ts.profile(t, "a1"); p.Nick != "First" {
			t.Errorf("a1 nick %q, want First", p.Nick)
		}
		if p := ts.profile(t, "new1"); p.Nick != "New" {
			t.Errorf("new1 nick %q, want New", p.Nick)
		}
	})
	t.Run("Accounts leaves existing profiles alone", func(t *testing.T) {
		ts.must(t, pathMultiImport, `{"Accounts":["a1"]}`, 0)
		if p := ts.profile(t, "a1"); p.Nick != "First" {
			t.Errorf("a1 nick %q, want First", p.Nick)
		}
	})
}

func accountList(userIDs []string) []map[string]string {
	out := make([]map[string]string, len(userIDs))
	for i, id := range userIDs {
		out[i] = map[string]string{"UserID": id}
	}
	return out
}

func deleteItems(userIDs []string) string {
	items := make([]string, len(userIDs))
	for i, id := range userIDs {
		items[i] = `{"UserID":"` + id + `"}`
	}
	return `{"DeleteItem":[` + strings.Join(items, ",") + `]}`
}

func TestAccountDelete(t *testing.T) {
	ts := newTestServer(t)
	ts.importAccounts(t, "u_1001", "u_1002")

	env := ts.must(t, pathDelete, `{"DeleteItem":[{"UserID":"u_1001"},{"UserID":"ghost_7"}]}`, 0)
	want := []struct {
		id   string
		code int64
		info string
	}{
		{"u_1001", 0, ""},
		{"ghost_7", 70107, "Err_TLS_PT_Open_Login_Account_Not_Exist"},
	}
	got := list(t, env["ResultItem"])
	if len(got) != len(want) {
		t.Fatalf("ResultItem %v", got)
	}
	for i, w := range want {
		if got[i]["UserID"] != w.id || num(t, got[i]["ResultCode"]) != w.code || got[i]["ResultInfo"] != w.info {
			t.Errorf("ResultItem %d: %v, want %+v", i, got[i], w)
		}
	}
	// A second delete of the same ID finds nothing.
	env = ts.must(t, pathDelete, `{"DeleteItem":[{"UserID":"u_1001"}]}`, 0)
	if code := num(t, list(t, env["ResultItem"])[0]["ResultCode"]); code != 70107 {
		t.Errorf("second delete: ResultCode %d, want 70107", code)
	}
	if got := ts.statuses(t, "u_1001", "u_1002"); got["u_1001"] != "NotImported" || got["u_1002"] != "Imported" {
		t.Errorf("statuses %v", got)
	}

	tests := []struct {
		name string
		body string
		want int
	}{
		{"100 IDs", deleteItems(ids("g", 100)), 0},
		{"101 IDs", deleteItems(ids("g", 101)), 70402},
		{"no DeleteItem", `{}`, 70402},
		{"empty DeleteItem", `{"DeleteItem":[]}`, 70402},
		{"item without UserID", `{"DeleteItem":[{"UserID":"u_1002"},{}]}`, 70402},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.must(t, pathDelete, tt.body, tt.want)
		})
	}
	if got := ts.statuses(t, "u_1002"); got["u_1002"] != "Imported" {
		t.Errorf("u_1002 deleted by a rejected request")
	}
}

func TestAccountDeleteDisabled(t *testing.T) {
	ts := newTestServer(t, withApp(func(a *config.App) { a.Disabled = []string{"account_delete"} }))
	ts.importAccounts(t, "keep")
	ts.must(t, pathDelete, `{"DeleteItem":[{"UserID":"keep"}]}`, 71000)
	if got := ts.statuses(t, "keep"); got["keep"] != "Imported" {
		t.Errorf("keep is %s", got["keep"])
	}
}

func TestAccountDeleteLeavesGroups(t *testing.T) {
	ts := newTestServer(t)
	ts.importAccounts(t, "owner", "member")
	id := ts.createGroup(t, `{"Owner_Account":"owner","Type":"Public","Name":"g","MemberList":[{"Member_Account":"member"}]}`)
	ts.must(t, pathDelete, `{"DeleteItem":[{"UserID":"member"}]}`, 0)
	info := ts.groupInfo(t, id)
	if n := num(t, info["MemberNum"]); n != 1 {
		t.Errorf("MemberNum %d after deleting a member's account, want 1", n)
	}
	if members := list(t, info["MemberList"]); len(members) != 1 || members[0]["Member_Account"] != "owner" {
		t.Errorf("MemberList %v, want only owner", members)
	}
}

func TestAccountCheck(t *testing.T) {
	ts := newTestServer(t)
	ts.importAccounts(t, "alice_01", "deleted")
	ts.must(t, pathDelete, `{"DeleteItem":[{"UserID":"deleted"}]}`, 0)
	want := map[string]string{"alice_01": "Imported", "nobody_9": "NotImported", "deleted": "NotImported"}
	if got := ts.statuses(t, "alice_01", "nobody_9", "deleted"); !reflect.DeepEqual(got, want) {
		t.Errorf("statuses %v, want %v", got, want)
	}
	env := ts.must(t, pathCheck, `{"CheckItem":[{"UserID":"alice_01"}]}`, 0)
	sameKeys(t, "ResultItem", list(t, env["ResultItem"])[0], "UserID", "ResultCode", "ResultInfo", "AccountStatus")

	tests := []struct {
		name string
		body string
		want int
	}{
		{"100 IDs", jsonBody(t, map[string]any{"CheckItem": accountList(ids("c", 100))}), 0},
		{"101 IDs", jsonBody(t, map[string]any{"CheckItem": accountList(ids("c", 101))}), 70402},
		{"no CheckItem", `{}`, 70402},
		{"empty CheckItem", `{"CheckItem":[]}`, 70402},
		{"item without UserID", `{"CheckItem":[{}]}`, 70402},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.must(t, pathCheck, tt.body, tt.want)
		})
	}
}

// TestKickRevokesRESTCalls: kick invalidates the UserSigs of the kicked
// account issued before it on REST calls too (issue 13 point 3): the
// admin's old sig gets 70052, a sig made after the kick works.
func TestKickRevokesRESTCalls(t *testing.T) {
	ts := newTestServer(t)
	ts.importAccounts(t, testAdmin)
	old := ts.sig
	ts.must(t, pathCheck, `{"CheckItem":[{"UserID":"administrator"}]}`, 0)
	ts.clock.Advance(time.Second)
	ts.must(t, "/v4/im_open_login_svc/kick", `{"UserID":"`+testAdmin+`"}`, 0)
	ts.must(t, pathCheck, `{"CheckItem":[{"UserID":"administrator"}]}`, im.CodeSigInvalidated)
	ts.sig = usersig.Generate(testKey, testAppID, testAdmin, sigLifetime, ts.clock.Now())
	ts.must(t, pathCheck, `{"CheckItem":[{"UserID":"administrator"}]}`, 0)
	if ts.sig == old {
		t.Fatal("the new sig is the old one")
	}
}

// TestIdentifierAlias: earlier revisions named the account field
// Identifier; account_import, multiaccount_import and kick take it, and
// UserID wins when both are present (issue 13 point 4).
func TestIdentifierAlias(t *testing.T) {
	ts := newTestServer(t)
	ts.must(t, pathImport, `{"Identifier":"old_style","Nick":"Old"}`, 0)
	ts.must(t, pathMultiImport, `{"AccountList":[{"Identifier":"old_two"}]}`, 0)
	ts.must(t, pathImport, `{"UserID":"wins","Identifier":"loses"}`, 0)
	env := ts.must(t, pathCheck, `{"CheckItem":[{"UserID":"old_style"},{"UserID":"old_two"},{"UserID":"wins"},{"UserID":"loses"}]}`, 0)
	var status []string
	for _, it := range list(t, env["ResultItem"]) {
		status = append(status, it["AccountStatus"].(string))
	}
	if fmt.Sprint(status) != "[Imported Imported Imported NotImported]" {
		t.Fatalf("statuses %v", status)
	}
	ts.must(t, "/v4/im_open_login_svc/kick", `{"Identifier":"old_style"}`, 0)
	ts.must(t, "/v4/im_open_login_svc/kick", `{"Identifier":3}`, im.CodeAccountNotStr)
}
