package e2e

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// TestMessageExtensions: clients of both parties of a one-to-one message,
// and members of a group, race on one extension pair (one wins, the other
// learns what won); the app overrides; each change reaches the other
// side's client as an event, and a client that was away gets it from its
// next sync.
func TestMessageExtensions(t *testing.T) {
	storeEngines(t, testMessageExtensions)
}

func testMessageExtensions(t *testing.T, storeArgs []string) {
	n := startTestApp(t, t.TempDir(), storeArgs...)
	ctx := context.Background()
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice", "bob", "carol"}}))
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{
		"Owner_Account": "alice", "Type": "Public", "GroupId": "ext-vote", "Name": "Vote",
		"MemberList": []any{map[string]any{"Member_Account": "bob"}},
	}))
	alice, bob, carol := dialUser(t, n, "alice"), dialUser(t, n, "bob"), dialUser(t, n, "carol")

	// One-to-one.
	sent, err := alice.SendC2C(ctx, "bob", text("lunch?"), client.WithExtensions())
	if err != nil {
		t.Fatal(err)
	}
	msg := client.C2CMsgRef("alice", "bob", sent.MsgKey)
	won := raceExtension(t, msg, map[string]*client.Client{"alice": alice, "bob": bob})
	for _, c := range []*client.Client{alice, bob} {
		wantExtChange(t, c, client.TypeC2CMsgExt, fmt.Sprintf("%s:1:[k=%s@1]", won, won))
	}
	mustOK(t, n.rest("v4/openim_msg_ext_http_svc/set_key_values", map[string]any{"From_Account": "alice", "To_Account": "bob",
		"MsgKey": sent.MsgKey, "OperateType": 1, "ExtensionList": []any{map[string]any{"Key": "k", "Value": "app", "Seq": 0}}}))
	for _, c := range []*client.Client{alice, bob} {
		wantExtChange(t, c, client.TypeC2CMsgExt, testAdmin+":1:[k=app@2]")
	}
	if _, err := carol.SetExtensions(ctx, msg, client.Extension{Key: "k", Value: "carol", Seq: 2}); codeOf(err) != 10007 {
		t.Fatalf("a third user writes: %v, want 10007", err)
	}
	plain, err := alice.SendC2C(ctx, "bob", text("no extensions"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.SetExtensions(ctx, client.C2CMsgRef("alice", "bob", plain.MsgKey), client.Extension{Key: "k"}); codeOf(err) != 23002 {
		t.Fatalf("a message without extensions: %v, want 23002", err)
	}

	// Bob is away while alice writes; his next sync brings the change.
	state := bob.State()
	_ = bob.Close()
	if res, err := alice.SetExtensions(ctx, msg, client.Extension{Key: "k", Value: "final", Seq: 2}); err != nil || res.Results[0].ErrorCode != 0 {
		t.Fatalf("write with the current Seq: %+v, %v", res, err)
	}
	wantExtChange(t, alice, client.TypeC2CMsgExt, "alice:1:[k=final@3]")
	back, err := client.Dial(ctx, n.BaseURL, testAppID, "bob", userSig("bob"), client.WithSyncState(state))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = back.Close() })
	e := wantExtChange(t, back, client.TypeC2CMsgExt, "alice:1:[k=final@3]")
	if e.Seq == 0 {
		t.Fatalf("a synced change has no Seq: %s", e.Raw)
	}
	if all, err := back.Extensions(ctx, msg); err != nil || fmt.Sprint(all.Pairs, all.LatestSeq) != "[k=final@3] 3" {
		t.Fatalf("pull after sync: %+v, %v", all, err)
	}

	// A group message.
	gs, err := alice.SendGroup(ctx, "ext-vote", text("poll"), client.WithExtensions())
	if err != nil {
		t.Fatal(err)
	}
	gmsg := client.GroupMsgRef("ext-vote", gs.MsgSeq)
	won = raceExtension(t, gmsg, map[string]*client.Client{"alice": alice, "bob": back})
	for _, c := range []*client.Client{alice, back} {
		if e := wantExtChange(t, c, client.TypeGroupMsgExt, fmt.Sprintf("%s:1:[k=%s@1]", won, won)); e.EventSeq == 0 || e.GroupID != "ext-vote" {
			t.Fatalf("group change event %s", e.Raw)
		}
	}
	if _, err := carol.Extensions(ctx, gmsg); codeOf(err) != 10007 {
		t.Fatalf("a non-member reads: %v, want 10007", err)
	}
	state = back.State()
	_ = back.Close()
	if _, err := alice.ClearExtensions(ctx, gmsg); err != nil {
		t.Fatal(err)
	}
	wantExtChange(t, alice, client.TypeGroupMsgExt, "alice:3:[]")
	again, err := client.Dial(ctx, n.BaseURL, testAppID, "bob", userSig("bob"), client.WithSyncState(state))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = again.Close() })
	e = wantExtChange(t, again, client.TypeGroupMsgExt, "alice:3:[]")
	if x, _ := e.ExtensionChange(); x.ClearSeq != 1 || x.MsgSeq != gs.MsgSeq {
		t.Fatalf("clear event %s", e.Raw)
	}
	if all, err := again.Extensions(ctx, gmsg); err != nil || len(all.Pairs) != 0 || all.ClearSeq != 1 {
		t.Fatalf("pull after clear: %+v, %v", all, err)
	}
}

// raceExtension has each client set pair "k" of msg, as new, at once:
// exactly one succeeds, the other fails with 23001 and sees the winner's
// pair. It returns the winner's name (the value it wrote).
func raceExtension(t *testing.T, msg client.MsgRef, clients map[string]*client.Client) string {
	t.Helper()
	var mu sync.Mutex
	results := map[string]*client.ExtensionsWritten{}
	var wg sync.WaitGroup
	for name, c := range clients {
		wg.Go(func() {
			res, err := c.SetExtensions(context.Background(), msg, client.Extension{Key: "k", Value: name})
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return
			}
			mu.Lock()
			results[name] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	won, lost := "", ""
	for name, res := range results {
		switch res.Results[0].ErrorCode {
		case 0:
			won = name
		case client.CodeExtensionConflict:
			lost = name
		}
	}
	if won == "" || lost == "" {
		t.Fatalf("racing writes: %+v, want one success and one 23001", results)
	}
	if got, want := results[lost].Results[0].Extension, results[won].Results[0].Extension; got != want {
		t.Fatalf("the loser sees %v, the winner wrote %v", got, want)
	}
	return won
}

// wantExtChange waits for the next extension change of the given type on c
// and checks it against "operator:OperateType:[pairs set]".
func wantExtChange(t *testing.T, c *client.Client, typ, want string) client.Event {
	t.Helper()
	e := nextEvent(t, c, typ)
	x, ok := e.ExtensionChange()
	if !ok {
		t.Fatalf("event %s does not decode", e.Raw)
	}
	if got := fmt.Sprintf("%s:%d:%v", x.Operator, x.OperateType, x.Set); got != want {
		t.Fatalf("change %s, want %s (%s)", got, want, e.Raw)
	}
	return e
}

// TestMessageExtensionsAcrossNodes: a change written through one node of
// a cluster reaches the other party's client on another node, once, and
// the group's members on both.
func TestMessageExtensionsAcrossNodes(t *testing.T) {
	c := newFaultCluster(t, 2, faultInterval)
	a, b := c.nodes[0], c.nodes[1]
	ctx := context.Background()
	mustOK(t, a.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"ana", "ben"}}))
	mustOK(t, a.rest("v4/group_open_http_svc/create_group", map[string]any{
		"Owner_Account": "ana", "Type": "Work", "GroupId": "ext-x", "Name": "X",
		"MemberList": []any{map[string]any{"Member_Account": "ben"}},
	}))
	ana, ben := dialUser(t, a, "ana"), dialUser(t, b, "ben")
	sent, err := ana.SendC2C(ctx, "ben", text("x"), client.WithExtensions())
	if err != nil {
		t.Fatal(err)
	}
	gs, err := ana.SendGroup(ctx, "ext-x", text("x"), client.WithExtensions())
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []client.MsgRef{client.C2CMsgRef("ana", "ben", sent.MsgKey), client.GroupMsgRef("ext-x", gs.MsgSeq)} {
		if _, err := ben.SetExtensions(ctx, msg, client.Extension{Key: "k", Value: "v"}); err != nil {
			t.Fatal(err)
		}
	}
	// The two changes travel on different subjects: either may come first.
	for _, c := range []*client.Client{ana, ben} {
		got := map[string]int{}
		for len(got) < 2 {
			select {
			case e := <-c.Events():
				if x, ok := e.ExtensionChange(); ok {
					got[fmt.Sprintf("%s %s:%v", e.Type, x.Operator, x.Set)]++
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("extension changes within 10 s: %v", got)
			}
		}
		want := map[string]int{client.TypeC2CMsgExt + " ben:[k=v@1]": 1, client.TypeGroupMsgExt + " ben:[k=v@1]": 1}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("changes %v, want %v", got, want)
		}
		quiet(t, c)
	}
}
