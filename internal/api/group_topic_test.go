package api_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
)

// The topic-enabled community of the topic tests and its topic prefix.
const (
	hub    = "@TGS#_@TGS#cKQ2M8ZP1D"
	topics = hub + "@TOPIC#_"
)

// topicFixture: hub (a community with topics, u_ana owner, u_mei member),
// plain (a community without topics), pub (a Public group).
func topicFixture(t *testing.T, opts ...option) *groupServer {
	t.Helper()
	ts := newGroupServer(t, opts...)
	ts.importAccounts(t, "u_ana", "u_mei")
	ts.createGroup(t, `{"Owner_Account":"u_ana","Type":"Community","GroupId":"`+hub+`","Name":"Hub","SupportTopic":1,"MemberList":[{"Member_Account":"u_mei"}]}`)
	ts.createGroup(t, `{"Owner_Account":"u_ana","Type":"Community","GroupId":"@TGS#_plain","Name":"Plain"}`)
	ts.createGroup(t, `{"Owner_Account":"u_ana","Type":"Public","GroupId":"pub","Name":"Pub"}`)
	ts.events.take()
	return ts
}

// topic returns get_topic's entry for one topic.
func (ts *testServer) topic(t *testing.T, topicID string) map[string]any {
	t.Helper()
	env := ts.must(t, pathGetTopic, jsonBody(t, map[string]any{"GroupId": hub, "From_Account": "u_mei", "TopicIdList": []string{topicID}}), 0)
	items := list(t, env["TopicAndSelfInfo"])
	if len(items) != 1 {
		t.Fatalf("get_topic %s: %d entries", topicID, len(items))
	}
	return items[0]
}

func TestCreateTopic(t *testing.T) {
	ts := topicFixture(t)
	env := ts.must(t, pathCreateTopic, `{"GroupId":"`+hub+`","TopicId":"`+topics+`releases","TopicName":"Releases","From_Account":"u_ana",
		"Introduction":"Ship announcements","CustomString":"{\"color\":\"teal\"}","FaceUrl":"https://img.example/t.png","Notification":"n"}`, 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "TopicId")
	wantEqual(t, "TopicId", env["TopicId"], topics+"releases")
	item := ts.topic(t, topics+"releases")
	wantEqual(t, "topic", item["TopicInfo"], map[string]any{"TopicId": topics + "releases", "GroupID": hub, "TopicName": "Releases",
		"FaceUrl": "https://img.example/t.png", "Notification": "n", "Introduction": "Ship announcements", "CustomString": `{"color":"teal"}`,
		"CreateTime": jsonNumber(ts.clock.Now().Unix()), "LastMsgTime": jsonNumber(0), "NextMsgSeq": jsonNumber(1), "MuteAllMember": "Off"})
	d := ts.events.takeOne(t, "GroupEvent", "TopicCreated")
	wantEqual(t, "event topic", d.event["TopicInfo"].(map[string]any)["TopicName"], "Releases")

	env = ts.must(t, pathCreateTopic, `{"GroupId":"`+hub+`","TopicName":"Assigned"}`, 0)
	id := env["TopicId"].(string)
	if !strings.HasPrefix(id, hub+"@TOPIC#_@TOPIC#") || len(id) > 96 {
		t.Errorf("assigned TopicId %q", id)
	}
	ts.events.take()

	long := func(n int) string { return strings.Repeat("x", n) }
	ts.runCodes(t, pathCreateTopic, []codeCase{
		{"TopicId taken", `{"GroupId":"` + hub + `","TopicId":"` + topics + `releases","TopicName":"x"}`, 10025},
		{"TopicName missing", `{"GroupId":"` + hub + `"}`, 10004},
		{"TopicName over 30 bytes", `{"GroupId":"` + hub + `","TopicName":"` + long(31) + `"}`, 10004},
		{"Introduction over 240 bytes", `{"GroupId":"` + hub + `","TopicName":"x","Introduction":"` + long(241) + `"}`, 10004},
		{"Notification over 300 bytes", `{"GroupId":"` + hub + `","TopicName":"x","Notification":"` + long(301) + `"}`, 10004},
		{"FaceUrl over 100 bytes", `{"GroupId":"` + hub + `","TopicName":"x","FaceUrl":"` + long(101) + `"}`, 10004},
		{"CustomString of 3,000 bytes", `{"GroupId":"` + hub + `","TopicName":"x","CustomString":"` + long(3000) + `"}`, 0},
		{"CustomString over 3,000 bytes", `{"GroupId":"` + hub + `","TopicName":"x","CustomString":"` + long(3001) + `"}`, 10004},
		{"community without topics", `{"GroupId":"@TGS#_plain","TopicName":"x"}`, 11000},
		{"not a community", `{"GroupId":"pub","TopicName":"x"}`, 11000},
		{"unknown group", `{"GroupId":"@TGS#_nope","TopicName":"x"}`, 10010},
		{"invalid group ID", `{"GroupId":"` + long(49) + `","TopicName":"x"}`, 10015},
		{"From_Account not a string", `{"GroupId":"` + hub + `","TopicName":"x","From_Account":7}`, 60015},
	})
	t.Run("topic limit", func(t *testing.T) {
		small := topicFixture(t, withApp(func(a *config.App) { a.TopicLimit = 2 }))
		small.must(t, pathCreateTopic, `{"GroupId":"`+hub+`","TopicName":"a"}`, 0)
		small.must(t, pathImportTopic, `{"GroupId":"`+hub+`","TopicName":"b"}`, 0)
		small.must(t, pathCreateTopic, `{"GroupId":"`+hub+`","TopicName":"c"}`, 10037)
		small.must(t, pathImportTopic, `{"GroupId":"`+hub+`","TopicName":"c"}`, 10037)
	})
	t.Run("switched off", func(t *testing.T) {
		off := topicFixture(t, withApp(func(a *config.App) { a.Disabled = []string{"group_topic"} }))
		off.must(t, pathCreateTopic, `{"GroupId":"`+hub+`","TopicName":"a"}`, 11000)
		off.must(t, pathGetTopic, `{"GroupId":"`+hub+`","From_Account":"u_mei"}`, 11000)
	})
	t.Run("called too often", func(t *testing.T) {
		limited := topicFixture(t, withApp(func(a *config.App) {
			a.RateLimits = map[string]int{"v4/million_group_open_http_svc/create_topic": 1}
		}))
		limited.must(t, pathCreateTopic, `{"GroupId":"`+hub+`","TopicName":"a"}`, 0)
		limited.must(t, pathCreateTopic, `{"GroupId":"`+hub+`","TopicName":"b"}`, 10006)
	})
}

// TestTopicIDs: custom topic IDs are "<GroupId>@TOPIC#_<part>" (S3).
func TestTopicIDs(t *testing.T) {
	ts := topicFixture(t, withRateLimit(0))
	for _, tt := range []struct {
		name, id string
		want     int
	}{
		{"plain", topics + "releases", 0},
		{"spaces and symbols", topics + "a b~!{}", 0},
		{"96 bytes in all", topics + strings.Repeat("p", 96-len(topics)), 0},
		{"over 96 bytes", topics + strings.Repeat("p", 97-len(topics)), 110013},
		{"empty part", topics, 110013},
		{"another group's prefix", "@TGS#_other@TOPIC#_x", 110013},
		{"no @TOPIC#_", hub + "x", 110013},
		{"part with @TGS#_", topics + "a@TGS#_b", 110013},
		{"part with the assigned infix", topics + "@TOPIC#x", 110013},
		{"part with @TOPIC#_@TOPIC#", topics + "a@TOPIC#_@TOPIC#b", 110013},
		{"control character", topics + "a\u0001", 110013},
		{"not ASCII", topics + "thème", 110013},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := jsonBody(t, map[string]any{"GroupId": hub, "TopicId": tt.id, "TopicName": "x"})
			ts.must(t, pathCreateTopic, body, tt.want)
			importWant := tt.want
			if tt.want == 0 {
				importWant = 10021 // created just before
			}
			ts.must(t, pathImportTopic, body, importWant)
		})
	}
}

func TestImportTopic(t *testing.T) {
	ts := topicFixture(t)
	created := ts.clock.Now().Unix() - 1000
	env := ts.must(t, pathImportTopic, jsonBody(t, map[string]any{"GroupId": hub, "TopicId": topics + "archive2020", "TopicName": "Archive 2020", "CreateTime": created}), 0)
	wantEqual(t, "TopicId", env["TopicId"], topics+"archive2020")
	wantEqual(t, "CreateTime", num(t, ts.topic(t, topics+"archive2020")["TopicInfo"].(map[string]any)["CreateTime"]), created)
	if got := ts.events.take(); len(got) != 0 {
		t.Errorf("an import delivered %+v", got)
	}
	ts.runCodes(t, pathImportTopic, []codeCase{
		{"ID in use", jsonBody(t, map[string]any{"GroupId": hub, "TopicId": topics + "archive2020", "TopicName": "x"}), 10021},
		{"Type Community", `{"Type":"Community","GroupId":"` + hub + `","TopicName":"x"}`, 0},
		{"Type Public", `{"Type":"Public","GroupId":"` + hub + `","TopicName":"x"}`, 10004},
		{"CreateTime in the future", `{"GroupId":"` + hub + `","TopicName":"x","CreateTime":` + itoa(ts.clock.Now().Unix()+1) + `}`, 10004},
		{"TopicName missing", `{"GroupId":"` + hub + `"}`, 10004},
		{"community without topics", `{"GroupId":"@TGS#_plain","TopicName":"x"}`, 11000},
		{"unknown group", `{"GroupId":"@TGS#_nope","TopicName":"x"}`, 10010},
	})
}

func TestGetAndModifyTopic(t *testing.T) {
	ts := topicFixture(t, withRateLimit(0))
	for _, name := range []string{"b", "a"} {
		ts.must(t, pathCreateTopic, `{"GroupId":"`+hub+`","TopicId":"`+topics+name+`","TopicName":"`+name+`"}`, 0)
		ts.clock.Advance(time.Second)
	}
	ts.must(t, pathForbidSend, `{"GroupId":"`+hub+`","TopicId":"`+topics+`a","Members_Account":["u_mei"],"MuteTime":60}`, 0)
	muteEnd := ts.clock.Now().Unix() + 60
	ts.events.take()

	env := ts.must(t, pathGetTopic, `{"GroupId":"`+hub+`","From_Account":"u_mei"}`, 0)
	items := list(t, env["TopicAndSelfInfo"])
	if len(items) != 2 || items[0]["TopicInfo"].(map[string]any)["TopicId"] != topics+"b" {
		t.Fatalf("all topics, by creation: %v", items)
	}
	wantEqual(t, "SelfInfo", items[1]["SelfInfo"], map[string]any{"MsgSeq": jsonNumber(0), "MsgFlag": "AcceptAndNotify", "ShutUpTime": jsonNumber(muteEnd)})
	wantEqual(t, "SelfInfo of an unmuted topic", items[0]["SelfInfo"].(map[string]any)["ShutUpTime"], jsonNumber(0))
	env = ts.must(t, pathMuted, `{"GroupId":"`+hub+`","TopicId":"`+topics+`a"}`, 0)
	wantEqual(t, "muted in the topic", accounts(t, env["MutedAccountList"]), []string{"u_mei"})
	env = ts.must(t, pathMuted, `{"GroupId":"`+hub+`"}`, 0)
	wantEqual(t, "not muted in the community", accounts(t, env["MutedAccountList"]), []string{})

	env = ts.must(t, pathGetTopic, `{"GroupId":"`+hub+`","From_Account":"u_zed","TopicIdList":["`+topics+`a","`+topics+`gone"],"ResponseFilter":["TopicName","Notification"]}`, 0)
	items = list(t, env["TopicAndSelfInfo"])
	wantEqual(t, "filtered", items[0], map[string]any{"ErrorCode": jsonNumber(0), "ErrorInfo": "",
		"TopicInfo": map[string]any{"TopicId": topics + "a", "GroupID": hub, "TopicName": "a", "Notification": ""}})
	wantEqual(t, "missing topic", []any{num(t, items[1]["ErrorCode"]), items[1]["TopicInfo"]},
		[]any{int64(110003), map[string]any{"TopicId": topics + "gone", "GroupID": hub}})

	ts.must(t, pathModifyTopic, `{"GroupId":"`+hub+`","TopicId":"`+topics+`a","Notification":"v2.4 ships Friday","MuteAllMember":"On","TopicName":"A"}`, 0)
	info := ts.topic(t, topics+"a")["TopicInfo"].(map[string]any)
	wantEqual(t, "modified", []any{info["TopicName"], info["Notification"], info["MuteAllMember"], info["Introduction"]},
		[]any{"A", "v2.4 ships Friday", "On", ""})
	d := ts.events.takeOne(t, "GroupEvent", "TopicChanged")
	wantEqual(t, "event", d.event["TopicInfo"].(map[string]any)["Notification"], "v2.4 ships Friday")
	ts.must(t, pathModifyTopic, `{"GroupId":"`+hub+`","TopicId":"`+topics+`a","TopicName":"A"}`, 0)
	if got := ts.events.take(); len(got) != 0 {
		t.Errorf("an unchanged topic delivered %+v", got)
	}

	ts.runCodes(t, pathGetTopic, []codeCase{
		{"From_Account missing", `{"GroupId":"` + hub + `"}`, 10004},
		{"community without topics", `{"GroupId":"@TGS#_plain","From_Account":"u_mei"}`, 11000},
		{"unknown group", `{"GroupId":"@TGS#_nope","From_Account":"u_mei"}`, 10010},
	})
	ts.runCodes(t, pathModifyTopic, []codeCase{
		{"unknown topic", `{"GroupId":"` + hub + `","TopicId":"` + topics + `gone","TopicName":"x"}`, 10010},
		{"TopicId missing", `{"GroupId":"` + hub + `","TopicName":"x"}`, 10004},
		{"TopicName empty", `{"GroupId":"` + hub + `","TopicId":"` + topics + `a","TopicName":""}`, 10004},
		{"MuteAllMember unknown", `{"GroupId":"` + hub + `","TopicId":"` + topics + `a","MuteAllMember":"Yes"}`, 10004},
		{"CustomString over 3,000 bytes", `{"GroupId":"` + hub + `","TopicId":"` + topics + `a","CustomString":"` + strings.Repeat("c", 3001) + `"}`, 10004},
		{"community without topics", `{"GroupId":"@TGS#_plain","TopicId":"x","TopicName":"x"}`, 11000},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `","TopicId":"x","TopicName":"x"}`, 10015},
	})
}

func TestDestroyTopic(t *testing.T) {
	ts := topicFixture(t)
	for _, name := range []string{"releases", "old"} {
		ts.must(t, pathCreateTopic, `{"GroupId":"`+hub+`","TopicId":"`+topics+name+`","TopicName":"x"}`, 0)
	}
	ts.must(t, pathForbidSend, `{"GroupId":"`+hub+`","TopicId":"`+topics+`old","Members_Account":["u_mei"],"MuteTime":60}`, 0)
	ts.events.take()
	env := ts.must(t, pathDestroyTopic, `{"GroupId":"`+hub+`","TopicIdList":["`+topics+`releases","`+topics+`gone","`+topics+`releases"]}`, 0)
	items := list(t, env["DestroyResultItem"])
	var codes []int64
	for _, it := range items {
		codes = append(codes, num(t, it["ErrorCode"]))
	}
	wantEqual(t, "per topic", codes, []int64{0, 110003, 110003})
	wantEqual(t, "ids", items[1]["TopicId"], topics+"gone")
	d := ts.events.takeOne(t, "GroupEvent", "TopicDeleted")
	wantEqual(t, "event", d.event["TopicIdList"], []any{topics + "releases"})
	ts.must(t, pathModifyTopic, `{"GroupId":"`+hub+`","TopicId":"`+topics+`releases","TopicName":"x"}`, 10010)
	// A topic's mutes go with it.
	ts.must(t, pathDestroyTopic, `{"GroupId":"`+hub+`","TopicIdList":["`+topics+`old"]}`, 0)
	ts.must(t, pathCreateTopic, `{"GroupId":"`+hub+`","TopicId":"`+topics+`old","TopicName":"x"}`, 0)
	env = ts.must(t, pathMuted, `{"GroupId":"`+hub+`","TopicId":"`+topics+`old"}`, 0)
	wantEqual(t, "mutes of the new topic", accounts(t, env["MutedAccountList"]), []string{})
	// Topics go with their community.
	ts.must(t, pathDestroy, `{"GroupId":"`+hub+`"}`, 0)
	ts.createGroup(t, `{"Type":"Community","GroupId":"`+hub+`","Name":"Hub","SupportTopic":1}`)
	env = ts.must(t, pathGetTopic, `{"GroupId":"`+hub+`","From_Account":"u_mei"}`, 0)
	wantEqual(t, "no topics after re-creation", len(list(t, env["TopicAndSelfInfo"])), 0)

	ts.runCodes(t, pathDestroyTopic, []codeCase{
		{"201 topics", jsonBody(t, map[string]any{"GroupId": hub, "TopicIdList": ids(topics, 201)}), 10004},
		{"200 topics", jsonBody(t, map[string]any{"GroupId": hub, "TopicIdList": ids(topics, 200)}), 0},
		{"TopicIdList empty", `{"GroupId":"` + hub + `","TopicIdList":[]}`, 10004},
		{"community without topics", `{"GroupId":"@TGS#_plain","TopicIdList":["x"]}`, 11000},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `","TopicIdList":["x"]}`, 10015},
	})
}

// jsonNumber is n as the test client decodes numbers.
func jsonNumber(n int64) json.Number { return json.Number(itoa(n)) }
