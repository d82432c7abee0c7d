package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/relation"
)

// valueItems renders friend_get's UserDataItem as "friend: Tag=Value ...".
func valueItems(t *testing.T, v any) []string {
	t.Helper()
	var out []string
	for _, d := range list(t, v) {
		var fields []string
		for _, it := range list(t, d["ValueItem"]) {
			fields = append(fields, fmt.Sprintf("%s=%v", strings.TrimPrefix(strings.TrimPrefix(it["Tag"].(string), "Tag_SNS_IM_"), "Tag_SNS_Custom_"), it["Value"]))
		}
		out = append(out, d["To_Account"].(string)+": "+strings.Join(fields, " "))
	}
	return out
}

// TestFriendImport: one-way entries with every field, as given; an entry
// already there is replaced; and the request's errors.
func TestFriendImport(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "a", "b", "c")
	us.rec.take()
	env := us.must(t, pathFriendImport, `{"From_Account":"a","AddFriendItem":[
		{"To_Account":"b","AddSource":"AddSource_Type_Legacy","Remark":"Bee","RemarkTime":1690000000,"GroupName":["Family","Close","Family"],
		 "AddWording":"migrated","AddTime":1680000000,"CustomItem":[{"Tag":"Tag_SNS_Custom_Since","Value":"2019"},{"Tag":"Tag_SNS_Custom_Note","Value":7}]},
		{"To_Account":"c","AddSource":"AddSource_Type_Legacy"},
		{"To_Account":"ghost","AddSource":"AddSource_Type_Legacy"},
		{"To_Account":"a","AddSource":"AddSource_Type_Legacy"}]}`, 0)
	if got := codes(t, env["ResultItem"]); fmt.Sprint(got) != "map[a:30001 b:0 c:0 ghost:30003]" {
		t.Fatalf("results %v", got)
	}
	if got := us.rels(t, "a", "b", "c"); got["b"] != "AWithB" || got["c"] != "AWithB" {
		t.Fatalf("one way only: %v", got)
	}
	env = us.must(t, pathFriendGet, `{"From_Account":"a","StartIndex":0}`, 0)
	want := []string{
		"b: AddSource=AddSource_Type_Legacy Remark=Bee RemarkTime=1690000000 Group=[Family Close] AddWording=migrated AddTime=1680000000 Since=2019 Note=7",
		fmt.Sprintf("c: AddSource=AddSource_Type_Legacy AddTime=%d", testEpoch.Unix()),
	}
	if got := valueItems(t, env["UserDataItem"]); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("friend_get:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if events := eventsOf(us.rec.take()); fmt.Sprint(events) != "map[a:[FriendAdded]]" {
		t.Fatalf("events %v", events)
	}
	us.must(t, pathFriendImport, `{"From_Account":"a","AddFriendItem":[{"To_Account":"b","AddSource":"AddSource_Type_Again"}]}`, 0)
	env = us.must(t, pathFriendGetList, `{"From_Account":"a","To_Account":["b"],"TagList":["Tag_SNS_IM_AddSource","Tag_SNS_IM_Remark"]}`, 0)
	if got := fmt.Sprint(list(t, list(t, env["InfoItem"])[0]["SnsProfileItem"])); got != "[map[Tag:Tag_SNS_IM_AddSource Value:AddSource_Type_Again]]" {
		t.Fatalf("a replaced entry: %s", got)
	}

	names := make([]string, 31)
	for i := range names {
		names[i] = fmt.Sprint("L", i)
	}
	us.must(t, pathListAdd, jsonBody(t, map[string]any{"From_Account": "c", "GroupName": names}), 0)
	env = us.must(t, pathFriendImport, `{"From_Account":"c","AddFriendItem":[{"To_Account":"a","AddSource":"AddSource_Type_T","GroupName":["N1","N2"]},{"To_Account":"b","AddSource":"AddSource_Type_T","GroupName":["N1","L0"]}]}`, 0)
	if got := codes(t, env["ResultItem"]); got["a"] != 30011 || got["b"] != 0 {
		t.Fatalf("lists at their limit: %v", got)
	}

	for _, tt := range []struct {
		name, body string
		code       int
	}{
		{"undeclared custom field", `{"From_Account":"a","AddFriendItem":[{"To_Account":"b","AddSource":"AddSource_Type_T","CustomItem":[{"Tag":"Tag_SNS_Custom_Nope","Value":"x"}]}]}`, 30001},
		{"custom value neither string nor integer", `{"From_Account":"a","AddFriendItem":[{"To_Account":"b","AddSource":"AddSource_Type_T","CustomItem":[{"Tag":"Tag_SNS_Custom_Note","Value":true}]}]}`, 30001},
		{"custom value over 500 bytes", jsonBody(t, map[string]any{"From_Account": "a", "AddFriendItem": []any{map[string]any{"To_Account": "b", "AddSource": "AddSource_Type_T", "CustomItem": []any{item("Tag_SNS_Custom_Note", strings.Repeat("n", 501))}}}}), 30001},
		{"empty list name", `{"From_Account":"a","AddFriendItem":[{"To_Account":"b","AddSource":"AddSource_Type_T","GroupName":[""]}]}`, 30001},
		{"no AddSource", `{"From_Account":"a","AddFriendItem":[{"To_Account":"b"}]}`, 30001},
		{"negative AddTime", `{"From_Account":"a","AddFriendItem":[{"To_Account":"b","AddSource":"AddSource_Type_T","AddTime":-1}]}`, 30001},
		{"GroupName a string", `{"From_Account":"a","AddFriendItem":[{"To_Account":"b","AddSource":"AddSource_Type_T","GroupName":"g"}]}`, 30001},
		{"From_Account not imported", `{"From_Account":"ghost","AddFriendItem":[{"To_Account":"b","AddSource":"AddSource_Type_T"}]}`, 30003},
		{"no items", `{"From_Account":"a"}`, 30001},
	} {
		t.Run(tt.name, func(t *testing.T) { us.must(t, pathFriendImport, tt.body, tt.code) })
	}
	over := make([]any, relation.MaxBatch+1)
	for i := range over {
		over[i] = map[string]any{"To_Account": fmt.Sprint("u", i), "AddSource": "AddSource_Type_T"}
	}
	us.must(t, pathFriendImport, jsonBody(t, map[string]any{"From_Account": "a", "AddFriendItem": over}), 30001)
}

// TestFriendUpdate: remark, lists and custom fields of existing friends,
// on the owner's side only.
func TestFriendUpdate(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "a", "b", "c")
	us.addFriends(t, "a", relation.AddBoth, 1, "b")
	before := us.must(t, pathFriendGet, `{"From_Account":"a","StartIndex":0}`, 0)
	us.rec.take()
	us.clock.Advance(10e9)
	env := us.must(t, pathFriendUpdate, `{"From_Account":"a","UpdateItem":[
		{"To_Account":"b","SnsItem":[{"Tag":"Tag_SNS_IM_Remark","Value":"Robert"},{"Tag":"Tag_SNS_IM_Group","Value":["Work","Chess club"]},{"Tag":"Tag_SNS_Custom_Since","Value":"2021"}]},
		{"To_Account":"c","SnsItem":[{"Tag":"Tag_SNS_IM_Remark","Value":"x"}]}]}`, 0)
	if got := codes(t, env["ResultItem"]); got["b"] != 0 || got["c"] != 30001 {
		t.Fatalf("results %v", got)
	}
	if strs(t, env["Fail_Account"])[0] != "c" {
		t.Fatalf("Fail_Account %v", env["Fail_Account"])
	}
	after := us.must(t, pathFriendGet, `{"From_Account":"a","StartIndex":0}`, 0)
	want := fmt.Sprintf("b: AddSource=AddSource_Type_Test Remark=Robert RemarkTime=%d Group=[Work Chess club] AddTime=%d Since=2021", testEpoch.Unix()+10, testEpoch.Unix())
	if got := valueItems(t, after["UserDataItem"]); got[0] != want {
		t.Fatalf("after:\n%s\nwant\n%s", got[0], want)
	}
	for _, seq := range []string{"StandardSequence", "CustomSequence"} {
		if num(t, after[seq]) != num(t, before[seq])+1 {
			t.Errorf("%s %v -> %v", seq, before[seq], after[seq])
		}
	}
	lists := us.must(t, pathListGet, `{"From_Account":"a","LastSequence":0}`, 0)
	if fmt.Sprint(list(t, lists["ResultItem"])) != "[map[FriendNumber:1 GroupName:Work] map[FriendNumber:1 GroupName:Chess club]]" {
		t.Fatalf("lists made by the update: %v", lists["ResultItem"])
	}
	bSide := us.must(t, pathFriendGet, `{"From_Account":"b","StartIndex":0}`, 0)
	if got := valueItems(t, bSide["UserDataItem"]); len(got) != 1 || strings.Contains(got[0], "Remark") {
		t.Fatalf("b's side changed: %v", got)
	}
	if events := eventsOf(us.rec.take()); fmt.Sprint(events) != "map[a:[FriendUpdated]]" {
		t.Fatalf("events %v", events)
	}

	for _, tt := range []struct {
		name, body string
		code       int
	}{
		{"a tag that cannot be updated", `{"From_Account":"a","UpdateItem":[{"To_Account":"b","SnsItem":[{"Tag":"Tag_SNS_IM_AddSource","Value":"AddSource_Type_X"}]}]}`, 30001},
		{"undeclared custom field", `{"From_Account":"a","UpdateItem":[{"To_Account":"b","SnsItem":[{"Tag":"Tag_SNS_Custom_Nope","Value":"x"}]}]}`, 30001},
		{"remark over 96 bytes", jsonBody(t, map[string]any{"From_Account": "a", "UpdateItem": []any{map[string]any{"To_Account": "b", "SnsItem": []any{item("Tag_SNS_IM_Remark", strings.Repeat("r", 97))}}}}), 30001},
		{"lists not an array", `{"From_Account":"a","UpdateItem":[{"To_Account":"b","SnsItem":[{"Tag":"Tag_SNS_IM_Group","Value":"Work"}]}]}`, 30001},
		{"a list name over 30 bytes", jsonBody(t, map[string]any{"From_Account": "a", "UpdateItem": []any{map[string]any{"To_Account": "b", "SnsItem": []any{item("Tag_SNS_IM_Group", []string{strings.Repeat("g", 31)})}}}}), 30001},
		{"no SnsItem", `{"From_Account":"a","UpdateItem":[{"To_Account":"b"}]}`, 30001},
		{"no UpdateItem", `{"From_Account":"a"}`, 30001},
		{"From_Account not imported", `{"From_Account":"ghost","UpdateItem":[{"To_Account":"b","SnsItem":[{"Tag":"Tag_SNS_IM_Remark","Value":"x"}]}]}`, 30003},
	} {
		t.Run(tt.name, func(t *testing.T) { us.must(t, pathFriendUpdate, tt.body, tt.code) })
	}
	over := make([]any, relation.MaxBatch+1)
	for i := range over {
		over[i] = map[string]any{"To_Account": "b", "SnsItem": []any{item("Tag_SNS_IM_Remark", "r")}}
	}
	us.must(t, pathFriendUpdate, jsonBody(t, map[string]any{"From_Account": "a", "UpdateItem": over}), 30001)
}

// TestFriendDelete: single removes one direction, both removes both; a
// target that is not a friend fails alone with 31704; and friend_delete_all.
func TestFriendDelete(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "a", "b", "c", "d", "e")
	us.addFriends(t, "a", relation.AddBoth, 1, "b", "c", "d")
	us.rec.take()
	env := us.must(t, pathFriendDelete, `{"From_Account":"a","To_Account":["b","zed"]}`, 0)
	sameKeys(t, "friend_delete", env, "ActionStatus", "ErrorCode", "ErrorInfo", "ErrorDisplay", "RequestId", "ResultItem")
	items := list(t, env["ResultItem"])
	if num(t, items[0]["ResultCode"]) != 0 || num(t, items[1]["ResultCode"]) != 31704 || items[1]["ResultInfo"] != "not friends" {
		t.Fatalf("results %v", items)
	}
	if got := us.rels(t, "a", "b")["b"]; got != "BWithA" {
		t.Fatalf("after a single delete: %s", got)
	}
	us.must(t, pathFriendDelete, `{"From_Account":"a","To_Account":["c"],"DeleteType":"Delete_Type_Both"}`, 0)
	if got := us.rels(t, "a", "c")["c"]; got != "NoRelation" {
		t.Fatalf("after a both-ways delete: %s", got)
	}
	if events := eventsOf(us.rec.take()); fmt.Sprint(events) != "map[a:[FriendDeleted FriendDeleted] c:[FriendDeleted]]" {
		t.Fatalf("events %v", events)
	}
	// b still has a: a one-way friend of b is not a friend of a's to delete.
	if got := codes(t, us.must(t, pathFriendDelete, `{"From_Account":"a","To_Account":["b"],"DeleteType":"Delete_Type_Both"}`, 0)["ResultItem"])["b"]; got != 31704 {
		t.Fatalf("deleting someone who only has a: %d", got)
	}

	for _, tt := range []struct {
		name, body string
		code       int
	}{
		{"bad DeleteType", `{"From_Account":"a","To_Account":["d"],"DeleteType":"Delete_Type_All"}`, 30001},
		{"no To_Account", `{"From_Account":"a"}`, 30001},
		{"From_Account not imported", `{"From_Account":"ghost","To_Account":["d"]}`, 30003},
		{"1001 targets", jsonBody(t, map[string]any{"From_Account": "a", "To_Account": ids("u", 1001)}), 30001},
		{"1000 targets", jsonBody(t, map[string]any{"From_Account": "a", "To_Account": ids("u", 1000)}), 0},
	} {
		t.Run(tt.name, func(t *testing.T) { us.must(t, pathFriendDelete, tt.body, tt.code) })
	}

	us.addFriends(t, "e", relation.AddBoth, 1, "b", "c", "d")
	us.must(t, pathFriendDelAll, `{"From_Account":"e"}`, 0)
	if got := us.rels(t, "e", "b", "c", "d"); fmt.Sprint(got) != "map[b:BWithA c:BWithA d:BWithA]" {
		t.Fatalf("after delete_all single: %v", got)
	}
	us.addFriends(t, "e", relation.AddSingle, 1, "b")
	env = us.must(t, pathFriendDelAll, `{"From_Account":"e","DeleteType":"Delete_Type_Both"}`, 0)
	sameKeys(t, "friend_delete_all", env, "ActionStatus", "ErrorCode", "ErrorInfo", "ErrorDisplay", "RequestId")
	if got := us.rels(t, "e", "b", "c", "d"); fmt.Sprint(got) != "map[b:NoRelation c:BWithA d:BWithA]" {
		t.Fatalf("after delete_all both: %v (only e's friends lose e)", got)
	}
	us.must(t, pathFriendDelAll, `{"From_Account":"e","DeleteType":"x"}`, 30001)
	us.must(t, pathFriendDelAll, `{"From_Account":"ghost"}`, 30003)
	us.must(t, pathFriendDelAll, `{}`, 30001)
}

// TestFriendCheck: every relation value of S6 in both modes.
func TestFriendCheck(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "a", "both", "mine", "theirs", "none")
	us.addFriends(t, "a", relation.AddBoth, 1, "both")
	us.addFriends(t, "a", relation.AddSingle, 1, "mine")
	us.addFriends(t, "theirs", relation.AddSingle, 1, "a")
	if got := us.rels(t, "a", "both", "mine", "theirs", "none", "ghost"); fmt.Sprint(got) != "map[both:BothWay ghost:NoRelation mine:AWithB none:NoRelation theirs:BWithA]" {
		t.Fatalf("both ways: %v", got)
	}
	env := us.must(t, pathFriendCheck, `{"From_Account":"a","To_Account":["both","mine","theirs","none"],"CheckType":"CheckResult_Type_Single"}`, 0)
	var got []string
	for _, it := range list(t, env["InfoItem"]) {
		got = append(got, it["Relation"].(string))
		if num(t, it["ResultCode"]) != 0 || it["ResultInfo"] != "" {
			t.Errorf("item %v", it)
		}
	}
	if strings.Join(got, " ") != "CheckResult_Type_AWithB CheckResult_Type_AWithB CheckResult_Type_NoRelation CheckResult_Type_NoRelation" {
		t.Fatalf("single: %v", got)
	}
	for _, tt := range []struct {
		name, body string
		code       int
	}{
		{"no CheckType", `{"From_Account":"a","To_Account":["both"]}`, 30001},
		{"bad CheckType", `{"From_Account":"a","To_Account":["both"],"CheckType":"BlackCheckResult_Type_Both"}`, 30001},
		{"From_Account not imported", `{"From_Account":"ghost","To_Account":["both"],"CheckType":"CheckResult_Type_Both"}`, 30003},
		{"1001 targets", jsonBody(t, map[string]any{"From_Account": "a", "To_Account": ids("u", 1001), "CheckType": "CheckResult_Type_Both"}), 30001},
		{"1000 targets", jsonBody(t, map[string]any{"From_Account": "a", "To_Account": ids("u", 1000), "CheckType": "CheckResult_Type_Both"}), 0},
	} {
		t.Run(tt.name, func(t *testing.T) { us.must(t, pathFriendCheck, tt.body, tt.code) })
	}
}

// TestFriendGet: pages of 100 in UserID order until CompleteFlag, and
// sequences that leave out what the caller has.
func TestFriendGet(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "a")
	friends := ids("f", 250)
	for i := 0; i < len(friends); i += 100 {
		us.importAccounts(t, friends[i:min(i+100, len(friends))]...)
	}
	items := make([]any, len(friends))
	for i, f := range friends {
		items[i] = map[string]any{"To_Account": f, "AddSource": "AddSource_Type_T", "CustomItem": []any{item("Tag_SNS_Custom_Note", "n")}}
	}
	us.must(t, pathFriendImport, jsonBody(t, map[string]any{"From_Account": "a", "AddFriendItem": items}), 0)
	var seen []string
	start := 0
	var last map[string]any
	for page := 0; ; page++ {
		last = us.must(t, pathFriendGet, fmt.Sprintf(`{"From_Account":"a","StartIndex":%d}`, start), 0)
		for _, d := range list(t, last["UserDataItem"]) {
			seen = append(seen, d["To_Account"].(string))
		}
		if num(t, last["FriendNum"]) != 250 {
			t.Fatalf("FriendNum %v", last["FriendNum"])
		}
		if num(t, last["CompleteFlag"]) != 0 {
			if num(t, last["NextStartIndex"]) != 0 || page != 2 {
				t.Fatalf("last page %d: NextStartIndex %v", page, last["NextStartIndex"])
			}
			break
		}
		start = int(num(t, last["NextStartIndex"]))
	}
	if fmt.Sprint(seen) != fmt.Sprint(sorted(friends)) {
		t.Fatalf("paged through %d friends, not every one once in order", len(seen))
	}
	body := fmt.Sprintf(`{"From_Account":"a","StartIndex":0,"StandardSequence":%s,"CustomSequence":%s}`, last["StandardSequence"], last["CustomSequence"])
	env := us.must(t, pathFriendGet, body, 0)
	if got := valueItems(t, env["UserDataItem"])[0]; got != "f0: " {
		t.Fatalf("with both sequences current: %q", got)
	}
	body = fmt.Sprintf(`{"From_Account":"a","StartIndex":0,"StandardSequence":%s}`, last["StandardSequence"])
	if got := valueItems(t, us.must(t, pathFriendGet, body, 0)["UserDataItem"])[0]; got != "f0: Note=n" {
		t.Fatalf("with the standard sequence current: %q", got)
	}
	us.must(t, pathFriendGet, `{"From_Account":"a","StartIndex":-1}`, 30001)
	us.must(t, pathFriendGet, `{"From_Account":"ghost","StartIndex":0}`, 30003)
	us.must(t, pathFriendGet, `{"StartIndex":0}`, 30001)
	us.must(t, pathFriendGet, `{"From_Account":"a","StartIndex":"0"}`, 30001)
}

// TestFriendGetList: friend and profile fields mixed as TagList asks,
// per-friend failures, and the tag and batch checks.
func TestFriendGetList(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "a", "b", "c")
	us.must(t, pathFriendImport, `{"From_Account":"a","AddFriendItem":[{"To_Account":"b","AddSource":"AddSource_Type_T","Remark":"Robert","GroupName":["Work"],"CustomItem":[{"Tag":"Tag_SNS_Custom_Since","Value":"2019"}]}]}`, 0)
	us.set(t, "b", item("Tag_Profile_IM_Nick", "Bob"), item("Tag_Profile_IM_Level", 3))
	env := us.must(t, pathFriendGetList, `{"From_Account":"a","To_Account":["b","c"],"TagList":["Tag_SNS_IM_Remark","Tag_Profile_IM_Nick","Tag_SNS_IM_Group","Tag_Profile_IM_Image","Tag_SNS_Custom_Since","Tag_Profile_IM_Level"]}`, 0)
	infos := list(t, env["InfoItem"])
	if got := fmt.Sprint(list(t, infos[0]["SnsProfileItem"])); got != "[map[Tag:Tag_SNS_IM_Remark Value:Robert] map[Tag:Tag_Profile_IM_Nick Value:Bob] map[Tag:Tag_SNS_IM_Group Value:[Work]] map[Tag:Tag_SNS_Custom_Since Value:2019] map[Tag:Tag_Profile_IM_Level Value:3]]" {
		t.Fatalf("b: %s", got)
	}
	if num(t, infos[1]["ResultCode"]) != 30001 || strs(t, env["Fail_Account"])[0] != "c" {
		t.Fatalf("c, not a friend: %v / %v", infos[1], env["Fail_Account"])
	}
	for _, tt := range []struct {
		name, body string
		code       int
	}{
		{"unknown tag", `{"From_Account":"a","To_Account":["b"],"TagList":["Tag_SNS_IM_Nope"]}`, 30001},
		{"undeclared custom tag", `{"From_Account":"a","To_Account":["b"],"TagList":["Tag_SNS_Custom_Nope"]}`, 30001},
		{"no TagList", `{"From_Account":"a","To_Account":["b"]}`, 30001},
		{"From_Account not imported", `{"From_Account":"ghost","To_Account":["b"],"TagList":["Tag_SNS_IM_Remark"]}`, 30003},
		{"101 friends", jsonBody(t, map[string]any{"From_Account": "a", "To_Account": ids("u", 101), "TagList": []string{"Tag_SNS_IM_Remark"}}), 30001},
		{"100 friends", jsonBody(t, map[string]any{"From_Account": "a", "To_Account": ids("u", 100), "TagList": []string{"Tag_SNS_IM_Remark"}}), 0},
	} {
		t.Run(tt.name, func(t *testing.T) { us.must(t, pathFriendGetList, tt.body, tt.code) })
	}
}
