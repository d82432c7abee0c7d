package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
	"github.com/chatd/chatd/internal/store/pgtest"
)

// groupMsgEvent is the event of a group message push
// (docs/client-protocol.md §5).
type groupMsgEvent struct {
	Type         string
	GroupId      string
	MsgSeq       int64
	MsgTime      int64
	From_Account string
	Random       uint32
	MsgBody      []struct {
		MsgType    string
		MsgContent map[string]any
	}
}

// nextGroupMsg waits for the next push on c and decodes its event.
func nextGroupMsg(t *testing.T, c *client.Client) (groupID string, ev groupMsgEvent) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, open := <-c.Events():
			if !open {
				t.Fatalf("connection closed before the push: %v", c.Err())
			}
			if e.Op != "push" || e.Type != "GroupMsg" {
				continue
			}
			// Data, not Raw's event: in protocol 2 the frame gives the
			// event's GroupId and MsgSeq once, and the client restores them.
			var ev groupMsgEvent
			if err := json.Unmarshal(e.Data, &ev); err != nil {
				t.Fatalf("push %s: %v", e.Raw, err)
			}
			return e.GroupID, ev
		case <-timeout:
			t.Fatal("no push within 10 s")
		}
	}
}

// dialUser logs a user in and closes the connection when the test ends.
func dialUser(t *testing.T, n *node, userID string) *client.Client {
	t.Helper()
	c, err := client.Dial(context.Background(), n.BaseURL, testAppID, userID, userSig(userID))
	if err != nil {
		t.Fatalf("dial %s: %v", userID, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestGroupMessages: send_group_msg reaches a live room's connections and a
// Public group's members, and group_msg_get_simple pages the stored history
// after the server was killed.
func TestGroupMessages(t *testing.T) {
	storeEngines(t, testGroupMessages)
}

func testGroupMessages(t *testing.T, storeArgs []string) {
	data := t.TempDir()
	n := startTestApp(t, data, storeArgs...)
	ctx := context.Background()
	send := "v4/group_open_http_svc/send_group_msg"

	// A live room: the viewer's connection gets the custom payload as sent.
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Type": "AVChatRoom", "GroupId": "msg-live", "Name": "Live"}))
	viewer := dialUser(t, n, "viewer")
	if err := viewer.JoinGroup(ctx, "msg-live"); err != nil {
		t.Fatal(err)
	}
	payload := `{"gift":"rocket","n":3} <&> "quoted" \ é 😀 ` + "\u2028\t\u0000"
	custom := []any{map[string]any{"MsgType": "TIMCustomElem", "MsgContent": map[string]any{"Data": payload, "Desc": "gift"}}}
	reply := mustOK(t, n.rest(send, map[string]any{"GroupId": "msg-live", "Random": 1, "MsgBody": custom}))
	group, ev := nextGroupMsg(t, viewer)
	if group != "msg-live" || ev.Type != "GroupMsg" || ev.GroupId != "msg-live" || float64(ev.MsgSeq) != reply["MsgSeq"] ||
		ev.From_Account != testAdmin || len(ev.MsgBody) != 1 || ev.MsgBody[0].MsgType != "TIMCustomElem" {
		t.Fatalf("live push %+v in %s, reply %v", ev, group, reply)
	}
	if got := ev.MsgBody[0].MsgContent["Data"]; got != payload {
		t.Fatalf("custom Data arrived as %q, want %q", got, payload)
	}

	// A Public group: a member gets the push on their user connection.
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"ana", "ravi"}}))
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{
		"Owner_Account": "ana", "Type": "Public", "GroupId": "msg-pub", "Name": "Pub",
		"MemberList": []any{map[string]any{"Member_Account": "ravi"}},
	}))
	ravi := dialUser(t, n, "ravi")
	reply = mustOK(t, n.rest(send, map[string]any{"GroupId": "msg-pub", "From_Account": "ana", "Random": 1, "MsgBody": custom}))
	_, ev = nextGroupMsg(t, ravi)
	if ev.GroupId != "msg-pub" || ev.MsgSeq != 1 || reply["MsgSeq"] != float64(1) || ev.From_Account != "ana" || ev.MsgBody[0].MsgContent["Data"] != payload {
		t.Fatalf("member push %+v, reply %v", ev, reply)
	}

	// History survives kill -9 right after the acknowledged sends.
	const total = 25
	for i := 2; i <= total; i++ {
		body := []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": fmt.Sprint("message ", i)}}}
		reply := mustOK(t, n.rest(send, map[string]any{"GroupId": "msg-pub", "From_Account": "ravi", "Random": i, "MsgBody": body}))
		if reply["MsgSeq"] != float64(i) {
			t.Fatalf("message %d got MsgSeq %v", i, reply["MsgSeq"])
		}
	}
	n.kill()
	n = startTestApp(t, data, storeArgs...)
	msgs := history(t, n, "msg-pub")
	var seqs, want []float64
	for i, m := range msgs {
		seqs = append(seqs, m["MsgSeq"].(float64))
		want = append(want, float64(total-i))
	}
	if len(want) != total || !reflect.DeepEqual(seqs, want) {
		t.Fatalf("history after kill -9: MsgSeqs %v, want %d down to 1", seqs, total)
	}
	first := msgs[total-1]
	body := first["MsgBody"].([]any)[0].(map[string]any)
	if first["From_Account"] != "ana" || body["MsgContent"].(map[string]any)["Data"] != payload {
		t.Fatalf("first message after kill -9: %v", first)
	}
	// The counter survived too.
	reply = mustOK(t, n.rest(send, map[string]any{"GroupId": "msg-pub", "Random": 99, "MsgBody": custom}))
	if reply["MsgSeq"] != float64(total+1) {
		t.Fatalf("MsgSeq after restart: %v, want %d", reply["MsgSeq"], total+1)
	}
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestGroupMessagesTwoNodes: senders racing into one group through two
// nodes on one PostgreSQL database get distinct, consecutive MsgSeqs, and
// every message is in the history.
func TestGroupMessagesTwoNodes(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	nodes := []*node{startTestApp(t, "", "--store", dsn), startTestApp(t, "", "--store", dsn)}
	mustOK(t, nodes[0].rest("v4/group_open_http_svc/create_group", map[string]any{"Type": "Public", "GroupId": "race", "Name": "Race"}))
	const each = 40
	var mu sync.Mutex
	var seqs []int
	var errs []error
	var wg sync.WaitGroup
	for i, n := range nodes {
		url := fmt.Sprintf("%s/v4/group_open_http_svc/send_group_msg?sdkappid=%d&identifier=%s&usersig=%s&contenttype=json", n.BaseURL, testAppID, testAdmin, adminSig())
		wg.Go(func() {
			for j := range each {
				body, _ := json.Marshal(map[string]any{"GroupId": "race", "Random": i*each + j,
					"MsgBody": []any{map[string]any{"MsgType": "TIMTextElem", "MsgContent": map[string]any{"Text": "go"}}}})
				var reply struct{ ErrorCode, MsgSeq int }
				resp, err := http.Post(url, "application/json", bytes.NewReader(body))
				if err == nil {
					err = json.NewDecoder(resp.Body).Decode(&reply)
					resp.Body.Close()
				}
				mu.Lock()
				if err != nil || reply.ErrorCode != 0 {
					errs = append(errs, fmt.Errorf("node %d message %d: %+v %v", i, j, reply, err))
				}
				seqs = append(seqs, reply.MsgSeq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Fatal(err)
	}
	slices.Sort(seqs)
	for i, s := range seqs {
		if s != i+1 {
			t.Fatalf("MsgSeqs from two nodes are not 1..%d: %v", 2*each, seqs)
		}
	}
	if stored := len(history(t, nodes[1], "race")); stored != 2*each {
		t.Fatalf("history holds %d messages, want %d", stored, 2*each)
	}
}

// history pages through a group's stored messages with
// group_msg_get_simple, as the spec's full scan does, newest first.
func history(t *testing.T, n *node, groupID string) []map[string]any {
	t.Helper()
	var all []map[string]any
	req := map[string]any{"GroupId": groupID, "ReqMsgNumber": 10}
	for range 1000 {
		page := mustOK(t, n.rest("v4/group_open_http_svc/group_msg_get_simple", req))["RspMsgList"].([]any)
		for _, m := range page {
			all = append(all, m.(map[string]any))
		}
		// A short page is the last, and so is one that reached MsgSeq 1:
		// ReqMsgSeq 0 means "from the newest".
		if len(page) < 10 || all[len(all)-1]["MsgSeq"].(float64) == 1 {
			return all
		}
		req["ReqMsgSeq"] = all[len(all)-1]["MsgSeq"].(float64) - 1
	}
	t.Fatalf("history of %s does not end", groupID)
	return nil
}
