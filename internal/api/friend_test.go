package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/relation"
)

// addFriends calls friend_add for one item per target and returns the
// answer.
func (us *usersServer) addFriends(t *testing.T, from, addType string, force int, to ...string) map[string]any {
	t.Helper()
	items := make([]any, len(to))
	for i, id := range to {
		items[i] = map[string]any{"To_Account": id, "AddSource": "AddSource_Type_Test"}
	}
	return us.must(t, pathFriendAdd, jsonBody(t, map[string]any{"From_Account": from, "AddFriendItem": items, "AddType": addType, "ForceAddFlags": force}), 0)
}

// TestFriendAddAllowTypeMatrix: the target's AllowType decides (S6), for
// both AddTypes, with and without ForceAddFlags; what is written is what
// friend_check sees, and every side hears of what concerns it.
func TestFriendAddAllowTypeMatrix(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "a")
	allows := []string{"", "AllowType_Type_AllowAny", "AllowType_Type_NeedConfirm", "AllowType_Type_DenyAny"}
	n := 0
	for _, allow := range allows {
		for _, addType := range []string{"", relation.AddBoth, relation.AddSingle} {
			for _, force := range []int{0, 1} {
				n++
				to := fmt.Sprintf("t%d", n)
				name := fmt.Sprintf("%s/allow=%s/type=%s/force=%d", to, allow, addType, force)
				t.Run(name, func(t *testing.T) {
					us.importAccounts(t, to)
					if allow != "" {
						us.set(t, to, item(tagAllowType, allow))
					}
					us.rec.take()
					env := us.addFriends(t, "a", addType, force, to)
					want := map[string]int64{"": 30539, "AllowType_Type_AllowAny": 0, "AllowType_Type_NeedConfirm": 30539, "AllowType_Type_DenyAny": 30516}[allow]
					if force == 1 {
						want = 0
					}
					if got := codes(t, env["ResultItem"])[to]; got != want {
						t.Fatalf("ResultCode %d, want %d", got, want)
					}
					if fail, listed := env["Fail_Account"]; (want != 0) != listed || listed && strs(t, fail)[0] != to {
						t.Fatalf("Fail_Account %v for code %d", fail, want)
					}
					rel := map[bool]string{true: "BothWay", false: "AWithB"}[addType != relation.AddSingle]
					if want != 0 {
						rel = "NoRelation"
					}
					if got := us.rels(t, "a", to)[to]; got != rel {
						t.Fatalf("relation %s, want %s", got, rel)
					}
					// Each user hears of a change of their own table, and
					// both of a request.
					wantEvents := map[string][]string{}
					switch {
					case want == 30539:
						wantEvents = map[string][]string{"a": {"FriendRequest"}, to: {"FriendRequest"}}
					case want == 0 && rel == "BothWay":
						wantEvents = map[string][]string{"a": {"FriendAdded"}, to: {"FriendAdded"}}
					case want == 0:
						wantEvents = map[string][]string{"a": {"FriendAdded"}}
					}
					if events := eventsOf(us.rec.take()); fmt.Sprint(events) != fmt.Sprint(wantEvents) {
						t.Fatalf("events %v, want %v", events, wantEvents)
					}
				})
			}
		}
	}
}

// TestFriendRequests: a pending request is listed on both sides and
// answered by the target: accepted one way (Agree) or both ways
// (AgreeAndAdd), or rejected; the answer reaches both.
func TestFriendRequests(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "a", "b", "c", "d", "e")
	ctx := t.Context()
	req := `{"From_Account":"a","AddType":"Add_Type_Both","AddFriendItem":[{"To_Account":"b","AddSource":"AddSource_Type_Web","Remark":"Bee","GroupName":"Work","AddWording":"hi"}]}`
	if got := codes(t, us.must(t, pathFriendAdd, req, 0)["ResultItem"])["b"]; got != 30539 {
		t.Fatalf("to a NeedConfirm target: %d", got)
	}
	us.must(t, pathFriendAdd, req, 0) // sent again: the same request, refreshed
	for _, user := range []string{"a", "b"} {
		got, err := us.relations.Requests(ctx, testAppID, user)
		if err != nil || len(got.RequestItem) != 1 {
			t.Fatalf("%s's requests: %+v, %v", user, got, err)
		}
		if q := got.RequestItem[0]; q.From != "a" || q.To != "b" || q.AddWording != "hi" || q.AddType != relation.AddBoth || q.AddTime != testEpoch.Unix() {
			t.Fatalf("request %+v", q)
		}
	}
	us.rec.take()

	respond := func(user, from, action string) error {
		return us.relations.Respond(ctx, testAppID, user, &relation.RespondRequest{From: from, ResponseAction: action, Remark: "back", GroupName: "Mine"})
	}
	if err := respond("b", "a", relation.Agree); err != nil {
		t.Fatal(err)
	}
	if got := us.rels(t, "a", "b")["b"]; got != "AWithB" {
		t.Fatalf("after Agree: %s", got)
	}
	env := us.must(t, pathFriendGetList, `{"From_Account":"a","To_Account":["b"],"TagList":["Tag_SNS_IM_Remark","Tag_SNS_IM_Group","Tag_SNS_IM_AddWording"]}`, 0)
	if got := fmt.Sprint(list(t, list(t, env["InfoItem"])[0]["SnsProfileItem"])); got != "[map[Tag:Tag_SNS_IM_Remark Value:Bee] map[Tag:Tag_SNS_IM_Group Value:[Work]] map[Tag:Tag_SNS_IM_AddWording Value:hi]]" {
		t.Fatalf("the requester's side: %s", got)
	}
	events := eventsOf(us.rec.take())
	if fmt.Sprint(events) != "map[a:[FriendRequestAccepted FriendAdded] b:[FriendRequestAccepted]]" {
		t.Fatalf("events of the answer: %v", events)
	}
	if err := respond("b", "a", relation.Agree); codeOf(err) != 30614 {
		t.Fatalf("answering twice: %v", err)
	}

	us.addFriends(t, "c", "", 0, "b")
	if err := respond("b", "c", relation.Reject); err != nil {
		t.Fatal(err)
	}
	if got := us.rels(t, "c", "b")["b"]; got != "NoRelation" {
		t.Fatalf("after Reject: %s", got)
	}
	if events := eventsOf(us.rec.take()); fmt.Sprint(events) != "map[b:[FriendRequest FriendRequestRejected] c:[FriendRequest FriendRequestRejected]]" {
		t.Fatalf("events of a rejection: %v", events)
	}

	us.addFriends(t, "d", relation.AddSingle, 0, "b")
	if err := respond("b", "d", relation.AgreeAndAdd); err != nil {
		t.Fatal(err)
	}
	if got := us.rels(t, "d", "b")["b"]; got != "BothWay" {
		t.Fatalf("after AgreeAndAdd: %s", got)
	}
	env = us.must(t, pathFriendGetList, `{"From_Account":"b","To_Account":["d"],"TagList":["Tag_SNS_IM_Remark","Tag_SNS_IM_Group"]}`, 0)
	if got := fmt.Sprint(list(t, list(t, env["InfoItem"])[0]["SnsProfileItem"])); got != "[map[Tag:Tag_SNS_IM_Remark Value:back] map[Tag:Tag_SNS_IM_Group Value:[Mine]]]" {
		t.Fatalf("the target's side: %s", got)
	}

	// A blocklist set up after the request stands in the way of the answer.
	us.addFriends(t, "e", "", 0, "b")
	us.must(t, pathBlockAdd, `{"From_Account":"b","To_Account":["e"]}`, 0)
	if err := respond("b", "e", relation.AgreeAndAdd); codeOf(err) != 30515 {
		t.Fatalf("accepting someone one blocked: %v", err)
	}
	if err := respond("b", "e", "Response_Action_Maybe"); codeOf(err) != 30001 {
		t.Fatalf("an unknown ResponseAction: %v", err)
	}
}

// TestFriendAddItems: every per-item outcome of friend_add, decided in
// order within one mixed batch, and the request's own errors.
func TestFriendAddItems(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "a", "friend", "open", "mine", "theirs", "deny", "pend", "forbidden", "x")
	for _, u := range []string{"friend", "open", "mine", "theirs", "x"} {
		us.set(t, u, item(tagAllowType, "AllowType_Type_AllowAny"))
	}
	us.set(t, "deny", item(tagAllowType, "AllowType_Type_DenyAny"))
	us.addFriends(t, "a", "", 1, "friend")
	us.must(t, pathBlockAdd, `{"From_Account":"a","To_Account":["mine"]}`, 0)
	us.must(t, pathBlockAdd, `{"From_Account":"theirs","To_Account":["a"]}`, 0)

	env := us.addFriends(t, "a", "", 0, "a", "ghost", "friend", "mine", "theirs", "deny", "pend", "open", "open")
	want := map[string]int64{"a": 30001, "ghost": 30003, "friend": 30001, "mine": 30515, "theirs": 30525, "deny": 30516, "pend": 30539}
	items := list(t, env["ResultItem"])
	if len(items) != 9 {
		t.Fatalf("%d results for 9 items", len(items))
	}
	for _, it := range items[:8] {
		if got := num(t, it["ResultCode"]); got != want[it["To_Account"].(string)] {
			t.Errorf("%s: %d, want %d", it["To_Account"], got, want[it["To_Account"].(string)])
		}
	}
	if items[2]["ResultInfo"] != "Err_SNS_FriendAdd_Friend_Exist" || num(t, items[8]["ResultCode"]) != 30001 {
		t.Errorf("already a friend, and the second of a repeated target: %v / %v", items[2], items[8])
	}
	if got := strings.Join(strs(t, env["Fail_Account"]), ","); got != "a,ghost,friend,mine,theirs,deny,pend,open" {
		t.Errorf("Fail_Account %s", got)
	}

	// An admin's ban on requests holds unless the admin forces the add.
	us.set(t, "forbidden", item(tagAdminForbidType, "AdminForbid_Type_SendOut"))
	if got := codes(t, us.addFriends(t, "forbidden", "", 0, "x")["ResultItem"])["x"]; got != 30009 {
		t.Fatalf("a banned requester: %d", got)
	}
	if got := codes(t, us.addFriends(t, "forbidden", "", 1, "x")["ResultItem"])["x"]; got != 0 {
		t.Fatalf("a forced add for a banned requester: %d", got)
	}

	// 32 lists is the most; the 33rd, as a GroupName, fails its item.
	names := make([]string, 32)
	for i := range names {
		names[i] = fmt.Sprintf("L%d", i)
	}
	us.must(t, pathListAdd, jsonBody(t, map[string]any{"From_Account": "x", "GroupName": names}), 0)
	us.importAccounts(t, "y", "z")
	body := `{"From_Account":"x","ForceAddFlags":1,"AddFriendItem":[{"To_Account":"y","AddSource":"AddSource_Type_T","GroupName":"L33"},{"To_Account":"z","AddSource":"AddSource_Type_T","GroupName":"L0"}]}`
	if got := codes(t, us.must(t, pathFriendAdd, body, 0)["ResultItem"]); got["y"] != 30011 || got["z"] != 0 {
		t.Fatalf("lists at their limit: %v", got)
	}

	// 100 pending requests is the most one user may have sent.
	targets := ids("p", 101)
	us.importAccounts(t, targets[:100]...)
	us.importAccounts(t, targets[100:]...)
	us.addFriends(t, "z", "", 0, targets[:100]...)
	if got := codes(t, us.addFriends(t, "z", "", 0, targets[100])["ResultItem"])[targets[100]]; got != 30012 {
		t.Fatalf("the 101st pending request: %d", got)
	}
	if got := codes(t, us.addFriends(t, "z", "", 0, targets[0])["ResultItem"])[targets[0]]; got != 30539 {
		t.Fatalf("a pending request sent again: %d", got)
	}

	for _, tt := range []struct {
		name, body string
		code       int
	}{
		{"no From_Account", `{"AddFriendItem":[{"To_Account":"x","AddSource":"AddSource_Type_T"}]}`, 30001},
		{"From_Account not imported", `{"From_Account":"ghost","AddFriendItem":[{"To_Account":"x","AddSource":"AddSource_Type_T"}]}`, 30003},
		{"no items", `{"From_Account":"a","AddFriendItem":[]}`, 30001},
		{"bad AddType", `{"From_Account":"a","AddType":"Add_Type_Some","AddFriendItem":[{"To_Account":"x","AddSource":"AddSource_Type_T"}]}`, 30001},
		{"bad ForceAddFlags", `{"From_Account":"a","ForceAddFlags":2,"AddFriendItem":[{"To_Account":"x","AddSource":"AddSource_Type_T"}]}`, 30001},
		{"no AddSource", `{"From_Account":"a","AddFriendItem":[{"To_Account":"x"}]}`, 30001},
		{"AddSource keyword too long", `{"From_Account":"a","AddFriendItem":[{"To_Account":"x","AddSource":"AddSource_Type_Abcdefghi"}]}`, 30001},
		{"AddSource keyword not letters", `{"From_Account":"a","AddFriendItem":[{"To_Account":"x","AddSource":"AddSource_Type_A1"}]}`, 30001},
		{"no To_Account", `{"From_Account":"a","AddFriendItem":[{"AddSource":"AddSource_Type_T"}]}`, 30001},
		{"To_Account not a string", `{"From_Account":"a","AddFriendItem":[{"To_Account":5,"AddSource":"AddSource_Type_T"}]}`, 60015},
		{"Remark over 96 bytes", jsonBody(t, map[string]any{"From_Account": "a", "AddFriendItem": []any{map[string]any{"To_Account": "x", "AddSource": "AddSource_Type_T", "Remark": strings.Repeat("r", 97)}}}), 30001},
		{"GroupName over 30 bytes", jsonBody(t, map[string]any{"From_Account": "a", "AddFriendItem": []any{map[string]any{"To_Account": "x", "AddSource": "AddSource_Type_T", "GroupName": strings.Repeat("g", 31)}}}), 30001},
		{"AddWording over 256 bytes", jsonBody(t, map[string]any{"From_Account": "a", "AddFriendItem": []any{map[string]any{"To_Account": "x", "AddSource": "AddSource_Type_T", "AddWording": strings.Repeat("w", 257)}}}), 30001},
		{"GroupName an array", `{"From_Account":"a","AddFriendItem":[{"To_Account":"x","AddSource":"AddSource_Type_T","GroupName":["g"]}]}`, 30001},
	} {
		t.Run(tt.name, func(t *testing.T) { us.must(t, pathFriendAdd, tt.body, tt.code) })
	}
	over := make([]any, relation.MaxBatch+1)
	for i := range over {
		over[i] = map[string]any{"To_Account": fmt.Sprint("u", i), "AddSource": "AddSource_Type_T"}
	}
	us.must(t, pathFriendAdd, jsonBody(t, map[string]any{"From_Account": "a", "AddFriendItem": over}), 30001)
	us.must(t, pathFriendAdd, jsonBody(t, map[string]any{"From_Account": "a", "AddFriendItem": over[:relation.MaxBatch]}), 0)
}

// TestFriendLimits: 3,000 friends is the most either side of an add may
// have, and 1,000 users the most a blocklist may hold.
func TestFriendLimits(t *testing.T) {
	us := newUsersServer(t)
	all := ids("f", relation.MaxFriends+1)
	for i := 0; i < len(all); i += 100 {
		us.importAccounts(t, all[i:min(i+100, len(all))]...)
	}
	us.importAccounts(t, "big", "small")
	for i := 0; i < relation.MaxFriends; i += relation.MaxBatch {
		items := make([]any, relation.MaxBatch)
		for j := range items {
			items[j] = map[string]any{"To_Account": all[i+j], "AddSource": "AddSource_Type_Import"}
		}
		env := us.must(t, pathFriendImport, jsonBody(t, map[string]any{"From_Account": "big", "AddFriendItem": items}), 0)
		if _, failed := env["Fail_Account"]; failed {
			t.Fatalf("import %d: %v", i, env["Fail_Account"])
		}
	}
	env := us.must(t, pathFriendImport, jsonBody(t, map[string]any{"From_Account": "big", "AddFriendItem": []any{
		map[string]any{"To_Account": all[relation.MaxFriends], "AddSource": "AddSource_Type_Import"},
		map[string]any{"To_Account": all[0], "AddSource": "AddSource_Type_Again", "Remark": "replaced"},
	}}), 0)
	if got := codes(t, env["ResultItem"]); got[all[relation.MaxFriends]] != 30010 || got[all[0]] != 0 {
		t.Fatalf("importing into a full table: %v", got)
	}
	us.set(t, "small", item(tagAllowType, "AllowType_Type_AllowAny"))
	if got := codes(t, us.addFriends(t, "big", "", 0, "small")["ResultItem"])["small"]; got != 30010 {
		t.Fatalf("adding from a full table: %d", got)
	}
	us.set(t, "big", item(tagAllowType, "AllowType_Type_AllowAny"))
	if got := codes(t, us.addFriends(t, "small", relation.AddBoth, 0, "big")["ResultItem"])["big"]; got != 30014 {
		t.Fatalf("adding both ways to a full table: %d", got)
	}
	if got := codes(t, us.addFriends(t, "small", relation.AddSingle, 0, "big")["ResultItem"])["big"]; got != 0 {
		t.Fatalf("adding one way to a full table: %d", got)
	}

	us.must(t, pathBlockAdd, jsonBody(t, map[string]any{"From_Account": "small", "To_Account": all[:relation.MaxBlocks]}), 0)
	env = us.must(t, pathBlockAdd, jsonBody(t, map[string]any{"From_Account": "small", "To_Account": all[relation.MaxBlocks : relation.MaxBlocks+1]}), 0)
	if got := codes(t, env["ResultItem"])[all[relation.MaxBlocks]]; got != 30013 {
		t.Fatalf("a full blocklist: %d", got)
	}
}
