package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// TestRelationshipsThroughClients: through the gateway users set and read
// profiles, ask, accept, list, block and drop friends; each change reaches
// the user's other device and the other user as events in their streams,
// and a device that was offline gets them from its sync.
func TestRelationshipsThroughClients(t *testing.T) {
	storeEngines(t, testRelationshipsThroughClients)
}

func testRelationshipsThroughClients(t *testing.T, storeArgs []string) {
	n := startTestApp(t, "", storeArgs...)
	ctx := context.Background()
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice", "bob", "carol"}}))
	alice, alicePad, bob := dialUser(t, n, "alice"), dialUser(t, n, "alice"), dialUser(t, n, "bob")

	if err := alice.SetProfile(ctx, client.Field("Tag_Profile_IM_Nick", "Alice"), client.Field("Tag_Profile_IM_Level", 3)); err != nil {
		t.Fatal(err)
	}
	if ch, _ := nextEvent(t, alicePad, client.TypeProfileChanged).ProfileChanged(); ch.From != "alice" || len(ch.ProfileItem) != 2 {
		t.Fatalf("the other device's ProfileChanged: %+v", ch)
	}
	got, err := bob.GetProfiles(ctx, []string{"alice"}, "Tag_Profile_IM_Nick")
	if err != nil || len(got) != 1 || len(got[0].ProfileItem) != 1 || string(got[0].ProfileItem[0].Value) != `"Alice"` {
		t.Fatalf("bob reads alice's profile: %+v, %v", got, err)
	}
	if err := bob.SetProfile(ctx, client.Field("Tag_Profile_IM_AdminForbidType", "AdminForbid_Type_SendOut")); codeOf(err) != 40008 {
		t.Fatalf("a user writing an admin-only field: %v", err)
	}
	if mute, err := bob.GlobalMute(ctx); err != nil || *mute != (client.GlobalMute{}) {
		t.Fatalf("global mute: %+v, %v", mute, err)
	}

	res, err := alice.AddFriends(ctx, client.AddBoth, client.AddFriendItem{To: "bob", AddSource: "AddSource_Type_App", AddWording: "hi"})
	if err != nil || res[0].ResultCode != 30539 {
		t.Fatalf("add_friend to a user who confirms: %+v, %v", res, err)
	}
	for _, c := range []*client.Client{bob, alicePad} {
		if req, _ := nextEvent(t, c, client.TypeFriendRequest).FriendRequest(); req.From != "alice" || req.To != "bob" || req.AddWording != "hi" {
			t.Fatalf("FriendRequest %+v", req)
		}
	}
	if reqs, err := bob.FriendRequests(ctx); err != nil || len(reqs) != 1 || reqs[0].From != "alice" {
		t.Fatalf("bob's pending requests: %+v, %v", reqs, err)
	}
	if err := bob.RespondFriendRequest(ctx, client.FriendResponse{From: "alice", Action: client.FriendAgreeAndAdd, Remark: "Al"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{alice, alicePad, bob} {
		nextEvent(t, c, client.TypeFriendRequestAccepted)
		if added, _ := nextEvent(t, c, client.TypeFriendAdded).FriendAdded(); len(added.PairList) != 1 {
			t.Fatalf("FriendAdded %+v", added)
		}
	}
	if rel, err := alice.CheckFriends(ctx, true, "bob", "carol"); err != nil || fmt.Sprint(rel) != "map[bob:BothWay carol:NoRelation]" {
		t.Fatalf("check_friend: %v, %v", rel, err)
	}

	state := alicePad.State()
	_ = alicePad.Close()
	if _, err := alice.AddFriendLists(ctx, []string{"Work"}, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := alice.UpdateFriend(ctx, "bob", client.Field("Tag_SNS_IM_Remark", "Bobby")); err != nil {
		t.Fatal(err)
	}
	if err := alice.UpdateFriend(ctx, "carol", client.Field("Tag_SNS_IM_Remark", "x")); codeOf(err) != 30001 {
		t.Fatalf("updating someone who is not a friend: %v", err)
	}
	friends, err := alice.Friends(ctx)
	if err != nil || len(friends) != 1 || friends[0].UserID != "bob" {
		t.Fatalf("get_friends: %+v, %v", friends, err)
	}
	lists, err := alice.FriendLists(ctx)
	if err != nil || fmt.Sprint(lists) != "[{Work 1 [bob]}]" {
		t.Fatalf("get_friend_lists: %+v, %v", lists, err)
	}
	if p, err := alice.FriendProfiles(ctx, []string{"bob"}, "Tag_SNS_IM_Remark", "Tag_Profile_IM_Nick"); err != nil || len(p[0].Fields) != 1 {
		t.Fatalf("get_friend_profiles: %+v, %v", p, err)
	}

	if _, err := bob.Block(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if ch, _ := nextEvent(t, bob, client.TypeBlocklistAdded).BlocklistAdded(); fmt.Sprint(ch.To) != "[alice]" {
		t.Fatalf("BlocklistAdded %+v", ch)
	}
	if gone, _ := nextEvent(t, alice, client.TypeFriendDeleted).FriendDeleted(); fmt.Sprint(gone.PairList) != "[{alice bob}]" {
		t.Fatalf("FriendDeleted %+v", gone)
	}
	if blocked, err := bob.Blocklist(ctx); err != nil || len(blocked) != 1 || blocked[0].UserID != "alice" {
		t.Fatalf("get_blocklist: %+v, %v", blocked, err)
	}
	if rel, err := alice.CheckBlocks(ctx, true, "bob"); err != nil || rel["bob"] != "BWithA" {
		t.Fatalf("check_blocklist: %v, %v", rel, err)
	}
	if res, err := alice.AddFriends(ctx, client.AddSingle, client.AddFriendItem{To: "bob", AddSource: "AddSource_Type_App"}); err != nil || res[0].ResultCode != 30525 {
		t.Fatalf("adding someone who blocked one: %+v, %v", res, err)
	}

	// The device that was away gets what it missed, in order.
	back, err := client.Dial(ctx, n.BaseURL, testAppID, "alice", userSig("alice"), client.WithSyncState(state))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	for _, typ := range []string{client.TypeFriendListsAdded, client.TypeFriendUpdated, client.TypeFriendDeleted} {
		nextEvent(t, back, typ)
	}
}

// TestFriendRequestAcrossNodes: a request from a client on one node
// reaches the target's client on another, and the answer comes back.
func TestFriendRequestAcrossNodes(t *testing.T) {
	c := newFaultCluster(t, 2, 500*time.Millisecond)
	a, b := c.nodes[0], c.nodes[1]
	ctx := context.Background()
	mustOK(t, a.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"ana", "ben"}}))
	ana, benA, benB := dialUser(t, a, "ana"), dialUser(t, a, "ben"), dialUser(t, b, "ben")

	res, err := ana.AddFriends(ctx, client.AddBoth, client.AddFriendItem{To: "ben", AddSource: "AddSource_Type_App"})
	if err != nil || res[0].ResultCode != 30539 {
		t.Fatalf("add_friend: %+v, %v", res, err)
	}
	for _, ben := range []*client.Client{benA, benB} {
		nextEvent(t, ben, client.TypeFriendRequest)
	}
	if err := benB.RespondFriendRequest(ctx, client.FriendResponse{From: "ana", Action: client.FriendAgree}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{ana, benA, benB} {
		nextEvent(t, c, client.TypeFriendRequestAccepted)
	}
	if added, _ := nextEvent(t, ana, client.TypeFriendAdded).FriendAdded(); fmt.Sprint(added.PairList) != "[{ana ben}]" {
		t.Fatalf("FriendAdded %+v", added)
	}
	if err := benB.SetProfile(ctx, client.Field("Tag_Profile_IM_Nick", "Ben")); err != nil {
		t.Fatal(err)
	}
	if ch, _ := nextEvent(t, ana, client.TypeProfileChanged).ProfileChanged(); ch.From != "ben" {
		t.Fatalf("ana hears of her friend's profile: %+v", ch)
	}
}

// TestSendsRefusedByBlocklistAndMute: one-to-one messages from a blocked
// sender, and messages from a globally muted one, are refused on the
// gateway with the spec's codes; the global mute ends by itself.
func TestSendsRefusedByBlocklistAndMute(t *testing.T) {
	n := startTestApp(t, "")
	ctx := context.Background()
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"ann", "bo"}}))
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{
		"Owner_Account": "bo", "Type": "Public", "GroupId": "room", "Name": "R",
		"MemberList": []any{map[string]any{"Member_Account": "ann"}},
	}))
	ann := dialUser(t, n, "ann")
	mustOK(t, n.rest("v4/sns/black_list_add", map[string]any{"From_Account": "bo", "To_Account": []string{"ann"}}))
	if _, err := ann.SendC2C(ctx, "bo", text("hi")); codeOf(err) != 20007 {
		t.Fatalf("to someone who blocked ann: %v, want 20007", err)
	}
	mustOK(t, n.rest("v4/sns/black_list_delete", map[string]any{"From_Account": "bo", "To_Account": []string{"ann"}}))
	mustOK(t, n.rest("v4/openconfigsvr/setnospeaking", map[string]any{"Set_Account": "ann", "C2CmsgNospeakingTime": 2, "GroupmsgNospeakingTime": 2}))
	if _, err := ann.SendC2C(ctx, "bo", text("hi")); codeOf(err) != 20012 {
		t.Fatalf("one-to-one while muted: %v, want 20012", err)
	}
	if _, err := ann.SendGroup(ctx, "room", text("hi")); codeOf(err) != 10017 {
		t.Fatalf("to a group while muted: %v, want 10017", err)
	}
	waitFor(t, 10*time.Second, "the mute to end", func() bool {
		_, err := ann.SendC2C(ctx, "bo", text("hi"))
		return err == nil
	})
	if _, err := ann.SendGroup(ctx, "room", text("hi")); err != nil {
		t.Fatalf("to a group after the mute: %v", err)
	}
}
