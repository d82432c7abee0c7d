package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// callbackToken is the token the flow's chatd signs its callbacks with.
const callbackToken = "tok_9f2c4"

// decideFlow is the app backend of the flow: it refuses, drops, rewrites
// or passes through by what the action carries.
func decideFlow(c callback) string {
	switch c.Command {
	case "C2C.CallbackBeforeSendMsg", "Group.CallbackBeforeSendMsg":
		custom := `{"ActionStatus":"OK","ErrorCode":120123,"ErrorInfo":"custom refusal"}`
		if c.Command == "Group.CallbackBeforeSendMsg" {
			custom = `{"ActionStatus":"OK","ErrorCode":10123,"ErrorInfo":"custom refusal"}`
		}
		switch c.text() {
		case "REFUSE":
			return `{"ActionStatus":"OK","ErrorCode":1,"ErrorInfo":"no"}`
		case "DROP":
			return `{"ActionStatus":"OK","ErrorCode":2,"ErrorInfo":""}`
		case "REWRITE":
			return `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"***"}}],"CloudCustomData":"rewritten"}`
		case "CUSTOM":
			return custom
		}
	case "Group.CallbackBeforeCreateGroup", "Group.CallbackBeforeCreateTopic":
		switch c.str("Name") {
		case "REFUSE":
			return `{"ActionStatus":"OK","ErrorCode":1,"ErrorInfo":""}`
		case "LIMIT":
			return `{"ActionStatus":"OK","ErrorCode":10150,"ErrorInfo":"group limit reached for this user"}`
		}
	case "Group.CallbackBeforeApplyJoinGroup":
		if c.str("Requestor_Account") == "mallory" {
			return `{"ActionStatus":"OK","ErrorCode":1,"ErrorInfo":""}`
		}
	case "Group.CallbackBeforeInviteJoinGroup":
		return `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","RefusedMembers_Account":["mallory"]}`
	case "Sns.CallbackPrevFriendAdd":
		return `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[{"To_Account":"carol","ResultCode":38001,"ResultInfo":"target does not accept requests"}]}`
	case "Sns.CallbackPrevFriendResponse":
		if c.str("ResponseFriendItem.0.To_Account") == "mallory" {
			return `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[{"To_Account":"mallory","ResultCode":38002,"ResultInfo":"not her"}]}`
		}
	case "Chatbot.OnC2CSignalMessage":
		rsp, _ := json.Marshal("shipped: " + c.str("Data"))
		return `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","RspData":` + string(rsp) + `}`
	}
	return ""
}

// TestCallbacksFlow: each of the callbacks arrives from every path that
// triggers it, REST and client, with the spec's fields, EventTime,
// OptPlatform, ClientIP and a Sign that verifies; the before callbacks'
// answers decide (refuse, pass a code through, drop, rewrite, refuse some
// members or targets), and a refused action fires no after callback.
func TestCallbacksFlow(t *testing.T) {
	storeEngines(t, testCallbacksFlow)
}

func testCallbacksFlow(t *testing.T, storeArgs []string) {
	b := newBackend(t, callbackToken, decideFlow).start()
	n := startTestApp(t, "", append(storeArgs, "--callback-url", b.url(), "--callback-token", callbackToken)...)
	ctx := context.Background()
	const rest, web = "RESTAPI", "Web"
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{
		"Accounts": []string{"alice", "bob", "carol", "dave", "erin", "mallory", "@RBT#helper"}}))
	check := func(c callback, platform string) callback { t.Helper(); return checked(t, c, platform) }

	// Logins and profiles.
	alice, bob := dialUser(t, n, "alice"), dialUser(t, n, "bob")
	if c := check(b.wait("State.StateChange", stateOf("alice", "Login")), web); c.str("Info.Reason") != "Register" {
		t.Fatalf("login %s", c.Raw)
	}
	mustOK(t, n.rest("v4/profile/portrait_set", map[string]any{"From_Account": "bob", "ProfileItem": []any{
		map[string]any{"Tag": "Tag_Profile_IM_AllowType", "Value": "AllowType_Type_AllowAny"}}}))
	if c := check(b.wait("Profile.CallbackPortraitSet", byUser("From_Account", "bob")), rest); c.str("Operator_Account") != testAdmin || c.str("ProfileItem.0.Value") != "AllowType_Type_AllowAny" {
		t.Fatalf("REST portrait_set %s", c.Raw)
	}
	if err := alice.SetProfile(ctx, client.Field("Tag_Profile_IM_Nick", "Alice")); err != nil {
		t.Fatal(err)
	}
	if c := check(b.wait("Profile.CallbackPortraitSet", byUser("From_Account", "alice")), web); c.str("Operator_Account") != "alice" {
		t.Fatalf("client set_profile %s", c.Raw)
	}

	// Friends: the client's request is judged target by target.
	res, err := alice.AddFriends(ctx, client.AddBoth, client.AddFriendItem{To: "bob", AddSource: "AddSource_Type_App"}, client.AddFriendItem{To: "carol", AddSource: "AddSource_Type_App"})
	if err != nil || res[0].ResultCode != 0 || res[1].ResultCode != 38001 || res[1].ResultInfo != "target does not accept requests" {
		t.Fatalf("add_friend judged by the app: %+v, %v", res, err)
	}
	check(b.wait("Sns.CallbackPrevFriendAdd", nil), web)
	if c := check(b.wait("Sns.CallbackFriendAdd", nil), web); c.str("ClientCmd") != "friend_add" || c.str("Admin_Account") != "" ||
		len(c.field("PairList").([]any)) != 2 || c.str("PairList.0.Initiator_Account") != "alice" || strings.Contains(c.Raw, "carol") {
		t.Fatalf("client friend add %s", c.Raw)
	}
	erin, dave := dialUser(t, n, "erin"), dialUser(t, n, "dave")
	if res, err := erin.AddFriends(ctx, client.AddBoth, client.AddFriendItem{To: "dave", AddSource: "AddSource_Type_App"}); err != nil || res[0].ResultCode != 30539 {
		t.Fatalf("pending request: %+v, %v", res, err)
	}
	b.wait("Sns.CallbackPrevFriendAdd", byUser("From_Account", "erin"))
	b.none("Sns.CallbackFriendAdd", byUser("PairList.0.From_Account", "erin")) // pending is not added
	if err := dave.RespondFriendRequest(ctx, client.FriendResponse{From: "erin", Action: client.FriendAgreeAndAdd}); err != nil {
		t.Fatal(err)
	}
	if c := check(b.wait("Sns.CallbackPrevFriendResponse", nil), web); c.str("From_Account") != "dave" || c.str("ResponseFriendItem.0.ResponseAction") != "Response_Action_AgreeAndAdd" {
		t.Fatalf("response %s", c.Raw)
	}
	if c := check(b.wait("Sns.CallbackFriendAdd", nil), web); c.str("ClientCmd") != "friend_response" || c.str("PairList.0.Initiator_Account") != "erin" {
		t.Fatalf("accepted request %s", c.Raw)
	}
	mallory := dialUser(t, n, "mallory")
	if res, _ := mallory.AddFriends(ctx, client.AddSingle, client.AddFriendItem{To: "dave", AddSource: "AddSource_Type_App"}); res[0].ResultCode != 30539 {
		t.Fatalf("mallory's request: %+v", res)
	}
	if err := dave.RespondFriendRequest(ctx, client.FriendResponse{From: "mallory", Action: client.FriendAgree}); codeOf(err) != 38002 {
		t.Fatalf("a response the app refuses: %v", err)
	}
	b.wait("Sns.CallbackPrevFriendResponse", nil)
	mustOK(t, n.rest("v4/sns/friend_add", map[string]any{"From_Account": "carol", "ForceAddFlags": 1,
		"AddFriendItem": []any{map[string]any{"To_Account": "dave", "AddSource": "AddSource_Type_Admin"}}}))
	b.none("Sns.CallbackPrevFriendAdd", byUser("From_Account", "carol")) // REST adds are not judged
	if c := check(b.wait("Sns.CallbackFriendAdd", byUser("PairList.0.Initiator_Account", "carol")), rest); c.str("Admin_Account") != testAdmin || c.str("ForceFlag") != "1" {
		t.Fatalf("REST forced add %s", c.Raw)
	}
	if _, err := alice.DeleteFriends(ctx, false, "bob"); err != nil {
		t.Fatal(err)
	}
	if c := check(b.wait("Sns.CallbackFriendDelete", nil), web); c.str("PairList.0.From_Account") != "alice" || c.str("PairList.0.To_Account") != "bob" {
		t.Fatalf("friend delete %s", c.Raw)
	}
	mustOK(t, n.rest("v4/sns/friend_delete", map[string]any{"From_Account": "carol", "To_Account": []string{"dave"}}))
	check(b.wait("Sns.CallbackFriendDelete", byUser("PairList.0.From_Account", "carol")), rest)
	if _, err := dave.Block(ctx, "erin"); err != nil {
		t.Fatal(err)
	}
	check(b.wait("Sns.CallbackBlackListAdd", byUser("PairList.0.From_Account", "dave")), web)
	if c := check(b.wait("Sns.CallbackFriendDelete", byUser("PairList.0.From_Account", "dave")), web); len(c.field("PairList").([]any)) != 2 {
		t.Fatalf("blocking a friend ends the friendship both ways: %s", c.Raw)
	}
	if _, err := dave.Unblock(ctx, "erin"); err != nil {
		t.Fatal(err)
	}
	check(b.wait("Sns.CallbackBlackListDelete", byUser("PairList.0.From_Account", "dave")), web)
	mustOK(t, n.rest("v4/sns/black_list_add", map[string]any{"From_Account": "carol", "To_Account": []string{"mallory"}}))
	check(b.wait("Sns.CallbackBlackListAdd", byUser("PairList.0.From_Account", "carol")), rest)
	mustOK(t, n.rest("v4/sns/black_list_delete", map[string]any{"From_Account": "carol", "To_Account": []string{"mallory"}}))
	check(b.wait("Sns.CallbackBlackListDelete", byUser("PairList.0.From_Account", "carol")), rest)

	// One-to-one messages.
	testC2CCallbacks(t, n, b, alice, bob)

	// Groups.
	testGroupCallbacks(t, n, b, map[string]*client.Client{"alice": alice, "bob": bob, "dave": dave, "erin": erin, "mallory": mallory})

	// Chatbot passthrough: the app's RspData comes back as the bot's
	// message.
	payload := `{"chatbotPlugin":1,"src":3,"data":"order A-2291?"}`
	if _, err := alice.SendC2C(ctx, "@RBT#helper", []client.MsgElem{client.Custom(payload, "", "")}); err != nil {
		t.Fatal(err)
	}
	if c := check(b.wait("Chatbot.OnC2CSignalMessage", nil), web); c.str("Data") != "order A-2291?" || c.str("To_Account") != "@RBT#helper" {
		t.Fatalf("chatbot %s", c.Raw)
	}
	for {
		m, _ := nextEvent(t, alice, client.TypeC2CMsg).C2CMessage()
		if m.From == "@RBT#helper" {
			if !strings.Contains(string(m.MsgBody[0].MsgContent), "shipped: order A-2291?") {
				t.Fatalf("the bot's reply %s", m.MsgBody[0].MsgContent)
			}
			break
		}
	}

	// Logout, admin kick, a closed connection.
	if err := erin.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if c := check(b.wait("State.StateChange", stateOf("erin", "Logout")), web); c.str("Info.Reason") != "Unregister" {
		t.Fatalf("logout %s", c.Raw)
	}
	mustOK(t, n.rest("v4/im_open_login_svc/kick", map[string]any{"UserID": "dave"}))
	if c := b.wait("State.StateChange", stateOf("dave", "Logout")); c.str("Info.Reason") != "Unregister" {
		t.Fatalf("kick %s", c.Raw)
	}
	_ = mallory.Close()
	if c := b.wait("State.StateChange", stateOf("mallory", "Disconnect")); c.str("Info.Reason") != "LinkClose" {
		t.Fatalf("closed connection %s", c.Raw)
	}
	pad, err := client.Dial(ctx, n.BaseURL, testAppID, "alice", userSig("alice"), client.WithPlatform("iPhone"))
	if err != nil {
		t.Fatal(err)
	}
	defer pad.Close()
	if c := b.wait("State.StateChange", func(c callback) bool { return c.Query.Get("OptPlatform") == "IOS" }); c.str("Info.To_Account") != "alice" {
		t.Fatalf("an iPhone's login %s", c.Raw)
	}
}

func testC2CCallbacks(t *testing.T, n *node, b *backend, alice, bob *client.Client) {
	ctx := context.Background()
	sent, err := alice.SendC2C(ctx, "bob", text("hello"), client.WithCloudCustomData(`{"thread":"t-17"}`))
	if err != nil {
		t.Fatal(err)
	}
	before := b.wait("C2C.CallbackBeforeSendMsg", func(c callback) bool { return c.text() == "hello" })
	checkFields(t, before)
	checkOrigin(t, before, "Web")
	after := b.wait("C2C.CallbackAfterSendMsg", func(c callback) bool { return c.text() == "hello" })
	checkFields(t, after)
	if after.str("MsgKey") != sent.MsgKey || before.str("MsgKey") != sent.MsgKey || after.str("SendMsgResult") != "0" ||
		after.str("ErrorInfo") != "send msg succeed" || after.str("UnreadMsgNum") != "1" || after.str("CloudCustomData") != `{"thread":"t-17"}` {
		t.Fatalf("after send %s (sent %+v)", after.Raw, sent)
	}
	for _, tc := range []struct {
		text string
		code int
	}{{"REFUSE", 20006}, {"CUSTOM", 120123}} {
		if _, err := alice.SendC2C(ctx, "bob", text(tc.text)); codeOf(err) != tc.code {
			t.Fatalf("%s: %v, want %d", tc.text, err, tc.code)
		}
		b.wait("C2C.CallbackBeforeSendMsg", func(c callback) bool { return c.text() == tc.text })
	}
	if _, err := alice.SendC2C(ctx, "bob", text("DROP")); err != nil {
		t.Fatalf("a dropped message is answered as sent: %v", err)
	}
	if _, err := alice.SendC2C(ctx, "bob", text("REWRITE")); err != nil {
		t.Fatal(err)
	}
	if got := texts(t, bob, 2); got[0] != `{"Text":"hello"}` || got[1] != `{"Text":"***"}` {
		t.Fatalf("bob received %v: a refused or dropped message reached him, or the rewrite did not", got)
	}
	if c := b.wait("C2C.CallbackAfterSendMsg", func(c callback) bool { return c.text() == "***" }); c.str("CloudCustomData") != "rewritten" {
		t.Fatalf("the after callback reports the rewritten message: %s", c.Raw)
	}
	for _, refused := range []string{"REFUSE", "CUSTOM", "DROP"} {
		b.none("C2C.CallbackAfterSendMsg", func(c callback) bool { return c.text() == refused })
	}

	// REST: sendmsg fires both unless forbidden; batchsendmsg fires none.
	send := func(body map[string]any) map[string]any {
		body["From_Account"], body["MsgRandom"] = "alice", 7
		return mustOK(t, n.rest("v4/openim/sendmsg", body))
	}
	byREST := send(map[string]any{"To_Account": "bob", "MsgBody": text("by REST")})
	checkOrigin(t, b.wait("C2C.CallbackBeforeSendMsg", func(c callback) bool { return c.text() == "by REST" }), "RESTAPI")
	checkOrigin(t, b.wait("C2C.CallbackAfterSendMsg", func(c callback) bool { return c.text() == "by REST" }), "RESTAPI")
	send(map[string]any{"To_Account": "bob", "MsgBody": text("forbidden"), "ForbidCallbackControl": []string{"ForbidBeforeSendMsgCallback", "ForbidAfterSendMsgCallback"}})
	send(map[string]any{"To_Account": "bob", "MsgBody": text("REFUSE"), "ForbidCallbackControl": []string{"ForbidBeforeSendMsgCallback"}})
	b.wait("C2C.CallbackAfterSendMsg", func(c callback) bool { return c.text() == "REFUSE" })
	wantCode(t, n.rest("v4/openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgRandom": 8, "MsgBody": text("REFUSE")}), 20006)
	mustOK(t, n.rest("v4/openim/batchsendmsg", map[string]any{"From_Account": "alice", "To_Account": []string{"bob"}, "MsgRandom": 9, "MsgBody": text("batch")}))
	b.none("C2C.CallbackBeforeSendMsg", func(c callback) bool { return c.text() == "forbidden" || c.text() == "batch" })
	b.none("C2C.CallbackAfterSendMsg", func(c callback) bool { return c.text() == "forbidden" || c.text() == "batch" })

	// Read reports and recalls, from the client and from REST.
	if _, err := bob.MarkC2CRead(ctx, "alice", time.Now()); err != nil {
		t.Fatal(err)
	}
	if c := checked(t, b.wait("C2C.CallbackAfterMsgReport", nil), "Web"); c.str("Report_Account") != "bob" || c.str("Peer_Account") != "alice" || c.str("UnreadMsgNum") != "0" {
		t.Fatalf("read report %s", c.Raw)
	}
	mustOK(t, n.rest("v4/openim/admin_set_msg_read", map[string]any{"Report_Account": "alice", "Peer_Account": "bob"}))
	checked(t, b.wait("C2C.CallbackAfterMsgReport", func(c callback) bool { return c.str("Report_Account") == "alice" }), "RESTAPI")
	if err := alice.RecallC2C(ctx, "bob", sent.MsgKey); err != nil {
		t.Fatal(err)
	}
	if c := checked(t, b.wait("C2C.CallbackAfterMsgWithDraw", nil), "Web"); c.str("MsgKey") != sent.MsgKey || c.str("To_Account") != "bob" {
		t.Fatalf("recall %s", c.Raw)
	}
	mustOK(t, n.rest("v4/openim/admin_msgwithdraw", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgKey": byREST["MsgKey"]}))
	checked(t, b.wait("C2C.CallbackAfterMsgWithDraw", func(c callback) bool { return c.str("MsgKey") == byREST["MsgKey"] }), "RESTAPI")
}

// byUser matches callbacks whose field holds user.
func byUser(field, user string) func(c callback) bool {
	return func(c callback) bool { return c.str(field) == user }
}

// stateOf matches a user's State.StateChange of the given Action.
func stateOf(user, action string) func(c callback) bool {
	return func(c callback) bool { return c.str("Info.To_Account") == user && c.str("Info.Action") == action }
}

// checked checks a callback's fields and origin, and returns it.
func checked(t *testing.T, c callback, platform string) callback {
	t.Helper()
	checkFields(t, c)
	checkOrigin(t, c, platform)
	return c
}
