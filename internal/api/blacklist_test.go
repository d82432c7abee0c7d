package api_test

import (
	"fmt"
	"testing"
)

// TestBlocklist: blocking ends a friendship both ways and stands in the
// way of adding either way; per-item results, paging and checks.
func TestBlocklist(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "a", "b", "c", "d", "e")
	for _, u := range []string{"a", "b", "c", "d"} {
		us.set(t, u, item(tagAllowType, "AllowType_Type_AllowAny"))
	}
	us.addFriends(t, "a", "", 0, "b")
	us.rec.take()
	us.clock.Advance(1e9)

	env := us.must(t, pathBlockAdd, `{"From_Account":"a","To_Account":["b","ghost","a"]}`, 0)
	if got := codes(t, env["ResultItem"]); fmt.Sprint(got) != "map[a:30001 b:0 ghost:30003]" {
		t.Fatalf("results %v", got)
	}
	if got := us.rels(t, "a", "b")["b"]; got != "NoRelation" {
		t.Fatalf("a friendship after blocking: %s", got)
	}
	if events := eventsOf(us.rec.take()); fmt.Sprint(events) != "map[a:[FriendDeleted BlocklistAdded] b:[FriendDeleted]]" {
		t.Fatalf("events %v", events)
	}
	env = us.must(t, pathBlockAdd, `{"From_Account":"a","To_Account":["b","c"]}`, 0)
	items := list(t, env["ResultItem"])
	if num(t, items[0]["ResultCode"]) != 30001 || items[0]["ResultInfo"] != "Err_SNS_BlackListAdd_Already_Exist" || strs(t, env["Fail_Account"])[0] != "b" {
		t.Fatalf("blocking again: %v", env)
	}
	if got := codes(t, us.addFriends(t, "a", "", 0, "b")["ResultItem"])["b"]; got != 30515 {
		t.Fatalf("adding someone one blocked: %d", got)
	}
	if got := codes(t, us.addFriends(t, "b", "", 0, "a")["ResultItem"])["a"]; got != 30525 {
		t.Fatalf("adding someone who blocked one: %d", got)
	}
	if got := codes(t, us.addFriends(t, "b", "", 1, "a")["ResultItem"])["a"]; got != 30525 {
		t.Fatalf("a forced add past a blocklist: %d", got)
	}

	us.must(t, pathBlockAdd, `{"From_Account":"d","To_Account":["a"]}`, 0)
	env = us.must(t, pathBlockCheck, `{"From_Account":"a","To_Account":["b","c","d","e"],"CheckType":"BlackCheckResult_Type_Both"}`, 0)
	var rels []string
	for _, it := range list(t, env["BlackListCheckItem"]) {
		rels = append(rels, it["To_Account"].(string)+"="+it["Relation"].(string))
	}
	if fmt.Sprint(rels) != "[b=BlackCheckResult_Type_AWithB c=BlackCheckResult_Type_AWithB d=BlackCheckResult_Type_BWithA e=BlackCheckResult_Type_NO]" {
		t.Fatalf("both: %v", rels)
	}
	us.must(t, pathBlockAdd, `{"From_Account":"e","To_Account":["a"]}`, 0)
	us.must(t, pathBlockAdd, `{"From_Account":"a","To_Account":["e"]}`, 0)
	env = us.must(t, pathBlockCheck, `{"From_Account":"a","To_Account":["d","e"],"CheckType":"BlackCheckResult_Type_Single"}`, 0)
	rels = nil
	for _, it := range list(t, env["BlackListCheckItem"]) {
		rels = append(rels, it["Relation"].(string))
	}
	if fmt.Sprint(rels) != "[BlackCheckResult_Type_NO BlackCheckResult_Type_AWithB]" {
		t.Fatalf("single: %v", rels)
	}
	env = us.must(t, pathBlockCheck, `{"From_Account":"a","To_Account":["e"],"CheckType":"BlackCheckResult_Type_Both"}`, 0)
	if got := list(t, env["BlackListCheckItem"])[0]["Relation"]; got != "BlackCheckResult_Type_BothWay" {
		t.Fatalf("both ways: %v", got)
	}

	// a's blocklist is b, c (at epoch+1) and e (later): pages of two.
	us.clock.Advance(1e9)
	env = us.must(t, pathBlockGet, `{"From_Account":"a","StartIndex":0,"MaxLimited":2,"LastSequence":0}`, 0)
	if got := fmt.Sprint(list(t, env["BlackListItem"])); got != fmt.Sprintf("[map[AddBlackTimeStamp:%d To_Account:b] map[AddBlackTimeStamp:%d To_Account:c]]", testEpoch.Unix()+1, testEpoch.Unix()+1) {
		t.Fatalf("first page: %s", got)
	}
	if num(t, env["StartIndex"]) != 2 || num(t, env["CurruentSequence"]) != 3 || num(t, env["CurrentSequence"]) != 3 {
		t.Fatalf("first page: %v", env)
	}
	env = us.must(t, pathBlockGet, `{"From_Account":"a","StartIndex":2,"MaxLimited":2}`, 0)
	if len(list(t, env["BlackListItem"])) != 1 || num(t, env["StartIndex"]) != 0 {
		t.Fatalf("last page: %v", env)
	}

	us.rec.take()
	env = us.must(t, pathBlockDelete, `{"From_Account":"a","To_Account":["b","d"]}`, 0)
	if got := codes(t, env["ResultItem"]); got["b"] != 0 || got["d"] != 30001 || strs(t, env["Fail_Account"])[0] != "d" {
		t.Fatalf("black_list_delete: %v", env)
	}
	if got := us.rels(t, "a", "b")["b"]; got != "NoRelation" {
		t.Fatalf("unblocking brought a friendship back: %s", got)
	}
	if events := eventsOf(us.rec.take()); fmt.Sprint(events) != "map[a:[BlocklistDeleted]]" {
		t.Fatalf("events %v", events)
	}

	for _, tt := range []struct {
		path, body string
		code       int
	}{
		{pathBlockAdd, jsonBody(t, map[string]any{"From_Account": "c", "To_Account": ids("u", 1001)}), 30001},
		{pathBlockAdd, `{"From_Account":"c","To_Account":[]}`, 30001},
		{pathBlockAdd, `{"From_Account":"ghost","To_Account":["a"]}`, 30003},
		{pathBlockAdd, `{"To_Account":["a"]}`, 30001},
		{pathBlockDelete, jsonBody(t, map[string]any{"From_Account": "c", "To_Account": ids("u", 1001)}), 30001},
		{pathBlockDelete, `{"From_Account":"ghost","To_Account":["a"]}`, 30003},
		{pathBlockGet, `{"From_Account":"a","StartIndex":0,"MaxLimited":1001}`, 30001},
		{pathBlockGet, `{"From_Account":"a","StartIndex":0,"MaxLimited":0}`, 30001},
		{pathBlockGet, `{"From_Account":"a","StartIndex":-1,"MaxLimited":10}`, 30001},
		{pathBlockGet, `{"From_Account":"ghost","StartIndex":0,"MaxLimited":10}`, 30003},
		{pathBlockCheck, `{"From_Account":"a","To_Account":["b"],"CheckType":"CheckResult_Type_Both"}`, 30001},
		{pathBlockCheck, jsonBody(t, map[string]any{"From_Account": "a", "To_Account": ids("u", 1001), "CheckType": "BlackCheckResult_Type_Both"}), 30001},
		{pathBlockCheck, `{"From_Account":"ghost","To_Account":["b"],"CheckType":"BlackCheckResult_Type_Both"}`, 30003},
		{pathBlockGet, `{"From_Account":"a","StartIndex":0,"MaxLimited":1000}`, 0},
	} {
		t.Run(tt.path+" "+tt.body[:min(len(tt.body), 40)], func(t *testing.T) { us.must(t, tt.path, tt.body, tt.code) })
	}
}
