package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// TestOneToOneChanges: recalls, modifications and read receipts reach
// every device of both sides; SyncOtherMachine works both ways; a
// client's message and the same message sent by REST are stored alike.
func TestOneToOneChanges(t *testing.T) {
	storeEngines(t, testOneToOneChanges)
}

func testOneToOneChanges(t *testing.T, storeArgs []string) {
	n := startTestApp(t, "", storeArgs...)
	ctx := context.Background()
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice", "bob"}}))
	alice, alicePad := dialUser(t, n, "alice"), dialUser(t, n, "alice")
	bob, bobPad := dialUser(t, n, "bob"), dialUser(t, n, "bob")
	all := []*client.Client{alice, alicePad, bob, bobPad}
	settle := func() {
		t.Helper()
		for _, c := range all {
			quiet(t, c)
		}
	}

	t.Run("SyncOtherMachine", func(t *testing.T) {
		for _, sync := range []int{1, 2} {
			mustOK(t, n.rest("v4/openim/sendmsg", map[string]any{"SyncOtherMachine": sync, "From_Account": "alice", "To_Account": "bob",
				"MsgRandom": sync, "MsgBody": text(fmt.Sprint("sync ", sync))}))
		}
		for _, c := range []*client.Client{bob, bobPad} {
			if got := texts(t, c, 2); fmt.Sprint(got) != `[{"Text":"sync 1"} {"Text":"sync 2"}]` {
				t.Fatalf("bob's device got %v", got)
			}
		}
		for _, c := range []*client.Client{alice, alicePad} {
			if got := texts(t, c, 1); got[0] != `{"Text":"sync 1"}` {
				t.Fatalf("alice's device got %v", got)
			}
		}
		settle()
		if got := roamTexts(t, n, "alice", "bob"); fmt.Sprint(got) != `[{"Text":"sync 1"}]` {
			t.Errorf("alice's side of the history %v: SyncOtherMachine 2 must be absent from it", got)
		}
		if got := roamTexts(t, n, "bob", "alice"); len(got) != 2 {
			t.Errorf("bob's side of the history %v", got)
		}
	})

	t.Run("recall within the window", func(t *testing.T) {
		sent, err := alice.SendC2C(ctx, "bob", text("oops"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range all {
			texts(t, c, 1)
		}
		if err := alice.RecallC2C(ctx, "bob", sent.MsgKey); err != nil {
			t.Fatal(err)
		}
		for _, c := range all {
			if r, _ := nextEvent(t, c, client.TypeC2CMsgRecalled).C2CMsgRecalled(); r.MsgKey != sent.MsgKey || r.From != "alice" || r.To != "bob" {
				t.Errorf("recall event %+v, want %s", r, sent.MsgKey)
			}
		}
		settle()
		if err := alice.RecallC2C(ctx, "bob", sent.MsgKey); codeOf(err) != 20023 {
			t.Errorf("recalled twice: %v, want 20023", err)
		}
		if err := bob.RecallC2C(ctx, "alice", sent.MsgKey); codeOf(err) != 20022 {
			t.Errorf("someone else's message: %v, want 20022", err)
		}
		if err := alice.RecallC2C(ctx, "bob", "not-a-key"); codeOf(err) != 90054 {
			t.Errorf("a malformed key: %v, want 90054", err)
		}
		page, err := bob.C2CHistory(ctx, "alice", client.HistoryQuery{MaxCnt: 1})
		if err != nil {
			t.Fatal(err)
		}
		if m := page.Messages[0]; m.MsgKey != sent.MsgKey || m.MsgFlagBits != 8 || len(m.MsgBody) != 0 {
			t.Errorf("bob's history after the recall: %+v", m)
		}
	})

	t.Run("recall past the window", func(t *testing.T) {
		old := time.Now().Add(-3 * time.Minute).Unix()
		mustOK(t, n.rest("v4/openim/importmsg", map[string]any{"SyncFromOldSystem": 5, "From_Account": "alice", "To_Account": "bob",
			"MsgSeq": 1, "MsgRandom": 1, "MsgTimeStamp": old, "MsgBody": text("three minutes ago")}))
		for _, c := range all {
			texts(t, c, 1)
		}
		if err := alice.RecallC2C(ctx, "bob", fmt.Sprintf("1_1_%d", old)); codeOf(err) != 20016 {
			t.Errorf("recall after 3 minutes: %v, want 20016", err)
		}
		// The admin's recall has no limit.
		mustOK(t, n.rest("v4/openim/admin_msgwithdraw", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgKey": fmt.Sprintf("1_1_%d", old)}))
		for _, c := range all {
			nextEvent(t, c, client.TypeC2CMsgRecalled)
		}
		settle()
	})

	t.Run("modify", func(t *testing.T) {
		sent, err := alice.SendC2C(ctx, "bob", text("lunch at noon?"), client.WithCloudCustomData("v1"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range all {
			texts(t, c, 1)
		}
		mustOK(t, n.rest("v4/openim/modify_c2c_msg", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgKey": sent.MsgKey,
			"MsgBody": text("lunch at 12:30?")}))
		for _, c := range all {
			m, _ := nextEvent(t, c, client.TypeC2CMsgModified).C2CMsgModified()
			if m.MsgKey != sent.MsgKey || string(m.MsgBody[0].MsgContent) != `{"Text":"lunch at 12:30?"}` || m.CloudCustomData != nil {
				t.Errorf("modify event %+v", m)
			}
		}
		settle()
	})

	t.Run("read receipts", func(t *testing.T) {
		for i := range 2 {
			if _, err := alice.SendC2C(ctx, "bob", text(fmt.Sprint("unread ", i))); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range all {
			texts(t, c, 2)
		}
		total, per, err := bob.C2CUnread(ctx, "alice")
		if err != nil || total == 0 || per["alice"] != total {
			t.Fatalf("bob's unread %d %v %v", total, per, err)
		}
		if rest := n.rest("v4/openim/get_c2c_unread_msg_num", map[string]any{"To_Account": "bob"}); rest["AllC2CUnreadMsgNum"] != float64(total) {
			t.Errorf("REST total %v, client %d", rest["AllC2CUnreadMsgNum"], total)
		}
		mark, err := bob.MarkC2CRead(ctx, "alice", time.Time{})
		if err != nil || mark.C2CUnreadMsgNum != 0 || mark.Seq == 0 {
			t.Fatalf("mark %+v %v", mark, err)
		}
		for _, c := range all {
			r, _ := nextEvent(t, c, client.TypeC2CRead).C2CRead()
			own := c == bob || c == bobPad
			if r.Reader != "bob" || r.Peer != "alice" || r.MsgReadTime != mark.MsgReadTime || (r.C2CUnreadMsgNum != nil) != own {
				t.Errorf("read event %+v on a device of %s", r, map[bool]string{true: "bob", false: "alice"}[own])
			}
		}
		settle()
		if total, _, _ := bob.C2CUnread(ctx); total != 0 {
			t.Errorf("bob's total after reading: %d", total)
		}
		page, err := alice.C2CHistory(ctx, "bob", client.HistoryQuery{MaxCnt: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			if m.IsPeerRead != 1 {
				t.Errorf("alice's message %s: IsPeerRead %d after bob read it", m.MsgKey, m.IsPeerRead)
			}
		}
	})

	t.Run("client and REST store the same record", func(t *testing.T) {
		seq := func(n int) client.SendOption { return func(m map[string]any) { m["MsgSeq"] = n } }
		body := []client.MsgElem{client.Text("same"), client.Custom("data", "desc", "ext")}
		if _, err := alice.SendC2C(ctx, "bob", body, seq(4242), client.WithRandom(1), client.WithCloudCustomData("cd"),
			client.WithReadReceipt(), client.WithExtensions(), client.WithOfflinePushInfo(map[string]any{"Desc": "d"})); err != nil {
			t.Fatal(err)
		}
		mustOK(t, n.rest("v4/openim/sendmsg", map[string]any{"SyncOtherMachine": 1, "From_Account": "alice", "To_Account": "bob",
			"MsgSeq": 4242, "MsgRandom": 2, "MsgBody": body, "CloudCustomData": "cd", "IsNeedReadReceipt": 1,
			"SupportMessageExtension": 1, "OfflinePushInfo": map[string]any{"Desc": "d"}}))
		var events []map[string]any
		for range 2 {
			var ev map[string]any
			mustUnmarshalJSON(t, nextEvent(t, bob, client.TypeC2CMsg).Data, &ev)
			events = append(events, ev)
		}
		for _, c := range []*client.Client{alice, alicePad, bobPad} {
			texts(t, c, 2)
		}
		settle()
		env := mustOK(t, n.rest("v4/openim/admin_getroammsg", map[string]any{"Operator_Account": "bob", "Peer_Account": "alice",
			"MaxCnt": 2, "MinTime": 0, "MaxTime": time.Now().Unix() + 10}))
		records := env["MsgList"].([]any)
		stored := []map[string]any{records[0].(map[string]any), records[1].(map[string]any)}
		for _, list := range [][]map[string]any{events, stored} {
			for _, m := range list {
				for _, k := range []string{"MsgRandom", "MsgKey", "MsgTime", "MsgTimeStamp"} {
					delete(m, k)
				}
			}
			if !reflect.DeepEqual(list[0], list[1]) {
				t.Errorf("client's and REST's message differ:\n%v\n%v", list[0], list[1])
			}
		}
	})
}

// roamTexts lists the texts on owner's side of the conversation with peer,
// oldest first, through admin_getroammsg.
func roamTexts(t *testing.T, n *node, owner, peer string) []string {
	t.Helper()
	env := mustOK(t, n.rest("v4/openim/admin_getroammsg", map[string]any{"Operator_Account": owner, "Peer_Account": peer,
		"MaxCnt": 100, "MinTime": 0, "MaxTime": time.Now().Unix() + 10}))
	var out []string
	for _, m := range env["MsgList"].([]any) {
		body := m.(map[string]any)["MsgBody"].([]any)
		out = append(out, string(mustMarshalJSON(t, body[0].(map[string]any)["MsgContent"])))
	}
	return out
}

func mustMarshalJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustUnmarshalJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
}

// TestOneToOneClientOpErrors: the one-to-one ops refuse what they must with
// the codes of docs/client-protocol.md.
func TestOneToOneClientOpErrors(t *testing.T) {
	n := startTestApp(t, "")
	ctx := context.Background()
	alice := dialUser(t, n, "alice")
	_, _, tooMany := alice.C2CUnread(ctx, "p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "p10")
	_, noPeer := alice.MarkC2CRead(ctx, "", time.Time{})
	_, noHistoryPeer := alice.C2CHistory(ctx, "", client.HistoryQuery{})
	_, badCursor := alice.C2CHistory(ctx, "bob", client.HistoryQuery{LastMsgKey: "x"})
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"recall without To_Account", alice.RecallC2C(ctx, "", "1_2_3"), 90003},
		{"recall of no message", alice.RecallC2C(ctx, "bob", "1_2_3"), 20022},
		{"read without Peer_Account", noPeer, 90003},
		{"history without Peer_Account", noHistoryPeer, 90003},
		{"history after a malformed key", badCursor, 90054},
		{"unread of 11 peers", tooMany, 90018},
	} {
		if codeOf(tt.err) != tt.want {
			t.Errorf("%s: %v, want %d", tt.name, tt.err, tt.want)
		}
	}
	// A peer that is not an account can be read (nothing to tell it).
	if mark, err := alice.MarkC2CRead(ctx, "administrator", time.Time{}); err != nil || mark.Seq == 0 {
		t.Errorf("reading the admin's conversation: %+v %v", mark, err)
	}
}
