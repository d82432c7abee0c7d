package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// textBody is a MsgBody of one text element.
func textBody(text string) []any {
	return []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": text}}}
}

// nextPush waits for the next AllMemberPush on c.
func nextPush(t *testing.T, c *client.Client) *client.AllMemberPush {
	t.Helper()
	p, ok := nextEvent(t, c, client.TypeAllMemberPush).AllMemberPush()
	if !ok {
		t.Fatal("malformed AllMemberPush event")
	}
	return p
}

// TestPushToTaggedUsers: on two nodes, im_push with a tag condition reaches
// the tagged users online on either node and no one else; a tagged user
// who was offline gets it at their next sync.
func TestPushToTaggedUsers(t *testing.T) {
	c := newFaultCluster(t, 2, faultInterval)
	a, b := c.nodes[0], c.nodes[1]
	mustOK(t, a.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"ta", "ua", "tb", "ub", "toff"}}))
	mustOK(t, b.rest("v4/all_member_push/im_add_tag", map[string]any{"UserTags": []any{
		map[string]any{"To_Account": "ta", "Tags": []string{"vip"}},
		map[string]any{"To_Account": "tb", "Tags": []string{"vip", "beta"}},
		map[string]any{"To_Account": "toff", "Tags": []string{"vip"}},
	}}))
	ta, ua := dialUser(t, a, "ta"), dialUser(t, a, "ua")
	tb, ub := dialUser(t, b, "tb"), dialUser(t, b, "ub")

	task := mustOK(t, a.rest("v4/all_member_push/im_push", map[string]any{"MsgRandom": 77, "MsgLifeTime": 3600,
		"Condition": map[string]any{"TagsOr": []string{"vip"}}, "MsgBody": textBody("for vips")}))["TaskId"].(string)
	for _, u := range []*client.Client{ta, tb} {
		p := nextPush(t, u)
		if p.TaskID != task || p.PushSeq != 1 || string(p.MsgBody[0].MsgContent) != `{"Text":"for vips"}` || p.From != testAdmin {
			t.Errorf("tagged user got %+v", p)
		}
	}
	// The next push, to everyone, is the first the untagged users get.
	time.Sleep(1100 * time.Millisecond) // pushes are at least 1 s apart
	mustOK(t, b.rest("v4/all_member_push/im_push", map[string]any{"MsgRandom": 78, "MsgBody": textBody("for all")}))
	for _, u := range []*client.Client{ta, ua, tb, ub} {
		if p := nextPush(t, u); p.PushSeq != 2 || string(p.MsgBody[0].MsgContent) != `{"Text":"for all"}` {
			t.Errorf("got %+v, want the push to everyone", p)
		}
	}

	// toff was offline: the targeted push is kept an hour, the one to
	// everyone was for online users only.
	off := dialUser(t, b, "toff")
	got, pos, err := off.SyncPushes(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].TaskID != task || pos != 2 {
		t.Fatalf("toff's sync: %+v up to %d", got, pos)
	}
	if again, _, _ := off.SyncPushes(context.Background(), pos); len(again) != 0 {
		t.Errorf("a second sync repeated %+v", again)
	}
	if got, _, _ := dialUser(t, a, "ua").SyncPushes(context.Background(), 0); len(got) != 0 {
		t.Errorf("an untagged user synced %+v", got)
	}
}

// TestOperations: the operations commands through the binary, on both
// engines: a message archive downloaded from the URL get_history gives,
// the node's address, chatbots, and the statistics.
func TestOperations(t *testing.T) {
	storeEngines(t, testOperations)
}

func testOperations(t *testing.T, storeArgs []string) {
	n := startTestApp(t, "", storeArgs...)
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice", "bob"}}))
	// A message two hours ago is in an hour that is over.
	at := time.Now().Add(-2 * time.Hour)
	mustOK(t, n.rest("v4/openim/importmsg", map[string]any{"SyncFromOldSystem": 2, "From_Account": "alice", "To_Account": "bob",
		"MsgRandom": 5, "MsgTimeStamp": at.Unix(), "MsgBody": textBody("archived")}))
	beijing := time.FixedZone("UTC+8", 8*3600)
	reply := mustOK(t, n.rest("v4/open_msg_svc/get_history", map[string]any{"ChatType": "C2C", "MsgTime": at.In(beijing).Format("2006010215")}))
	file := reply["File"].([]any)[0].(map[string]any)
	url := file["URL"].(string)
	if !strings.HasPrefix(url, n.BaseURL+"/archive/") {
		t.Fatalf("URL %s is not on the node %s", url, n.BaseURL)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	gz, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("HTTP %d, not gzip: %v", resp.StatusCode, err)
	}
	raw, _ := io.ReadAll(r)
	if !bytes.Contains(raw, []byte(`"From_Account":"alice","To_Account":"bob"`)) || !bytes.Contains(raw, []byte(`{"Text":"archived"}`)) {
		t.Errorf("archive: %s", raw)
	}
	if file["GzipSize"] != float64(len(gz)) || file["FileSize"] != float64(len(raw)) {
		t.Errorf("sizes %v for %d and %d bytes", file, len(gz), len(raw))
	}

	if ips := mustOK(t, n.rest("v4/ConfigSvc/GetIPList", map[string]any{}))["IPList"].([]any); len(ips) != 1 || ips[0] != "127.0.0.1" {
		t.Errorf("IPList %v", ips)
	}

	mustOK(t, n.rest("v4/openim_robot_http_svc/create_robot", map[string]any{"UserID": "@RBT#helper", "Nick": "Helper"}))
	if bots := mustOK(t, n.rest("v4/openim_robot_http_svc/get_all_robots", map[string]any{}))["Robot_Account"].([]any); len(bots) != 1 || bots[0] != "@RBT#helper" {
		t.Errorf("robots %v", bots)
	}
	// A chatbot is an account: a message to it is stored like any other.
	mustOK(t, n.rest("v4/openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "@RBT#helper", "MsgRandom": 1, "MsgBody": textBody("hi bot")}))

	days := mustOK(t, n.rest("v4/openconfigsvr/getappinfo", map[string]any{"RequestField": []string{"RegistUserNumTotal"}}))["Result"].([]any)
	today := days[0].(map[string]any)
	if len(days) != 30 || today["Date"] != time.Now().In(beijing).Format("20060102") || today["RegistUserNumTotal"] != "4" {
		t.Errorf("getappinfo today: %v (%d days)", today, len(days)) // the admin, alice, bob and the bot
	}

	// A push to everyone reaches a user online; one who connects later
	// syncs it.
	on := dialUser(t, n, "alice")
	mustOK(t, n.rest("v4/all_member_push/im_push", map[string]any{"MsgRandom": 9, "MsgLifeTime": 600, "MsgBody": textBody("all")}))
	if p := nextPush(t, on); p.PushSeq != 1 {
		t.Errorf("online: %+v", p)
	}
	if got, _, err := dialUser(t, n, "bob").SyncPushes(context.Background(), 0); err != nil || len(got) != 1 {
		t.Errorf("bob's sync: %+v %v", got, err)
	}
}
