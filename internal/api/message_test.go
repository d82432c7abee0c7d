package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

const (
	pathSendGroupMsg = "/v4/group_open_http_svc/send_group_msg"
	pathGroupHistory = "/v4/group_open_http_svc/group_msg_get_simple"
)

// absent removes a field from a request built by sendBody.
const absent = "\x00absent"

// textBody is a one-element MsgBody.
func textBody(text string) []any {
	return []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": text}}}
}

// sendBody is a send_group_msg body to group with the given Random, a text
// MsgBody, and fields overridden (or removed with absent).
func sendBody(t *testing.T, group string, random int, fields map[string]any) string {
	t.Helper()
	return overlay(t, map[string]any{"GroupId": group, "Random": random, "MsgBody": textBody("hello")}, fields)
}

// overlay encodes body with fields overridden (or removed with absent).
func overlay(t *testing.T, body, fields map[string]any) string {
	t.Helper()
	for k, v := range fields {
		if v == absent {
			delete(body, k)
		} else {
			body[k] = v
		}
	}
	return jsonBody(t, body)
}

// messageFixture serves the message commands with accounts owner, ann,
// bob, adm (imported) and these groups:
//
//	pub    Public: owner, ann, bob
//	live   AVChatRoom owned by owner
//	meet   Meeting: owner
//	hub    Community with topics: owner
//	work   Work: owner
//	hushed Public, everyone muted: owner (Owner), adm (Admin), ann (Member)
//	quiet  Public: ann muted for an hour, bob's mute over
func messageFixture(t *testing.T) (*testServer, *pushRecorder) {
	t.Helper()
	ts, rec, _ := messageFixtureWith(t, nil)
	return ts, rec
}

// messageFixtureWith is messageFixture over newMessageServerWith.
func messageFixtureWith(t *testing.T, deps func(*message.Deps), opts ...option) (*testServer, *pushRecorder, *message.Service) {
	t.Helper()
	ts, rec, svc := newMessageServerWith(t, deps, opts...)
	ts.importAccounts(t, "owner", "ann", "bob", "adm", "outsider")
	ts.createGroup(t, `{"Owner_Account":"owner","Type":"Public","GroupId":"pub","Name":"Pub","MemberList":[{"Member_Account":"ann"},{"Member_Account":"bob"}]}`)
	ts.createGroup(t, `{"Owner_Account":"owner","Type":"AVChatRoom","GroupId":"live","Name":"Live"}`)
	ts.createGroup(t, `{"Owner_Account":"owner","Type":"Meeting","GroupId":"meet","Name":"Meet"}`)
	ts.createGroup(t, `{"Owner_Account":"owner","Type":"Community","GroupId":"@TGS#_hub","Name":"Hub","SupportTopic":1}`)
	ts.createGroup(t, `{"Owner_Account":"owner","Type":"Work","GroupId":"work","Name":"Work"}`)
	// No REST command mutes yet: these groups are written to the store.
	now := ts.clock.Now().Unix()
	for _, g := range []struct {
		group   im.Group
		members []im.Member
	}{
		{im.Group{ID: "hushed", MuteAllMember: true, Owner: "owner"}, []im.Member{
			{UserID: "owner", Role: im.RoleOwner}, {UserID: "adm", Role: im.RoleAdmin}, {UserID: "ann", Role: im.RoleMember},
		}},
		{im.Group{ID: "quiet"}, []im.Member{
			{UserID: "ann", Role: im.RoleMember, MuteUntil: now + 3600}, {UserID: "bob", Role: im.RoleMember, MuteUntil: now},
		}},
	} {
		g.group.AppID, g.group.Type, g.group.NextMsgSeq = testAppID, im.GroupPublic, 1
		if err := ts.db.CreateGroup(t.Context(), &g.group, g.members); err != nil {
			t.Fatal(err)
		}
	}
	return ts, rec, svc
}

func TestSendGroupMsgChecks(t *testing.T) {
	ts, _ := messageFixture(t)
	elem := func(typ string, content any) []any {
		return []any{map[string]any{"MsgType": typ, "MsgContent": content}}
	}
	custom := map[string]any{"MsgType": "TIMCustomElem", "MsgContent": map[string]any{"Data": "x"}}
	// A text of n bytes makes a MsgBody of n+overhead bytes.
	overhead := len(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":""}}]`)
	image := func(info ...any) []any {
		return elem("TIMImageElem", map[string]any{"UUID": "u", "ImageFormat": 1, "ImageInfoArray": info})
	}
	rendition := map[string]any{"Type": 1, "Size": 10, "Width": 0, "Height": 0, "URL": "https://img.example/1"}
	video := map[string]any{
		"VideoUrl": "https://v.example/1", "VideoUUID": "v", "VideoSize": 1, "VideoSecond": 0, "VideoFormat": "mp4",
		"VideoDownloadFlag": 2, "ThumbUrl": "https://v.example/t", "ThumbUUID": "t", "ThumbWidth": 1, "ThumbHeight": 1, "ThumbDownloadFlag": 2,
	}
	noThumbUUID := maps.Clone(video)
	delete(noThumbUUID, "ThumbUUID")
	tests := []struct {
		name   string
		group  string
		fields map[string]any
		want   int
	}{
		{"text from the admin", "pub", nil, 0},
		{"every element type", "pub", map[string]any{"MsgBody": []any{
			map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": "hi"}},
			map[string]any{"MsgType": "TIMLocationElem", "MsgContent": map[string]any{"Desc": "here", "Latitude": 48.85, "Longitude": -2.35}},
			map[string]any{"MsgType": "TIMFaceElem", "MsgContent": map[string]any{"Index": 1, "Data": "smile"}},
			map[string]any{"MsgType": "TIMSoundElem", "MsgContent": map[string]any{"Url": "https://a.example/1", "UUID": "s", "Size": 1, "Second": 2, "Download_Flag": 2}},
			image(rendition)[0],
			map[string]any{"MsgType": "TIMFileElem", "MsgContent": map[string]any{"Url": "https://f.example/1", "UUID": "f", "FileSize": 1, "FileName": "a.txt", "Download_Flag": 2}},
			map[string]any{"MsgType": "TIMVideoFileElem", "MsgContent": video},
			map[string]any{"MsgType": "TIMRelayElem", "MsgContent": map[string]any{"Title": "t", "MsgNum": 1, "CompatibleText": "c", "AbstractList": []string{"a"},
				"MsgList": []any{map[string]any{"From_Account": "ann", "GroupId": "pub", "MsgSeq": 1, "MsgBody": textBody("x")}}}},
			custom,
			map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": "again", "Unknown": []int{1}}},
		}}, 0},
		{"into a Work group", "work", nil, 0},
		{"into a Meeting group", "meet", map[string]any{"SendMsgControl": []string{"NoLastMsg"}}, 0},
		{"into a community", "@TGS#_hub", nil, 0},
		{"into a live group", "live", nil, 0},

		{"GroupId missing", "", map[string]any{"GroupId": absent}, 10004},
		{"GroupId over 48 bytes", strings.Repeat("g", 49), nil, 10015},
		{"unknown group", "nope", nil, 10010},
		{"Random missing", "pub", map[string]any{"Random": absent}, 10004},
		{"Random negative", "pub", map[string]any{"Random": -1}, 10004},
		{"Random over 32 bits", "pub", map[string]any{"Random": int64(1) << 32}, 10004},
		{"Random a string", "pub", map[string]any{"Random": "7"}, 10004},
		{"Random a fraction", "pub", map[string]any{"Random": 1.5}, 10004},
		{"MsgPriority lower case", "pub", map[string]any{"MsgPriority": "high"}, 10004},
		{"NeedReadReceipt 2", "pub", map[string]any{"NeedReadReceipt": 2}, 10004},

		{"MsgBody missing", "pub", map[string]any{"MsgBody": absent}, 10004},
		{"MsgBody empty", "pub", map[string]any{"MsgBody": []any{}}, 10004},
		{"MsgBody an object", "pub", map[string]any{"MsgBody": textBody("x")[0]}, 10004},
		{"element a string", "pub", map[string]any{"MsgBody": []any{"TIMTextElem"}}, 10004},
		{"unknown MsgType", "pub", map[string]any{"MsgBody": elem("TIMMagicElem", map[string]any{})}, 10004},
		{"MsgType in the wrong case", "pub", map[string]any{"MsgBody": elem("timtextelem", map[string]any{"Text": "x"})}, 10004},
		{"MsgContent missing", "pub", map[string]any{"MsgBody": []any{map[string]any{"MsgType": "TIMTextElem"}}}, 10004},
		{"MsgContent an array", "pub", map[string]any{"MsgBody": elem("TIMTextElem", []any{})}, 10004},
		{"Text a number", "pub", map[string]any{"MsgBody": elem("TIMTextElem", map[string]any{"Text": 5})}, 10004},
		{"Text missing", "pub", map[string]any{"MsgBody": elem("TIMTextElem", map[string]any{})}, 10004},
		{"Text in the wrong case", "pub", map[string]any{"MsgBody": elem("TIMTextElem", map[string]any{"text": "x"})}, 10004},
		{"Text null", "pub", map[string]any{"MsgBody": elem("TIMTextElem", map[string]any{"Text": nil})}, 10004},
		{"two custom elements", "pub", map[string]any{"MsgBody": []any{custom, custom}}, 10004},
		{"custom Data a number", "pub", map[string]any{"MsgBody": elem("TIMCustomElem", map[string]any{"Data": 1})}, 10004},
		{"location without Latitude", "pub", map[string]any{"MsgBody": elem("TIMLocationElem", map[string]any{"Longitude": 1})}, 10004},
		{"face Index a string", "pub", map[string]any{"MsgBody": elem("TIMFaceElem", map[string]any{"Index": "1"})}, 10004},
		{"sound Download_Flag 1", "pub", map[string]any{"MsgBody": elem("TIMSoundElem", map[string]any{"Url": "u", "UUID": "s", "Download_Flag": 1})}, 10004},
		{"sound in the legacy form", "pub", map[string]any{"MsgBody": elem("TIMSoundElem", map[string]any{"UUID": "s", "Size": 1, "Second": 1})}, 10004},
		{"image without renditions", "pub", map[string]any{"MsgBody": image()}, 10004},
		{"image rendition without URL", "pub", map[string]any{"MsgBody": image(map[string]any{"Type": 1, "Width": 1, "Height": 1})}, 10004},
		{"image rendition not an object", "pub", map[string]any{"MsgBody": image("https://img.example/1")}, 10004},
		{"file without Url", "pub", map[string]any{"MsgBody": elem("TIMFileElem", map[string]any{"UUID": "f", "Download_Flag": 2})}, 10004},
		{"video without ThumbUUID", "pub", map[string]any{"MsgBody": elem("TIMVideoFileElem", noThumbUUID)}, 10004},
		{"relay AbstractList of numbers", "pub", map[string]any{"MsgBody": elem("TIMRelayElem", map[string]any{"AbstractList": []int{1}})}, 10004},
		{"content at 12 KB", "pub", map[string]any{"MsgBody": textBody(strings.Repeat("x", 12<<10-overhead))}, 0},
		{"content over 12 KB", "pub", map[string]any{"MsgBody": textBody(strings.Repeat("x", 12<<10-overhead+1))}, 80002},
		{"custom data counts toward 12 KB", "pub", map[string]any{"MsgBody": textBody(strings.Repeat("x", 12<<10-overhead-1)), "CloudCustomData": "ab"}, 80002},

		{"From_Account a member", "pub", map[string]any{"From_Account": "ann"}, 0},
		{"From_Account an admin, not a member", "pub", map[string]any{"From_Account": testAdmin}, 0},
		{"From_Account not imported", "pub", map[string]any{"From_Account": "ghost"}, 10019},
		{"From_Account not a member", "pub", map[string]any{"From_Account": "outsider"}, 10007},
		{"From_Account in a live group", "live", map[string]any{"From_Account": "outsider"}, 0},
		{"From_Account not imported, live group", "live", map[string]any{"From_Account": "ghost"}, 10019},
		{"From_Account a number", "pub", map[string]any{"From_Account": 7}, 60015},
		{"muted member", "quiet", map[string]any{"From_Account": "ann"}, 10017},
		{"member whose mute ended", "quiet", map[string]any{"From_Account": "bob"}, 0},
		{"mute-all: member", "hushed", map[string]any{"From_Account": "ann"}, 10017},
		{"mute-all: group admin", "hushed", map[string]any{"From_Account": "adm"}, 0},
		{"mute-all: owner", "hushed", map[string]any{"From_Account": "owner"}, 0},
		{"mute-all: app admin", "hushed", nil, 0},

		{"online only", "pub", map[string]any{"OnlineOnlyFlag": 1}, 0},
		{"OnlineOnlyFlag 2", "pub", map[string]any{"OnlineOnlyFlag": 2}, 10004},
		{"online only in a live group", "live", map[string]any{"OnlineOnlyFlag": 1}, 10007},
		{"SendMsgControl", "pub", map[string]any{"SendMsgControl": []string{"NoUnread", "NoLastMsg"}}, 0},
		{"SendMsgControl unknown", "pub", map[string]any{"SendMsgControl": []string{"NoPush"}}, 10004},
		{"SendMsgControl with online only", "pub", map[string]any{"SendMsgControl": []string{"NoUnread"}, "OnlineOnlyFlag": 1}, 10004},
		{"SendMsgControl in a live group", "live", map[string]any{"SendMsgControl": []string{"NoLastMsg"}}, 10007},
		{"NoUnread in a Meeting group", "meet", map[string]any{"SendMsgControl": []string{"NoUnread"}}, 10007},
		{"To_Account", "pub", map[string]any{"To_Account": []string{"ann"}}, 0},
		{"To_Account of 51", "pub", map[string]any{"To_Account": ids("u", 51)}, 10004},
		{"To_Account a number", "pub", map[string]any{"To_Account": []any{1}}, 60015},
		{"To_Account in a live group", "live", map[string]any{"To_Account": []string{"ann"}}, 10007},
		{"To_Account in a community", "@TGS#_hub", map[string]any{"To_Account": []string{"owner"}}, 10007},
		{"GroupAtInfo", "pub", map[string]any{"GroupAtInfo": []any{map[string]any{"GroupAtAllFlag": 1}, map[string]any{"GroupAtAllFlag": 0, "GroupAt_Account": "ann"}}}, 0},
		{"GroupAtInfo over 30", "pub", map[string]any{"GroupAtInfo": slices.Repeat([]any{map[string]any{"GroupAtAllFlag": 1}}, 31)}, 10053},
		{"GroupAtInfo without the account", "pub", map[string]any{"GroupAtInfo": []any{map[string]any{"GroupAtAllFlag": 0}}}, 10004},
		{"@everyone in a live group", "live", map[string]any{"GroupAtInfo": []any{map[string]any{"GroupAtAllFlag": 1}}}, 10007},
		{"TopicId in a Public group", "pub", map[string]any{"TopicId": "pub@TOPIC#x"}, 10007},
		{"TopicId in a community", "@TGS#_hub", map[string]any{"TopicId": "@TGS#_hub@TOPIC#x"}, 10010},
		{"OfflinePushInfo", "pub", map[string]any{"OfflinePushInfo": map[string]any{"PushFlag": 0, "Desc": "d",
			"AndroidInfo": map[string]any{"OPPOCategory": "IM", "NewVendorKey": 1}, "ApnsInfo": map[string]any{"InterruptionLevel": "active"}}}, 0},
		{"OfflinePushInfo a string", "pub", map[string]any{"OfflinePushInfo": "push"}, 10004},
		{"ForbidCallbackControl", "pub", map[string]any{"ForbidCallbackControl": []string{"ForbidBeforeSendMsgCallback", "ForbidAfterSendMsgCallback"}}, 0},
		{"SupportMessageExtension", "pub", map[string]any{"SupportMessageExtension": 1, "NeedReadReceipt": 1}, 0},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.must(t, pathSendGroupMsg, sendBody(t, tt.group, 1000+i, tt.fields), tt.want)
		})
	}
	t.Run("body not JSON", func(t *testing.T) {
		ts.must(t, pathSendGroupMsg, `{"GroupId":"pub",`, 60003)
	})
}

func TestSendGroupMsgReply(t *testing.T) {
	ts, _ := messageFixture(t)
	for i, group := range []string{"pub", "pub", "live", "pub", "live"} {
		ts.clock.Advance(time.Second)
		env := ts.must(t, pathSendGroupMsg, sendBody(t, group, i, nil), 0)
		sameKeys(t, "send_group_msg reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "MsgTime", "MsgSeq", "MsgDropReason")
		wantSeq := map[int]int64{0: 1, 1: 2, 2: 1, 3: 3, 4: 2}[i] // one counter per group
		if num(t, env["MsgSeq"]) != wantSeq || num(t, env["MsgTime"]) != ts.clock.Now().Unix() || env["MsgDropReason"] != "" {
			t.Errorf("message %d to %s: reply %v, want MsgSeq %d at %d", i, group, env, wantSeq, ts.clock.Now().Unix())
		}
	}
	info := ts.groupInfo(t, "pub")
	if num(t, info["NextMsgSeq"]) != 4 || num(t, info["LastMsgTime"]) != testEpoch.Unix()+4 {
		t.Errorf("pub after three messages: NextMsgSeq %v LastMsgTime %v", info["NextMsgSeq"], info["LastMsgTime"])
	}
	// A Work group becomes visible with its first message.
	joined := func() []string {
		env := ts.must(t, pathJoined, `{"Member_Account":"owner"}`, 0)
		return groupIDs(t, env["GroupIdList"])
	}
	if slices.Contains(joined(), "work") {
		t.Fatal("a Work group without messages is listed")
	}
	ts.must(t, pathSendGroupMsg, sendBody(t, "work", 1, nil), 0)
	if !slices.Contains(joined(), "work") {
		t.Error("a Work group with a message is not listed")
	}
}

func TestSendGroupMsgDelivery(t *testing.T) {
	ts, rec := messageFixture(t)
	eventKeys := []string{"Type", "GroupId", "MsgSeq", "MsgTime", "From_Account", "Random", "MsgPriority", "MsgBody"}
	tests := []struct {
		name   string
		group  string
		fields map[string]any
		kind   string   // where the one push goes: "room" or "group"
		only   []string // the members it is restricted to
		extra  []string // event keys besides eventKeys
	}{
		{"live group: one push to the room", "live", map[string]any{"From_Account": "outsider"}, "room", nil, nil},
		{"Public group: one push to the online members", "pub", map[string]any{"From_Account": "ann", "MsgPriority": "High"}, "group", nil, nil},
		{"To_Account: only listed members", "pub", map[string]any{"To_Account": []string{"bob", "outsider"}}, "group", []string{"bob", "outsider"}, nil},
		{"online only", "pub", map[string]any{"OnlineOnlyFlag": 1}, "group", nil, []string{"OnlineOnlyFlag"}},
		{"custom data and mentions", "pub", map[string]any{"CloudCustomData": "cd", "GroupAtInfo": []any{map[string]any{"GroupAtAllFlag": 1}}},
			"group", nil, []string{"CloudCustomData", "GroupAtInfo"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := sendBody(t, tt.group, i, tt.fields)
			env := ts.must(t, pathSendGroupMsg, body, 0)
			var req map[string]any
			mustUnmarshal(t, body, &req)
			pushes := rec.take()
			if len(pushes) != 1 {
				t.Fatalf("%d pushes, want one", len(pushes))
			}
			for _, p := range pushes {
				if p.kind != tt.kind || p.to != tt.group || !reflect.DeepEqual(p.only, tt.only) || p.push.MsgSeq != num(t, env["MsgSeq"]) {
					t.Fatalf("push %+v, want a %s push to %s, only %v, with the MsgSeq of %v", p, tt.kind, tt.group, tt.only, env)
				}
				ev := p.event
				sameKeys(t, "event", ev, append(slices.Clone(eventKeys), tt.extra...)...)
				var gotBody any
				mustUnmarshal(t, string(mustJSON(t, ev["MsgBody"])), &gotBody)
				if ev["Type"] != "GroupMsg" || ev["GroupId"] != tt.group || ev["MsgSeq"] != env["MsgSeq"] || ev["MsgTime"] != env["MsgTime"] ||
					num(t, ev["Random"]) != int64(i) || !reflect.DeepEqual(gotBody, req["MsgBody"]) {
					t.Errorf("event %v does not describe %s (reply %v)", ev, body, env)
				}
			}
		})
	}
	t.Run("event fields", func(t *testing.T) {
		ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 99, map[string]any{"From_Account": "bob", "MsgPriority": "Low",
			"CloudCustomData": "cd", "GroupAtInfo": []any{map[string]any{"GroupAtAllFlag": 0, "GroupAt_Account": "ann"}}}), 0)
		ev := rec.take()[0].event
		want := map[string]any{"From_Account": "bob", "MsgPriority": "Low", "CloudCustomData": "cd",
			"GroupAtInfo": []any{map[string]any{"GroupAtAllFlag": json.Number("0"), "GroupAt_Account": "ann"}}}
		for k, v := range want {
			if !reflect.DeepEqual(ev[k], v) {
				t.Errorf("event %s = %#v, want %#v", k, ev[k], v)
			}
		}
		ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 100, nil), 0)
		if ev := rec.take()[0].event; ev["From_Account"] != testAdmin || ev["MsgPriority"] != "Normal" {
			t.Errorf("admin's message: From_Account %v MsgPriority %v, want %s Normal", ev["From_Account"], ev["MsgPriority"], testAdmin)
		}
	})
	t.Run("refused messages are not pushed", func(t *testing.T) {
		ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 101, map[string]any{"From_Account": "outsider"}), 10007)
		if p := rec.take(); len(p) != 0 {
			t.Errorf("pushed %v", p)
		}
	})
}

// mustJSON encodes a value the test holds.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSendGroupMsgDuplicates(t *testing.T) {
	ts, rec := messageFixture(t)
	send := func(group string, random int, fields map[string]any) (int64, int64) {
		t.Helper()
		env := ts.must(t, pathSendGroupMsg, sendBody(t, group, random, fields), 0)
		return num(t, env["MsgSeq"]), num(t, env["MsgTime"])
	}
	for _, group := range []string{"pub", "live"} {
		t.Run(group, func(t *testing.T) {
			seq, at := send(group, 7, nil)
			rec.take()
			ts.clock.Advance(4 * time.Minute)
			if s, tm := send(group, 7, nil); s != seq || tm != at {
				t.Errorf("resend within 5 minutes: MsgSeq %d MsgTime %d, want the original's %d %d", s, tm, seq, at)
			}
			if p := rec.take(); len(p) != 0 {
				t.Errorf("a duplicate was pushed again: %v", p)
			}
			for _, other := range []struct {
				name   string
				random int
				fields map[string]any
			}{
				{"other Random", 8, nil},
				{"other content", 7, map[string]any{"MsgBody": textBody("hello!")}},
				{"other custom data", 7, map[string]any{"CloudCustomData": "x"}},
				{"other sender", 7, map[string]any{"From_Account": "owner"}},
			} {
				if s, _ := send(group, other.random, other.fields); s == seq {
					t.Errorf("%s: taken for a duplicate", other.name)
				}
			}
			ts.clock.Advance(time.Minute + time.Second)
			if s, _ := send(group, 7, nil); s == seq {
				t.Error("resend after 5 minutes: taken for a duplicate")
			}
		})
	}
	env := ts.must(t, pathGroupHistory, `{"GroupId":"pub","ReqMsgNumber":20}`, 0)
	if got := len(list(t, env["RspMsgList"])); got != 6 {
		t.Errorf("history holds %d messages, want 6 (the duplicate is not stored)", got)
	}
}

func TestCustomElemPassThrough(t *testing.T) {
	ts, rec := messageFixture(t)
	data := "{\"k\":[1,2]} <&> \u2028 \\ \"quoted\" é 😀 \u0000 \t end"
	body := []any{
		map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": "before"}},
		map[string]any{"MsgType": "TIMCustomElem", "MsgContent": map[string]any{"Data": data, "Desc": "d", "Ext": "e", "Sound": "s.caf", "Extra": map[string]any{"n": 1.5}}},
		map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": "after"}},
	}
	var want any
	mustUnmarshal(t, jsonBody(t, body), &want)
	check := func(what string, got any) {
		t.Helper()
		var decoded any
		mustUnmarshal(t, string(mustJSON(t, got)), &decoded)
		if !reflect.DeepEqual(decoded, want) {
			t.Errorf("%s MsgBody:\n got %#v\nwant %#v", what, decoded, want)
		}
	}
	for _, group := range []string{"live", "pub"} {
		ts.must(t, pathSendGroupMsg, sendBody(t, group, 1, map[string]any{"MsgBody": body}), 0)
		check("pushed to "+group, rec.take()[0].event["MsgBody"])
	}
	env := ts.must(t, pathGroupHistory, `{"GroupId":"pub","ReqMsgNumber":1}`, 0)
	check("history", list(t, env["RspMsgList"])[0]["MsgBody"])
}

// TestMessageTextKeepsItsBytes: text with HTML characters comes back in
// pushes and history as it was sent, not as \u003c escapes.
func TestMessageTextKeepsItsBytes(t *testing.T) {
	ts, rec := messageFixture(t)
	const text = `<b>Tom & Jerry</b>`
	ts.must(t, pathSendGroupMsg, `{"GroupId":"pub","Random":1,"CloudCustomData":"<x&y>",`+
		`"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"`+text+`"}}]}`, 0)
	want := []string{`"Text":"` + text + `"`, `"CloudCustomData":"<x&y>"`}
	pushes := rec.take()
	if len(pushes) == 0 {
		t.Fatal("nothing was pushed")
	}
	raw, _ := ts.callRaw(t, pathGroupHistory, `{"GroupId":"pub","ReqMsgNumber":1}`)
	for _, w := range want {
		if !bytes.Contains(raw, []byte(w)) {
			t.Errorf("history lacks %s:\n%s", w, raw)
		}
		if !bytes.Contains(pushes[0].raw, []byte(w)) {
			t.Errorf("push lacks %s:\n%s", w, pushes[0].raw)
		}
	}
}

func TestGroupMsgGetSimple(t *testing.T) {
	ts, _ := messageFixture(t)
	// MsgSeq 1-25 in pub; 13 is online only, so not stored.
	for i := 1; i <= 25; i++ {
		fields := map[string]any{"From_Account": "ann", "CloudCustomData": fmt.Sprint("cd", i)}
		switch {
		case i == 13:
			fields = map[string]any{"OnlineOnlyFlag": 1}
		case i%3 == 0:
			fields["MsgPriority"] = "Low"
		}
		ts.clock.Advance(time.Second)
		ts.must(t, pathSendGroupMsg, sendBody(t, "pub", i, fields), 0)
	}
	ts.must(t, pathSendGroupMsg, sendBody(t, "live", 1, nil), 0)

	seqRange := func(hi, lo int64) []int64 {
		var out []int64
		for s := hi; s >= lo; s-- {
			if s != 13 {
				out = append(out, s)
			}
		}
		return out
	}
	tests := []struct {
		name     string
		body     string
		want     int
		seqs     []int64
		finished int64
	}{
		{"newest", `{"GroupId":"pub","ReqMsgNumber":2}`, 0, []int64{25, 24}, 1},
		{"from a seq", `{"GroupId":"pub","ReqMsgSeq":15,"ReqMsgNumber":3}`, 0, []int64{15, 14, 12}, 1},
		{"more than a page", `{"GroupId":"pub","ReqMsgNumber":30}`, 0, seqRange(25, 5), 0},
		{"exactly a page", `{"GroupId":"pub","ReqMsgNumber":20}`, 0, seqRange(25, 5), 1},
		{"to the first", `{"GroupId":"pub","ReqMsgSeq":5,"ReqMsgNumber":30}`, 0, seqRange(5, 1), 1},
		{"above the newest", `{"GroupId":"pub","ReqMsgSeq":1000,"ReqMsgNumber":1}`, 0, []int64{25}, 1},
		// Older clients send 0 meaning "from the newest": MsgSeq starts at 1.
		{"ReqMsgSeq 0 is the newest", `{"GroupId":"pub","ReqMsgSeq":0,"ReqMsgNumber":5}`, 0, seqRange(25, 21), 1},
		{"no messages", `{"GroupId":"meet","ReqMsgNumber":5}`, 0, nil, 1},
		{"ReqMsgNumber missing", `{"GroupId":"pub"}`, 10004, nil, 0},
		{"ReqMsgNumber 0", `{"GroupId":"pub","ReqMsgNumber":0}`, 10004, nil, 0},
		{"ReqMsgNumber a string", `{"GroupId":"pub","ReqMsgNumber":"5"}`, 10004, nil, 0},
		{"ReqMsgSeq negative", `{"GroupId":"pub","ReqMsgNumber":5,"ReqMsgSeq":-1}`, 10004, nil, 0},
		{"live group", `{"GroupId":"live","ReqMsgNumber":5}`, 10007, nil, 0},
		{"unknown group", `{"GroupId":"nope","ReqMsgNumber":5}`, 10010, nil, 0},
		{"GroupId over 48 bytes", `{"GroupId":"` + strings.Repeat("g", 49) + `","ReqMsgNumber":5}`, 10015, nil, 0},
		{"GroupId missing", `{"ReqMsgNumber":5}`, 10004, nil, 0},
		{"TopicId in a Public group", `{"GroupId":"pub","ReqMsgNumber":5,"TopicId":"pub@TOPIC#x"}`, 10007, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := ts.must(t, pathGroupHistory, tt.body, tt.want)
			if tt.want != 0 {
				return
			}
			sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "GroupId", "IsFinished", "RspMsgList")
			var got []int64
			for _, m := range list(t, env["RspMsgList"]) {
				got = append(got, num(t, m["MsgSeq"]))
			}
			if !reflect.DeepEqual(got, tt.seqs) || num(t, env["IsFinished"]) != tt.finished {
				t.Errorf("MsgSeqs %v IsFinished %v, want %v %d", got, env["IsFinished"], tt.seqs, tt.finished)
			}
		})
	}

	t.Run("message fields", func(t *testing.T) {
		env := ts.must(t, pathGroupHistory, `{"GroupId":"pub","ReqMsgSeq":12,"ReqMsgNumber":2}`, 0)
		msgs := list(t, env["RspMsgList"])
		for i, want := range []struct {
			seq, priority int64
		}{{12, 3}, {11, 2}} {
			m := msgs[i]
			sameKeys(t, "message", m, "From_Account", "IsPlaceMsg", "IsSystemMsg", "MsgPriority", "MsgRandom", "MsgSeq", "MsgTimeStamp", "MsgBody", "CloudCustomData")
			if m["From_Account"] != "ann" || num(t, m["IsPlaceMsg"]) != 0 || num(t, m["IsSystemMsg"]) != 0 || num(t, m["MsgPriority"]) != want.priority ||
				num(t, m["MsgRandom"]) != want.seq || num(t, m["MsgTimeStamp"]) != testEpoch.Unix()+want.seq || m["CloudCustomData"] != fmt.Sprint("cd", want.seq) {
				t.Errorf("message %d: %v", want.seq, m)
			}
		}
	})

	t.Run("full scan", func(t *testing.T) {
		var all []int64
		body := `{"GroupId":"pub","ReqMsgNumber":7}`
		for range 10 {
			msgs := list(t, ts.must(t, pathGroupHistory, body, 0)["RspMsgList"])
			for _, m := range msgs {
				all = append(all, num(t, m["MsgSeq"]))
			}
			// A short page is the last; so is one ending at MsgSeq 1
			// (ReqMsgSeq 0 would start again from the newest).
			if len(msgs) < 7 || all[len(all)-1] == 1 {
				break
			}
			body = fmt.Sprintf(`{"GroupId":"pub","ReqMsgNumber":7,"ReqMsgSeq":%d}`, all[len(all)-1]-1)
		}
		if want := seqRange(25, 1); !reflect.DeepEqual(all, want) {
			t.Errorf("full scan %v, want %v", all, want)
		}
	})
}
