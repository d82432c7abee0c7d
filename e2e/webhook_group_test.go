package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/chatd/chatd/client"
)

// testGroupCallbacks drives every group callback from REST and from
// clients (part of TestCallbacksFlow).
func testGroupCallbacks(t *testing.T, n *node, b *backend, users map[string]*client.Client) {
	ctx := context.Background()
	alice, bob, dave, mallory := users["alice"], users["bob"], users["dave"], users["mallory"]
	const rest, web = "RESTAPI", "Web"
	byGroup := func(gid string) func(c callback) bool { return byUser("GroupId", gid) }

	// Creation.
	gid, err := alice.CreateGroup(ctx, client.NewGroup{Type: "Public", Name: "Hiking", ApplyJoinOption: "FreeAccess",
		Members: []client.NewMember{{UserID: "bob"}}, AppDefinedData: []client.KV{{Key: "region", Value: "north"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c := checked(t, b.wait("Group.CallbackBeforeCreateGroup", byUser("Name", "Hiking")), web); c.str("Owner_Account") != "alice" ||
		c.str("MemberList.0.Member_Account") != "bob" || c.field("MemberList.1") != nil {
		t.Fatalf("before create %s", c.Raw)
	}
	if c := checked(t, b.wait("Group.CallbackAfterCreateGroup", byGroup(gid)), web); c.str("UserDefinedDataList.0.Key") != "region" || c.str("Type") != "Public" {
		t.Fatalf("after create %s", c.Raw)
	}
	for _, tc := range []struct {
		name string
		code int
		info string
	}{{"REFUSE", 10016, ""}, {"LIMIT", 10150, "group limit reached for this user"}} {
		reply := n.rest("v4/group_open_http_svc/create_group", map[string]any{"Owner_Account": "alice", "Type": "Public", "Name": tc.name})
		wantCode(t, reply, tc.code)
		if tc.info != "" && reply["ErrorInfo"] != tc.info {
			t.Fatalf("the app's ErrorInfo is passed on: %v", reply["ErrorInfo"])
		}
		checkOrigin(t, b.wait("Group.CallbackBeforeCreateGroup", byUser("Name", tc.name)), rest)
		b.none("Group.CallbackAfterCreateGroup", byUser("Name", tc.name))
	}

	// Joining: by application (the app may refuse), by invitation (the app
	// may refuse some), from clients and REST.
	if joined, err := dave.ApplyToJoin(ctx, gid, "hi"); err != nil || !joined {
		t.Fatalf("apply: %v %v", joined, err)
	}
	checked(t, b.wait("Group.CallbackBeforeApplyJoinGroup", byUser("Requestor_Account", "dave")), web)
	if c := checked(t, b.wait("Group.CallbackAfterNewMemberJoin", byUser("Operator_Account", "dave")), web); c.str("JoinType") != "Apply" || c.str("NewMemberList.0.Member_Account") != "dave" {
		t.Fatalf("joined by application %s", c.Raw)
	}
	if _, err := mallory.ApplyToJoin(ctx, gid, "let me in"); codeOf(err) != 10016 {
		t.Fatalf("an application the app refuses: %v", err)
	}
	b.wait("Group.CallbackBeforeApplyJoinGroup", byUser("Requestor_Account", "mallory"))
	added := mustOK(t, n.rest("v4/group_open_http_svc/add_group_member", map[string]any{"GroupId": gid,
		"MemberList": []any{map[string]any{"Member_Account": "erin"}, map[string]any{"Member_Account": "mallory"}}}))
	if fmt.Sprint(added["MemberList"]) != "[map[Member_Account:erin Result:1] map[Member_Account:mallory Result:0]]" {
		t.Fatalf("the refused member is not added: %v", added["MemberList"])
	}
	if c := checked(t, b.wait("Group.CallbackBeforeInviteJoinGroup", byGroup(gid)), rest); c.str("DestinationMembers.1.Member_Account") != "mallory" {
		t.Fatalf("before invite %s", c.Raw)
	}
	if c := checked(t, b.wait("Group.CallbackAfterNewMemberJoin", byUser("NewMemberList.0.Member_Account", "erin")), rest); c.str("JoinType") != "Invited" ||
		c.str("Operator_Account") != testAdmin || c.field("NewMemberList.1") != nil {
		t.Fatalf("joined by REST %s", c.Raw)
	}
	wid, err := alice.CreateGroup(ctx, client.NewGroup{Type: "Private", Name: "Work", Members: []client.NewMember{{UserID: "bob"}}})
	if err != nil {
		t.Fatal(err)
	}
	b.wait("Group.CallbackAfterCreateGroup", byGroup(wid))
	if res, err := alice.InviteMembers(ctx, wid, "carol", "mallory"); err != nil || res[0].Result != 1 || res[1].Result != 0 {
		t.Fatalf("client invitation: %+v, %v", res, err)
	}
	checked(t, b.wait("Group.CallbackBeforeInviteJoinGroup", byGroup(wid)), web)
	if c := checked(t, b.wait("Group.CallbackAfterNewMemberJoin", byGroup(wid)), web); c.str("JoinType") != "Invited" || c.str("Operator_Account") != "alice" {
		t.Fatalf("client invitation %s", c.Raw)
	}

	// Leaving.
	mustOK(t, n.rest("v4/group_open_http_svc/delete_group_member", map[string]any{"GroupId": gid, "MemberToDel_Account": []string{"erin"}}))
	if c := checked(t, b.wait("Group.CallbackAfterMemberExit", byUser("ExitMemberList.0.Member_Account", "erin")), rest); c.str("ExitType") != "Kicked" {
		t.Fatalf("kicked %s", c.Raw)
	}
	if err := dave.LeaveGroup(ctx, gid); err != nil {
		t.Fatal(err)
	}
	if c := checked(t, b.wait("Group.CallbackAfterMemberExit", byUser("Operator_Account", "dave")), web); c.str("ExitType") != "Quit" {
		t.Fatalf("quit %s", c.Raw)
	}

	// Messages: every answer form, and a failure of chatd's own.
	sent, err := bob.SendGroup(ctx, gid, text("hi all"), client.WithMentions("@all", "alice"))
	if err != nil {
		t.Fatal(err)
	}
	before := checked(t, b.wait("Group.CallbackBeforeSendMsg", func(c callback) bool { return c.text() == "hi all" }), web)
	after := checked(t, b.wait("Group.CallbackAfterSendMsg", func(c callback) bool { return c.text() == "hi all" }), web)
	if after.str("MsgSeq") != fmt.Sprint(sent.MsgSeq) || after.str("MsgId") != before.str("MsgId") || after.str("Operator_Account") != "bob" ||
		after.str("GroupAtInfo.1.GroupAt_Account") != "alice" || after.str("Type") != "Public" {
		t.Fatalf("after group send %s (sent %+v)", after.Raw, sent)
	}
	for _, tc := range []struct {
		text string
		code int
	}{{"REFUSE", 10016}, {"CUSTOM", 10123}} {
		if _, err := bob.SendGroup(ctx, gid, text(tc.text)); codeOf(err) != tc.code {
			t.Fatalf("%s: %v", tc.text, err)
		}
		b.wait("Group.CallbackBeforeSendMsg", func(c callback) bool { return c.text() == tc.text })
	}
	if _, err := bob.SendGroup(ctx, gid, text("DROP")); err != nil {
		t.Fatalf("a dropped group message is answered as sent: %v", err)
	}
	if _, err := bob.SendGroup(ctx, gid, text("REWRITE")); err != nil {
		t.Fatal(err)
	}
	if c := b.wait("Group.CallbackAfterSendMsg", func(c callback) bool { return c.text() == "***" }); c.str("CloudCustomData") != "rewritten" {
		t.Fatalf("rewritten %s", c.Raw)
	}
	for _, refused := range []string{"REFUSE", "CUSTOM", "DROP"} {
		b.none("Group.CallbackAfterSendMsg", func(c callback) bool { return c.text() == refused })
	}
	b.none("Group.CallbackSendMsgException", nil)
	if _, err := mallory.SendGroup(ctx, gid, text("not a member")); codeOf(err) != 10007 {
		t.Fatalf("a non-member's send: %v", err)
	}
	if c := checked(t, b.wait("Group.CallbackSendMsgException", nil), web); c.str("ErrorCode") != "10007" || c.str("From_Account") != "mallory" || c.text() != "not a member" {
		t.Fatalf("exception %s", c.Raw)
	}
	byREST := mustOK(t, n.rest("v4/group_open_http_svc/send_group_msg", map[string]any{"GroupId": gid, "From_Account": "alice", "Random": 5,
		"MsgBody": text("receipts please"), "NeedReadReceipt": 1}))
	if c := checked(t, b.wait("Group.CallbackAfterSendMsg", func(c callback) bool { return c.text() == "receipts please" }), rest); c.str("Operator_Account") != testAdmin || c.str("From_Account") != "alice" {
		t.Fatalf("REST group send %s", c.Raw)
	}
	b.wait("Group.CallbackBeforeSendMsg", func(c callback) bool { return c.text() == "receipts please" })
	seq := int64(byREST["MsgSeq"].(float64))
	if c := checked(t, b.wait("Group.CallbackAfterReadReceipt", byGroup(gid)), rest); c.str("GroupMsgReceiptList.0.MsgSeq") != fmt.Sprint(seq) ||
		c.str("GroupMsgReceiptList.0.ReadNum") != "0" || c.str("GroupMsgReceiptList.0.UnreadNum") != "1" {
		t.Fatalf("receipts at send %s", c.Raw)
	}
	if err := bob.SendGroupReceipt(ctx, gid, seq); err != nil {
		t.Fatal(err)
	}
	if c := checked(t, b.wait("Group.CallbackAfterReadReceipt", byGroup(gid)), web); c.str("GroupMsgReceiptList.0.ReadNum") != "1" ||
		c.str("GroupMsgReceiptList.0.ReadReceiptMembers.0.Member_Account") != "bob" {
		t.Fatalf("a member's receipt %s", c.Raw)
	}
	mustOK(t, n.rest("v4/group_open_http_svc/send_group_msg", map[string]any{"GroupId": gid, "Random": 6, "MsgBody": text("after only"),
		"ForbidCallbackControl": []string{"ForbidBeforeSendMsgCallback"}}))
	b.wait("Group.CallbackAfterSendMsg", func(c callback) bool { return c.text() == "after only" })
	b.none("Group.CallbackBeforeSendMsg", func(c callback) bool { return c.text() == "after only" })

	// Recalls.
	mustOK(t, n.rest("v4/group_open_http_svc/group_msg_recall", map[string]any{"GroupId": gid, "MsgSeqList": []any{map[string]any{"MsgSeq": seq}}}))
	if c := checked(t, b.wait("Group.CallbackAfterRecallMsg", byUser("Operator_Account", testAdmin)), rest); c.str("MsgSeqList.0.MsgSeq") != fmt.Sprint(seq) {
		t.Fatalf("REST recall %s", c.Raw)
	}
	if err := bob.RecallGroupMessage(ctx, gid, sent.MsgSeq); err != nil {
		t.Fatal(err)
	}
	checked(t, b.wait("Group.CallbackAfterRecallMsg", byUser("Operator_Account", "bob")), web)

	// Profile, member fields, attributes, owner.
	mustOK(t, n.rest("v4/group_open_http_svc/modify_group_base_info", map[string]any{"GroupId": gid, "Notification": "Saturday 8am", "MaxMemberNum": 100}))
	if c := checked(t, b.wait("Group.CallbackAfterGroupInfoChanged", byGroup(gid)), rest); c.str("Notification") != "Saturday 8am" || c.field("Name") != nil || c.field("MaxMemberNum") != nil {
		t.Fatalf("REST info %s", c.Raw)
	}
	mustOK(t, n.rest("v4/group_open_http_svc/modify_group_base_info", map[string]any{"GroupId": gid, "MaxMemberNum": 90}))
	name := "Hiking Club"
	if err := alice.ModifyGroupInfo(ctx, gid, client.GroupInfoChange{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if c := checked(t, b.wait("Group.CallbackAfterGroupInfoChanged", byGroup(gid)), web); c.str("Name") != name || c.field("Notification") != nil {
		t.Fatalf("client info %s: MaxMemberNum alone must not fire", c.Raw)
	}
	mustOK(t, n.rest("v4/group_open_http_svc/modify_group_member_info", map[string]any{"GroupId": gid, "Member_Account": "bob", "Role": "Admin"}))
	if c := checked(t, b.wait("Group.CallbackAfterMemberFieldChanged", byGroup(gid)), rest); c.str("Role") != "Admin" || c.str("Modified_Account") != "bob" || c.str("Member_Account") != "bob" {
		t.Fatalf("member field %s", c.Raw)
	}
	card := "Bob - trail lead"
	if err := bob.ModifyMemberInfo(ctx, gid, "bob", client.MemberInfoChange{NameCard: &card}); err != nil {
		t.Fatal(err)
	}
	if c := checked(t, b.wait("Group.CallbackAfterMemberFieldChanged", byGroup(gid)), web); c.str("NameCard") != card || c.field("Role") != nil {
		t.Fatalf("name card %s", c.Raw)
	}
	mustOK(t, n.rest("v4/group_open_http_svc/modify_group_attr", map[string]any{"GroupId": gid, "GroupAttr": []any{map[string]any{"key": "seat_3", "value": "bob"}}}))
	if c := checked(t, b.wait("Group.CallbackAfterGroupAttrChanged", byUser("OptionType", "modify")), rest); c.str("GroupAttr.0.key") != "seat_3" || c.str("GroupAttr.0.value") != "bob" {
		t.Fatalf("attr %s", c.Raw)
	}
	mustOK(t, n.rest("v4/group_open_http_svc/delete_group_attr", map[string]any{"GroupId": gid, "GroupAttr": []any{map[string]any{"key": "seat_3"}}}))
	if c := b.wait("Group.CallbackAfterGroupAttrChanged", byUser("OptionType", "delete")); c.str("GroupAttr.0.value") != "bob" {
		t.Fatalf("deleted attr %s", c.Raw)
	}
	mustOK(t, n.rest("v4/group_open_http_svc/change_group_owner", map[string]any{"GroupId": gid, "NewOwner_Account": "bob"}))
	if c := checked(t, b.wait("Group.CallbackAfterChangeGroupOwner", byGroup(gid)), rest); c.str("OldOwner_Account") != "alice" || c.str("NewOwner_Account") != "bob" || c.str("Operator_Account") != testAdmin {
		t.Fatalf("REST owner change %s", c.Raw)
	}
	if err := bob.ChangeGroupOwner(ctx, gid, "alice"); err != nil {
		t.Fatal(err)
	}
	if c := checked(t, b.wait("Group.CallbackAfterChangeGroupOwner", byGroup(gid)), web); c.str("Operator_Account") != "bob" {
		t.Fatalf("client owner change %s", c.Raw)
	}

	// A full group, and disbanding.
	small := mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Owner_Account": "alice", "Type": "Public", "Name": "Small",
		"MaxMemberCount": 3, "MemberList": []any{map[string]any{"Member_Account": "bob"}}}))["GroupId"].(string)
	mustOK(t, n.rest("v4/group_open_http_svc/add_group_member", map[string]any{"GroupId": small, "MemberList": []any{map[string]any{"Member_Account": "carol"}}}))
	checked(t, b.wait("Group.CallbackAfterGroupFull", byGroup(small)), rest)
	wantCode(t, n.rest("v4/group_open_http_svc/add_group_member", map[string]any{"GroupId": small, "MemberList": []any{map[string]any{"Member_Account": "dave"}}}), 10014)
	b.wait("Group.CallbackAfterGroupFull", byGroup(small))
	mustOK(t, n.rest("v4/group_open_http_svc/destroy_group", map[string]any{"GroupId": small}))
	if c := checked(t, b.wait("Group.CallbackAfterGroupDestroyed", byGroup(small)), rest); len(c.field("MemberList").([]any)) != 3 || c.str("Name") != "Small" {
		t.Fatalf("destroyed %s", c.Raw)
	}
	if err := alice.DismissGroup(ctx, gid); err != nil {
		t.Fatal(err)
	}
	checked(t, b.wait("Group.CallbackAfterGroupDestroyed", byGroup(gid)), web)

	// Topics.
	cid := "@TGS#_harbor01"
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Owner_Account": "alice", "Type": "Community", "Name": "Harbor", "GroupId": cid, "SupportTopic": 1}))
	topic := mustOK(t, n.rest("v4/million_group_open_http_svc/create_topic", map[string]any{"GroupId": cid, "TopicName": "news"}))["TopicId"].(string)
	if c := checked(t, b.wait("Group.CallbackBeforeCreateTopic", byUser("Name", "news")), rest); c.str("Type") != "Community" {
		t.Fatalf("before topic %s", c.Raw)
	}
	if c := checked(t, b.wait("Group.CallbackAfterCreateTopic", byGroup(cid)), rest); c.str("TopicId") != topic || c.str("Owner_Account") != "alice" {
		t.Fatalf("after topic %s", c.Raw)
	}
	wantCode(t, n.rest("v4/million_group_open_http_svc/create_topic", map[string]any{"GroupId": cid, "TopicName": "REFUSE"}), 10016)
	b.wait("Group.CallbackBeforeCreateTopic", byUser("Name", "REFUSE"))
	mustOK(t, n.rest("v4/million_group_open_http_svc/modify_topic", map[string]any{"GroupId": cid, "TopicId": topic, "TopicName": "updates", "Introduction": "Official"}))
	if c := checked(t, b.wait("Group.CallbackAfterTopicInfoChanged", byGroup(cid)), rest); c.str("Name") != "updates" || c.str("Introduction") != "Official" || c.str("TopicId") != topic {
		t.Fatalf("topic info %s", c.Raw)
	}
	mustOK(t, n.rest("v4/million_group_open_http_svc/modify_topic", map[string]any{"GroupId": cid, "TopicId": topic, "CustomString": "x"}))
	mustOK(t, n.rest("v4/million_group_open_http_svc/destroy_topic", map[string]any{"GroupId": cid, "TopicIdList": []string{topic}}))
	if c := checked(t, b.wait("Group.CallbackAfterTopicDestroyed", byGroup(cid)), rest); c.str("TopicIdList.0") != topic {
		t.Fatalf("topics destroyed %s", c.Raw)
	}
	b.none("Group.CallbackAfterTopicInfoChanged", byGroup(cid)) // CustomString alone
	b.none("Group.CallbackAfterCreateTopic", byUser("Name", "REFUSE"))
	mustOK(t, n.rest("v4/group_open_http_svc/destroy_group", map[string]any{"GroupId": cid}))
	if c := checked(t, b.wait("Group.CallbackAfterGroupDestroyed", byGroup(cid)), rest); c.field("MemberList") != nil {
		t.Fatalf("a Community's disband lists no members: %s", c.Raw)
	}

	// A live group: joins and quits, drops and returns.
	live := mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Owner_Account": "alice", "Type": "AVChatRoom", "Name": "Live"}))["GroupId"].(string)
	viewer := dialUser(t, n, "carol")
	if err := viewer.JoinGroup(ctx, live); err != nil {
		t.Fatal(err)
	}
	checked(t, b.wait("Group.CallbackBeforeApplyJoinGroup", byGroup(live)), web)
	if c := checked(t, b.wait("Group.CallbackAfterNewMemberJoin", byGroup(live)), web); c.str("Type") != "AVChatRoom" || c.str("JoinType") != "Apply" {
		t.Fatalf("live join %s", c.Raw)
	}
	_ = viewer.Close()
	if c := checked(t, b.wait("Group.CallbackOnMemberStateChange", byGroup(live)), web); c.str("EventType") != "Offline" || c.str("MemberList.0.Member_Account") != "carol" {
		t.Fatalf("dropped %s", c.Raw)
	}
	viewer = dialUser(t, n, "carol")
	if err := viewer.JoinGroup(ctx, live); err != nil {
		t.Fatal(err)
	}
	if c := b.wait("Group.CallbackOnMemberStateChange", byGroup(live)); c.str("EventType") != "Online" {
		t.Fatalf("back %s", c.Raw)
	}
	b.none("Group.CallbackAfterNewMemberJoin", byGroup(live))
	if err := viewer.QuitGroup(ctx, live); err != nil {
		t.Fatal(err)
	}
	if c := checked(t, b.wait("Group.CallbackAfterMemberExit", byGroup(live)), web); c.str("ExitType") != "Quit" {
		t.Fatalf("live quit %s", c.Raw)
	}
	if err := mallory.JoinGroup(ctx, live); codeOf(err) != 10016 {
		t.Fatalf("a live join the app refuses: %v", err)
	}
}
