package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestFriendLists: creating lists with friends in them, deleting lists
// (their friends stay friends), pulling them, and the version each change
// moves on.
func TestFriendLists(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "a", "b", "c")
	us.addFriends(t, "a", "", 1, "b", "c")
	us.rec.take()

	env := us.must(t, pathListAdd, `{"From_Account":"a","GroupName":["Chess club","Neighbours"],"To_Account":["b","zed"]}`, 0)
	if got := codes(t, env["ResultItem"]); got["b"] != 0 || got["zed"] != 30001 || strs(t, env["Fail_Account"])[0] != "zed" {
		t.Fatalf("group_add: %v", env)
	}
	if num(t, env["CurrentSequence"]) != 1 {
		t.Fatalf("CurrentSequence %v", env["CurrentSequence"])
	}
	env = us.must(t, pathListAdd, `{"From_Account":"a","GroupName":["Chess club","Work"]}`, 0)
	if _, ok := env["ResultItem"]; ok || num(t, env["CurrentSequence"]) != 2 {
		t.Fatalf("group_add without friends: %v", env)
	}
	env = us.must(t, pathListAdd, `{"From_Account":"a","GroupName":["Work"]}`, 0)
	if num(t, env["CurrentSequence"]) != 2 {
		t.Fatalf("adding a list that exists changed the version: %v", env["CurrentSequence"])
	}
	if events := eventsOf(us.rec.take()); fmt.Sprint(events) != "map[a:[FriendListsAdded FriendListsAdded]]" {
		t.Fatalf("events %v", events)
	}

	env = us.must(t, pathListGet, `{"From_Account":"a","LastSequence":0,"NeedFriend":"Need_Friend_Type_Yes"}`, 0)
	if got := fmt.Sprint(list(t, env["ResultItem"])); got != "[map[FriendNumber:1 GroupName:Chess club To_Account:[b]] map[FriendNumber:1 GroupName:Neighbours To_Account:[b]] map[FriendNumber:0 GroupName:Work To_Account:[]]]" {
		t.Fatalf("group_get with friends: %s", got)
	}
	env = us.must(t, pathListGet, `{"From_Account":"a","LastSequence":0}`, 0)
	if got := fmt.Sprint(list(t, env["ResultItem"])); got != "[map[FriendNumber:1 GroupName:Chess club] map[FriendNumber:1 GroupName:Neighbours] map[FriendNumber:0 GroupName:Work]]" {
		t.Fatalf("group_get with counts: %s", got)
	}
	env = us.must(t, pathListGet, `{"From_Account":"a","LastSequence":2}`, 0)
	if len(list(t, env["ResultItem"])) != 0 || num(t, env["CurrentSequence"]) != 2 {
		t.Fatalf("group_get at the current version: %v", env)
	}
	env = us.must(t, pathListGet, `{"From_Account":"a","LastSequence":2,"GroupName":["Chess club","Nope"]}`, 0)
	if got := fmt.Sprint(list(t, env["ResultItem"])); got != "[map[FriendNumber:1 GroupName:Chess club To_Account:[b]]]" {
		t.Fatalf("group_get of named lists: %s", got)
	}

	env = us.must(t, pathListDelete, `{"From_Account":"a","GroupName":["Chess club","Nope"]}`, 0)
	if num(t, env["CurrentSequence"]) != 3 {
		t.Fatalf("group_delete: %v", env)
	}
	if got := us.rels(t, "a", "b")["b"]; got != "BothWay" {
		t.Fatalf("b after its list went: %s", got)
	}
	env = us.must(t, pathFriendGetList, `{"From_Account":"a","To_Account":["b"],"TagList":["Tag_SNS_IM_Group"]}`, 0)
	if got := fmt.Sprint(list(t, list(t, env["InfoItem"])[0]["SnsProfileItem"])); got != "[map[Tag:Tag_SNS_IM_Group Value:[Neighbours]]]" {
		t.Fatalf("b's lists: %s", got)
	}

	thirty := make([]string, 30) // with Neighbours and Work: 32
	for i := range thirty {
		thirty[i] = fmt.Sprint("L", i)
	}
	us.must(t, pathListAdd, jsonBody(t, map[string]any{"From_Account": "a", "GroupName": thirty}), 0)
	us.must(t, pathListAdd, `{"From_Account":"a","GroupName":["One more"]}`, 30011)

	for _, tt := range []struct {
		path, body string
		code       int
	}{
		{pathListAdd, jsonBody(t, map[string]any{"From_Account": "c", "GroupName": ids("G", 33)}), 30001},
		{pathListAdd, `{"From_Account":"c","GroupName":[""]}`, 30001},
		{pathListAdd, jsonBody(t, map[string]any{"From_Account": "c", "GroupName": []string{strings.Repeat("g", 31)}}), 30001},
		{pathListAdd, `{"From_Account":"c","GroupName":[]}`, 30001},
		{pathListAdd, jsonBody(t, map[string]any{"From_Account": "c", "GroupName": []string{"g"}, "To_Account": ids("u", 1001)}), 30001},
		{pathListAdd, `{"From_Account":"ghost","GroupName":["g"]}`, 30003},
		{pathListDelete, jsonBody(t, map[string]any{"From_Account": "c", "GroupName": ids("G", 33)}), 30001},
		{pathListDelete, `{"From_Account":"c"}`, 30001},
		{pathListDelete, `{"From_Account":"ghost","GroupName":["g"]}`, 30003},
		{pathListGet, `{"From_Account":"c","LastSequence":0,"NeedFriend":"Yes"}`, 30001},
		{pathListGet, `{"From_Account":"ghost","LastSequence":0}`, 30003},
		{pathListGet, `{"LastSequence":0}`, 30001},
	} {
		t.Run(tt.path+" "+tt.body[:min(len(tt.body), 40)], func(t *testing.T) { us.must(t, tt.path, tt.body, tt.code) })
	}
	us.must(t, pathListAdd, jsonBody(t, map[string]any{"From_Account": "c", "GroupName": ids("G", 32)}), 0)
}
