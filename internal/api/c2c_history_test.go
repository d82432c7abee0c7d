package api_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestGetRoamMsg(t *testing.T) {
	ts, _ := c2cFixture(t)
	// 30 messages, one a second, alternating sides; one with SyncOtherMachine 2.
	var keys []string
	for i := range 30 {
		ts.clock.Advance(time.Second)
		from, to := "alice", "bob"
		if i%2 == 1 {
			from, to = to, from
		}
		fields := map[string]any{"MsgSeq": i, "CloudCustomData": fmt.Sprint("cd", i)}
		if i == 7 {
			fields["SyncOtherMachine"] = 2 // from bob: absent from bob's side
		}
		keys = append(keys, ts.sendC2C(t, from, to, fmt.Sprint("m", i), fields))
	}
	t.Run("one page", func(t *testing.T) {
		env := ts.must(t, pathRoamMsg, jsonBody(t, map[string]any{"Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 100,
			"MinTime": 0, "MaxTime": ts.clock.Now().Unix()}), 0)
		sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "Complete", "MsgCnt", "LastMsgTime", "LastMsgKey", "MsgList")
		msgs := list(t, env["MsgList"])
		if num(t, env["Complete"]) != 1 || num(t, env["MsgCnt"]) != 30 || len(msgs) != 30 || env["LastMsgKey"] != keys[0] {
			t.Fatalf("reply Complete %v MsgCnt %v LastMsgKey %v, %d messages", env["Complete"], env["MsgCnt"], env["LastMsgKey"], len(msgs))
		}
		m := msgs[29] // oldest first within the page
		sameKeys(t, "message", m, "From_Account", "To_Account", "MsgSeq", "MsgRandom", "MsgTimeStamp", "MsgFlagBits", "IsPeerRead", "MsgKey", "MsgBody", "CloudCustomData")
		if m["MsgKey"] != keys[29] || m["From_Account"] != "bob" || m["To_Account"] != "alice" || num(t, m["MsgSeq"]) != 29 ||
			m["CloudCustomData"] != "cd29" || num(t, m["MsgFlagBits"]) != 0 || num(t, m["IsPeerRead"]) != 0 {
			t.Errorf("newest message %v", m)
		}
		if got := len(roam(t, ts, "bob", "alice", nil)); got != 29 {
			t.Errorf("bob's side holds %d messages, want 29 (SyncOtherMachine 2 kept one from it)", got)
		}
	})
	t.Run("pages newest first", func(t *testing.T) {
		var got []string
		req := map[string]any{"Operator_Account": "alice", "Peer_Account": "bob", "MaxCnt": 12, "MinTime": testEpoch.Unix() + 3, "MaxTime": testEpoch.Unix() + 28}
		for page := 0; ; page++ {
			env := ts.must(t, pathRoamMsg, jsonBody(t, req), 0)
			msgs := list(t, env["MsgList"])
			for i := len(msgs) - 1; i >= 0; i-- {
				got = append(got, msgs[i]["MsgKey"].(string))
			}
			if env["LastMsgKey"] != msgs[0]["MsgKey"] || num(t, env["LastMsgTime"]) != num(t, msgs[0]["MsgTimeStamp"]) {
				t.Fatalf("page %d: LastMsgKey %v LastMsgTime %v, not its oldest message", page, env["LastMsgKey"], env["LastMsgTime"])
			}
			if num(t, env["Complete"]) == 1 {
				break
			}
			req["MaxTime"], req["LastMsgKey"] = env["LastMsgTime"], env["LastMsgKey"]
		}
		var want []string
		for i := 27; i >= 2; i-- { // MsgTime epoch+1+i within [epoch+3, epoch+28]
			want = append(want, keys[i])
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("paged %v\nwant %v", got, want)
		}
	})
	t.Run("about 13 KB a page", func(t *testing.T) {
		big := strings.Repeat("x", 5000)
		for i := range 3 {
			ts.clock.Advance(time.Second)
			ts.sendC2C(t, "carol", "dave", fmt.Sprint(i, big), nil)
		}
		env := ts.must(t, pathRoamMsg, `{"Operator_Account":"carol","Peer_Account":"dave","MaxCnt":10,"MinTime":0,"MaxTime":4000000000}`, 0)
		if n := len(list(t, env["MsgList"])); n != 2 || num(t, env["Complete"]) != 0 {
			t.Errorf("%d messages of 5 KB, Complete %v; want 2 and 0", n, env["Complete"])
		}
	})
	t.Run("older clients' names", func(t *testing.T) {
		msgs := roam(t, ts, "", "", map[string]any{"Operator_Account": absent, "Peer_Account": absent, "From_Account": "bob", "To_Account": "alice"})
		if len(msgs) != 29 {
			t.Errorf("From_Account/To_Account: %d messages, want bob's 29", len(msgs))
		}
	})
	t.Run("empty", func(t *testing.T) {
		env := ts.must(t, pathRoamMsg, `{"Operator_Account":"alice","Peer_Account":"dave","MaxCnt":10,"MinTime":0,"MaxTime":4000000000}`, 0)
		if msgs := list(t, env["MsgList"]); len(msgs) != 0 || num(t, env["Complete"]) != 1 || env["LastMsgKey"] != "" {
			t.Errorf("reply %v", env)
		}
	})
	for _, tt := range []struct {
		name string
		body string
		want int
	}{
		{"Operator_Account missing", `{"Peer_Account":"bob","MaxCnt":1}`, 90008},
		{"Operator_Account not imported", `{"Operator_Account":"ghost","Peer_Account":"bob","MaxCnt":1}`, 90008},
		{"Operator_Account a number", `{"Operator_Account":1,"Peer_Account":"bob","MaxCnt":1}`, 90008},
		{"Peer_Account missing", `{"Operator_Account":"alice","MaxCnt":1}`, 90003},
		{"Peer_Account not imported", `{"Operator_Account":"alice","Peer_Account":"ghost","MaxCnt":1}`, 90003},
		{"MaxCnt missing", `{"Operator_Account":"alice","Peer_Account":"bob"}`, 20001},
		{"LastMsgKey malformed", `{"Operator_Account":"alice","Peer_Account":"bob","MaxCnt":1,"LastMsgKey":"x_y"}`, 90054},
		{"the admin's side", `{"Operator_Account":"administrator","Peer_Account":"bob","MaxCnt":1}`, 0},
	} {
		t.Run(tt.name, func(t *testing.T) { ts.must(t, pathRoamMsg, tt.body, tt.want) })
	}
}

func TestMsgWithdraw(t *testing.T) {
	ts, rec := c2cFixture(t)
	key := ts.sendC2C(t, "alice", "bob", "oops", map[string]any{"SyncOtherMachine": 1, "CloudCustomData": "secret"})
	rec.take()
	ts.clock.Advance(time.Hour) // an admin's recall has no time limit
	body := func(fields map[string]any) string {
		return jsonBody(t, withFields(map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgKey": key}, fields))
	}
	ts.must(t, pathMsgWithdraw, body(nil), 0)
	pushes := rec.take()
	if len(pushes) != 2 || pushes[0].to != "bob" || pushes[1].to != "alice" {
		t.Fatalf("pushes %+v, want the recall to bob and alice", pushes)
	}
	for _, p := range pushes {
		want := map[string]any{"Type": "C2CMsgRecalled", "From_Account": "alice", "To_Account": "bob", "MsgKey": key}
		if !reflect.DeepEqual(p.event, want) || p.push.Seq != 2 {
			t.Errorf("push %+v, want Seq 2 and %v", p, want)
		}
	}
	for _, side := range []string{"alice", "bob"} {
		m := roam(t, ts, side, map[string]string{"alice": "bob", "bob": "alice"}[side], nil)[0]
		if num(t, m["MsgFlagBits"]) != 8 || m["MsgKey"] != key || string(mustJSON(t, m["MsgBody"])) != `[]` || m["CloudCustomData"] != "" {
			t.Errorf("%s's history after the recall: %v", side, m)
		}
		// The message's own stream entry now says it was recalled: a
		// device syncing now never sees the content.
		stream := ts.userStream(t, side)
		if len(stream) != 2 || strings.Contains(string(stream[0]), "oops") || !strings.Contains(string(stream[0]), `"MsgFlagBits":8`) {
			t.Errorf("%s's stream: %s", side, stream)
		}
	}
	for _, tt := range []struct {
		name   string
		fields map[string]any
		want   int
	}{
		{"again", nil, 20023},
		{"unknown message", map[string]any{"MsgKey": "1_2_3"}, 20022},
		{"the other direction", map[string]any{"From_Account": "bob", "To_Account": "alice"}, 20022},
		{"MsgKey missing", map[string]any{"MsgKey": absent}, 90054},
		{"MsgKey malformed", map[string]any{"MsgKey": "1-2-3"}, 90054},
		{"MsgKey a number", map[string]any{"MsgKey": 1}, 90054},
		{"From_Account missing", map[string]any{"From_Account": absent}, 90008},
		{"From_Account not imported", map[string]any{"From_Account": "ghost"}, 90008},
		{"To_Account missing", map[string]any{"To_Account": absent}, 90003},
		{"To_Account not imported", map[string]any{"To_Account": "ghost"}, 90003},
	} {
		t.Run(tt.name, func(t *testing.T) { ts.must(t, pathMsgWithdraw, body(tt.fields), tt.want) })
	}
	t.Run("SyncOtherMachine 2: only the recipient's side hears of it", func(t *testing.T) {
		key := ts.sendC2C(t, "carol", "dave", "hidden", map[string]any{"SyncOtherMachine": 2})
		rec.take()
		ts.must(t, pathMsgWithdraw, jsonBody(t, map[string]any{"From_Account": "carol", "To_Account": "dave", "MsgKey": key}), 0)
		if p := rec.take(); len(p) != 1 || p[0].to != "dave" {
			t.Errorf("pushes %+v", p)
		}
	})
}

func TestModifyC2CMsg(t *testing.T) {
	ts, rec := c2cFixture(t)
	key := ts.sendC2C(t, "alice", "bob", "lunch at noon?", map[string]any{"CloudCustomData": "v1"})
	rec.take()
	body := func(fields map[string]any) string {
		return jsonBody(t, withFields(map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgKey": key}, fields))
	}
	check := func(text, custom string) {
		t.Helper()
		for _, side := range [][2]string{{"alice", "bob"}, {"bob", "alice"}} {
			m := roamed(t, ts, side[0], side[1], key)
			if got := string(mustJSON(t, m["MsgBody"])); got != jsonBody(t, textBody(text)) || m["CloudCustomData"] != custom {
				t.Errorf("%s's side: MsgBody %s CloudCustomData %v, want %q %q", side[0], got, m["CloudCustomData"], text, custom)
			}
		}
		if stream := ts.userStream(t, "bob"); !strings.Contains(string(stream[0]), text) {
			t.Errorf("bob's stream entry of the message: %s, want %q", stream[0], text)
		}
	}
	ts.must(t, pathModifyC2C, body(map[string]any{"MsgBody": textBody("lunch at 12:30?")}), 0)
	check("lunch at 12:30?", "v1")
	pushes := rec.take()
	if len(pushes) != 2 || pushes[0].to != "bob" || pushes[1].to != "alice" {
		t.Fatalf("pushes %+v, want bob and alice (whose side has the message, though her devices were not sent it)", pushes)
	}
	sameKeys(t, "event", pushes[0].event, "Type", "From_Account", "To_Account", "MsgKey", "MsgBody")
	if pushes[0].event["Type"] != "C2CMsgModified" || pushes[0].event["MsgKey"] != key {
		t.Errorf("event %v", pushes[0].event)
	}
	ts.must(t, pathModifyC2C, body(map[string]any{"CloudCustomData": ""}), 0)
	check("lunch at 12:30?", "")
	if ev := rec.take()[0].event; ev["CloudCustomData"] != "" || ev["MsgBody"] != nil {
		t.Errorf("event %v, want CloudCustomData \"\" only", ev)
	}
	ts.must(t, pathModifyC2C, body(map[string]any{"MsgBody": textBody("both"), "CloudCustomData": "v3"}), 0)
	check("both", "v3")
	rec.take()

	recalled := ts.sendC2C(t, "alice", "bob", "gone", nil)
	ts.must(t, pathMsgWithdraw, jsonBody(t, map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgKey": recalled}), 0)
	for _, tt := range []struct {
		name   string
		fields map[string]any
		want   int
	}{
		{"nothing to change", nil, 20001},
		{"MsgBody an object", map[string]any{"MsgBody": textBody("x")[0]}, 90007},
		{"MsgBody empty", map[string]any{"MsgBody": []any{}}, 90002},
		{"MsgBody malformed", map[string]any{"MsgBody": []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{}}}}, 90002},
		{"over 12 KB", map[string]any{"CloudCustomData": strings.Repeat("x", 12<<10)}, 93000},
		{"CloudCustomData a number", map[string]any{"CloudCustomData": 1}, 20001},
		{"unknown message", map[string]any{"MsgKey": "1_1_1", "CloudCustomData": "x"}, 20022},
		{"a recalled message", map[string]any{"MsgKey": recalled, "CloudCustomData": "x"}, 20023},
		{"MsgKey malformed", map[string]any{"MsgKey": "k", "CloudCustomData": "x"}, 90054},
		{"From_Account missing", map[string]any{"From_Account": absent, "CloudCustomData": "x"}, 20003},
		{"From_Account not imported", map[string]any{"From_Account": "ghost", "CloudCustomData": "x"}, 20003},
		{"To_Account missing", map[string]any{"To_Account": absent, "CloudCustomData": "x"}, 90003},
		{"To_Account not imported", map[string]any{"To_Account": "ghost", "CloudCustomData": "x"}, 90012},
	} {
		t.Run(tt.name, func(t *testing.T) { ts.must(t, pathModifyC2C, body(tt.fields), tt.want) })
	}
	check("both", "v3")
}

// roamed is the message with key on owner's side of the conversation.
func roamed(t *testing.T, ts *testServer, owner, peer, key string) map[string]any {
	t.Helper()
	for _, m := range roam(t, ts, owner, peer, nil) {
		if m["MsgKey"] == key {
			return m
		}
	}
	t.Fatalf("%s's side has no message %s", owner, key)
	return nil
}

// unreadOf is user's unread counts with each peer, through the REST API.
func unreadOf(t *testing.T, ts *testServer, user string, peers ...string) map[string]int64 {
	t.Helper()
	env := ts.must(t, pathUnreadNum, jsonBody(t, map[string]any{"To_Account": user, "Peer_Account": peers}), 0)
	out := map[string]int64{}
	for _, e := range list(t, env["C2CUnreadMsgNumList"]) {
		out[e["Peer_Account"].(string)] = num(t, e["C2CUnreadMsgNum"])
	}
	return out
}

// totalUnread is user's AllC2CUnreadMsgNum.
func totalUnread(t *testing.T, ts *testServer, user string) int64 {
	t.Helper()
	env := ts.must(t, pathUnreadNum, jsonBody(t, map[string]any{"To_Account": user}), 0)
	sameKeys(t, "total reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "AllC2CUnreadMsgNum")
	return num(t, env["AllC2CUnreadMsgNum"])
}

func TestC2CReadAndUnread(t *testing.T) {
	ts, rec := c2cFixture(t)
	var keys []string
	for i, from := range []string{"alice", "alice", "carol", "alice", "bob"} {
		ts.clock.Advance(time.Second)
		to := "bob"
		if from == "bob" {
			to = "alice"
		}
		fields := map[string]any{}
		if i == 3 {
			fields["SendMsgControl"] = []string{"NoUnread"}
		}
		keys = append(keys, ts.sendC2C(t, from, to, fmt.Sprint("m", i), fields))
	}
	ts.sendC2C(t, "dave", "bob", "online only", map[string]any{"OnlineOnlyFlag": 1})
	ts.sendC2C(t, "dave", "bob", "no offline wait", map[string]any{"MsgLifeTime": 0})
	rec.take()
	if got := unreadOf(t, ts, "bob", "alice", "carol", "dave"); !reflect.DeepEqual(got, map[string]int64{"alice": 2, "carol": 1, "dave": 0}) {
		t.Errorf("bob's unread %v", got)
	}
	if n := totalUnread(t, ts, "bob"); n != 3 {
		t.Errorf("bob's total %d, want 3", n)
	}

	// Bob reads alice's conversation up to her first message.
	_, _, first := keyOf(t, keys[0])
	ts.must(t, pathSetMsgRead, jsonBody(t, map[string]any{"Report_Account": "bob", "Peer_Account": "alice", "MsgReadTime": fmt.Sprint(first)}), 0)
	pushes := rec.take()
	if len(pushes) != 2 || pushes[0].to != "bob" || pushes[1].to != "alice" {
		t.Fatalf("pushes %+v, want the read event to bob and alice", pushes)
	}
	want := map[string]any{"Type": "C2CRead", "Report_Account": "bob", "Peer_Account": "alice", "MsgReadTime": json.Number(fmt.Sprint(first)), "C2CUnreadMsgNum": json.Number("1")}
	if !reflect.DeepEqual(pushes[0].event, want) {
		t.Errorf("bob's event %v, want %v", pushes[0].event, want)
	}
	delete(want, "C2CUnreadMsgNum")
	if !reflect.DeepEqual(pushes[1].event, want) {
		t.Errorf("alice's event %v, want %v", pushes[1].event, want)
	}
	read := map[string]int64{}
	for _, m := range roam(t, ts, "alice", "bob", nil) {
		read[m["MsgKey"].(string)] = num(t, m["IsPeerRead"])
	}
	if !reflect.DeepEqual(read, map[string]int64{keys[0]: 1, keys[1]: 0, keys[3]: 0, keys[4]: 0}) {
		t.Errorf("IsPeerRead %v", read)
	}
	if got := unreadOf(t, ts, "bob", "alice"); got["alice"] != 1 {
		t.Errorf("unread with alice %v, want 1", got)
	}
	ts.must(t, pathSetMsgRead, jsonBody(t, map[string]any{"Report_Account": "bob", "Peer_Account": "alice", "MsgReadTime": first - 5}), 0)
	if p := rec.take(); len(p) != 0 {
		t.Errorf("an earlier mark moved it back: %+v", p)
	}
	// Absent: now. A recall takes a message out of the count too.
	ts.must(t, pathMsgWithdraw, jsonBody(t, map[string]any{"From_Account": "carol", "To_Account": "bob", "MsgKey": keys[2]}), 0)
	ts.must(t, pathSetMsgRead, `{"Report_Account":"bob","Peer_Account":"alice"}`, 0)
	if n := totalUnread(t, ts, "bob"); n != 0 {
		t.Errorf("bob's total after reading alice and carol's recall: %d", n)
	}
	if n := totalUnread(t, ts, "alice"); n != 1 {
		t.Errorf("alice's total %d, want bob's message", n)
	}
	ts.clock.Advance(time.Second)
	ts.sendC2C(t, "alice", "bob", "later", nil)
	if got := unreadOf(t, ts, "bob", "alice"); got["alice"] != 1 {
		t.Errorf("a message after the mark: unread %v", got)
	}

	for _, tt := range []struct {
		name string
		body string
		want int
	}{
		{"MsgReadTime a number", `{"Report_Account":"bob","Peer_Account":"carol","MsgReadTime":1}`, 0},
		{"MsgReadTime null", `{"Report_Account":"bob","Peer_Account":"carol","MsgReadTime":null}`, 0},
		{"MsgReadTime ahead of now", `{"Report_Account":"bob","Peer_Account":"carol","MsgReadTime":"9999999999"}`, 0},
		{"MsgReadTime not a number", `{"Report_Account":"bob","Peer_Account":"carol","MsgReadTime":"soon"}`, 20001},
		{"MsgReadTime negative", `{"Report_Account":"bob","Peer_Account":"carol","MsgReadTime":-1}`, 20001},
		{"MsgReadTime a fraction", `{"Report_Account":"bob","Peer_Account":"carol","MsgReadTime":1.5}`, 20001},
		{"Report_Account missing", `{"Peer_Account":"carol"}`, 90008},
		{"Report_Account not imported", `{"Report_Account":"ghost","Peer_Account":"carol"}`, 90008},
		{"Peer_Account missing", `{"Report_Account":"bob"}`, 90003},
		{"Peer_Account not imported", `{"Report_Account":"bob","Peer_Account":"ghost"}`, 90003},
	} {
		t.Run("admin_set_msg_read "+tt.name, func(t *testing.T) { ts.must(t, pathSetMsgRead, tt.body, tt.want) })
	}
	t.Run("a mark ahead of now is now", func(t *testing.T) {
		ts.clock.Advance(time.Second)
		ts.sendC2C(t, "carol", "bob", "after the mark", nil)
		if got := unreadOf(t, ts, "bob", "carol"); got["carol"] != 1 {
			t.Errorf("unread %v: a message after a future mark was read", got)
		}
	})
	t.Run("get_c2c_unread_msg_num per peer", func(t *testing.T) {
		env := ts.must(t, pathUnreadNum, `{"To_Account":"bob","Peer_Account":["carol","nobody9","administrator"]}`, 0)
		sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "C2CUnreadMsgNumList", "ErrorList")
		if l := list(t, env["C2CUnreadMsgNumList"]); len(l) != 2 || l[0]["Peer_Account"] != "carol" || l[1]["Peer_Account"] != testAdmin {
			t.Errorf("list %v", l)
		}
		if e := list(t, env["ErrorList"]); len(e) != 1 || e[0]["Peer_Account"] != "nobody9" || num(t, e[0]["ErrorCode"]) != 70107 {
			t.Errorf("ErrorList %v", e)
		}
	})
	for _, tt := range []struct {
		name string
		body string
		want int
	}{
		{"To_Account missing", `{}`, 90003},
		{"To_Account not imported", `{"To_Account":"ghost"}`, 90003},
		{"10 peers", jsonBody(t, map[string]any{"To_Account": "bob", "Peer_Account": ids("p", 10)}), 0},
		{"11 peers", jsonBody(t, map[string]any{"To_Account": "bob", "Peer_Account": ids("p", 11)}), 90018},
		{"Peer_Account a string", `{"To_Account":"bob","Peer_Account":"alice"}`, 90003},
	} {
		t.Run("get_c2c_unread_msg_num "+tt.name, func(t *testing.T) { ts.must(t, pathUnreadNum, tt.body, tt.want) })
	}
}
