package e2e

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/chatd/chatd/client"
)

// TestGroupMessageLifecycle: messages sent by a client and by REST are the
// same stored record; read receipts reach the sender; a recall, a
// modification and a system notification reach online members as events;
// a member who was offline gets, from its saved state, every message and
// event it missed, in order, with the changed state; topic messages are
// sent, pushed and synced on their own.
func TestGroupMessageLifecycle(t *testing.T) {
	storeEngines(t, testGroupMessageLifecycle)
}

func testGroupMessageLifecycle(t *testing.T, storeArgs []string) {
	n := startTestApp(t, t.TempDir(), storeArgs...)
	ctx := context.Background()
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"olga", "pia", "quin"}}))
	members := []any{map[string]any{"Member_Account": "pia"}, map[string]any{"Member_Account": "quin"}}
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Owner_Account": "olga", "Type": "Public", "GroupId": "gm", "Name": "GM", "MemberList": members}))
	olga, pia, quin := dialUser(t, n, "olga"), dialUser(t, n, "pia"), dialUser(t, n, "quin")
	away := quin.State()
	_ = quin.Close()

	// The same message from pia's client and through REST.
	body := text("same either way")
	fromClient, err := pia.SendGroup(ctx, "gm", body, client.WithReadReceipt(), client.WithCloudCustomData("cd"), client.WithRandom(11))
	if err != nil {
		t.Fatal(err)
	}
	fromREST := mustOK(t, n.rest("v4/group_open_http_svc/send_group_msg", map[string]any{"GroupId": "gm", "From_Account": "pia",
		"Random": 12, "MsgBody": body, "NeedReadReceipt": 1, "CloudCustomData": "cd"}))
	viaClient, viaREST := nextEvent(t, olga, client.TypeGroupMsg), nextEvent(t, olga, client.TypeGroupMsg)
	if viaClient.MsgSeq != fromClient.MsgSeq || float64(viaREST.MsgSeq) != fromREST["MsgSeq"] {
		t.Fatalf("pushes %s %s", viaClient.Raw, viaREST.Raw)
	}
	if a, b := sameRecord(t, viaClient.Data), sameRecord(t, viaREST.Data); !reflect.DeepEqual(a, b) {
		t.Errorf("the client's and the REST message differ:\n%v\n%v", a, b)
	}
	msgs := history(t, n, "gm")
	delete(msgs[0], "MsgSeq")
	delete(msgs[1], "MsgSeq")
	for _, m := range msgs[:2] {
		delete(m, "MsgRandom")
		delete(m, "MsgTimeStamp")
	}
	if !reflect.DeepEqual(msgs[0], msgs[1]) {
		t.Errorf("stored differently:\n%v\n%v", msgs[0], msgs[1])
	}

	// olga reads both; pia is told, with the counts.
	if err := olga.SendGroupReceipt(ctx, "gm", fromClient.MsgSeq, int64(fromREST["MsgSeq"].(float64))); err != nil {
		t.Fatal(err)
	}
	r, _ := nextEvent(t, pia, client.TypeGroupMsgReceipt).GroupMsgReceipt()
	if r.Reader != "olga" || len(r.Receipts) != 2 || r.Receipts[0].ReadNum != 1 || r.Receipts[0].UnreadNum != 1 {
		t.Fatalf("receipt event %+v", r)
	}
	got, err := pia.GroupReceipts(ctx, "gm", fromClient.MsgSeq)
	if err != nil || len(got) != 1 || got[0].ReadNum != 1 || got[0].UnreadNum != 1 {
		t.Fatalf("receipts %+v %v", got, err)
	}

	// pia recalls hers; the admin modifies the other and notifies the group.
	if err := pia.RecallGroupMessage(ctx, "gm", fromClient.MsgSeq); err != nil {
		t.Fatal(err)
	}
	if err := olga.RecallGroupMessage(ctx, "gm", 999); codeOf(err) != 10030 {
		t.Fatalf("recall of no message: %v, want 10030", err)
	}
	mustOK(t, n.rest("v4/openim/modify_group_msg", map[string]any{"GroupId": "gm", "MsgSeq": fromREST["MsgSeq"], "MsgBody": text("edited")}))
	mustOK(t, n.rest("v4/group_open_http_svc/send_group_system_notification", map[string]any{"GroupId": "gm", "Content": "quiz"}))
	for _, typ := range []string{client.TypeGroupMsgRecalled, client.TypeGroupMsgModified, client.TypeGroupSystemNotification} {
		if e := nextEvent(t, olga, typ); e.EventSeq == 0 {
			t.Fatalf("%s without its EventSeq: %s", typ, e.Raw)
		}
	}

	// quin comes back: the messages as they are now, then the events.
	back, err := client.Dial(ctx, n.BaseURL, testAppID, "quin", userSig("quin"), client.WithSyncState(away))
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	first, _ := nextEvent(t, back, client.TypeGroupMsg).GroupMessage()
	second, _ := nextEvent(t, back, client.TypeGroupMsg).GroupMessage()
	if first.Recalled != 1 || len(first.MsgBody) != 0 || string(second.MsgBody[0].MsgContent) != `{"Text":"edited"}` {
		t.Fatalf("synced messages %+v %+v: want the recalled one empty and the other edited", first, second)
	}
	recalled, _ := nextEvent(t, back, client.TypeGroupMsgRecalled).GroupMsgRecalled()
	modified, _ := nextEvent(t, back, client.TypeGroupMsgModified).GroupMsgModified()
	note, _ := nextEvent(t, back, client.TypeGroupSystemNotification).GroupSystemNotification()
	if !reflect.DeepEqual(recalled.MsgSeqList, []int64{fromClient.MsgSeq}) || recalled.Operator != "pia" ||
		modified.Message.From != "pia" || note.Content != "quiz" {
		t.Fatalf("synced events %+v %+v %+v", recalled, modified, note)
	}
	quiet(t, back)

	// A community topic: sent by a client, pushed, synced.
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Owner_Account": "olga", "Type": "Community",
		"GroupId": "@TGS#_gmc", "Name": "C", "SupportTopic": 1, "MemberList": members}))
	const topic = "@TGS#_gmc@TOPIC#_news"
	mustOK(t, n.rest("v4/million_group_open_http_svc/create_topic", map[string]any{"GroupId": "@TGS#_gmc", "TopicId": topic, "TopicName": "news"}))
	sent, err := pia.SendGroup(ctx, "@TGS#_gmc", text("in the topic"), client.InTopic(topic))
	if err != nil || sent.MsgSeq != 1 {
		t.Fatalf("topic send %+v %v", sent, err)
	}
	tm, _ := nextEvent(t, olga, client.TypeTopicMsg).TopicMessage()
	if tm.TopicID != topic || tm.MsgSeq != 1 || tm.Message.From != "pia" {
		t.Fatalf("topic push %+v", tm)
	}
	page, err := back.SyncTopic(ctx, "@TGS#_gmc", topic, 0)
	if err != nil || page.MsgSeq != 1 || len(page.Messages) != 1 || page.Messages[0].Message.MsgSeq != 1 {
		t.Fatalf("topic sync %+v %v", page, err)
	}
	if page, err = back.SyncTopic(ctx, "@TGS#_gmc", topic, -1); err != nil || page.MsgSeq != 1 || len(page.Messages) != 0 {
		t.Fatalf("topic head %+v %v", page, err)
	}
	if err := pia.RecallGroupMessage(ctx, "@TGS#_gmc", 1, client.InTopic(topic)); err != nil {
		t.Fatal(err)
	}
	if rc, _ := nextEvent(t, olga, client.TypeGroupMsgRecalled).GroupMsgRecalled(); rc.TopicID != topic {
		t.Fatalf("topic recall %+v", rc)
	}
}

// sameRecord is a group message event without what differs between two
// sends of the same message: its number and its Random.
func sameRecord(t *testing.T, data json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "MsgSeq")
	delete(m, "Random")
	delete(m, "MsgTime") // the two sends may fall in different seconds
	return m
}
