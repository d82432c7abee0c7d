package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/store/sqlite/sqlitetest"
)

// durableSender hosts the test app with an outbox on db, its clock
// shifted by skew (a later process, or another node).
func durableSender(t *testing.T, rc *receiver, db im.OutboxStore, skew time.Duration) *Sender {
	t.Helper()
	s, err := New([]config.App{{SDKAppID: testAppID, Webhook: config.Webhook{URL: rc.srv.URL}}},
		Options{Outbox: db, Now: func() time.Time { return time.Now().Add(skew) },
			Unread: func(context.Context, uint64, string) (int64, error) { return 7, nil }})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// outboxKeys lists what is left in the outbox (taking it over for a node
// that sends nothing).
func outboxKeys(t *testing.T, db im.OutboxStore) []string {
	t.Helper()
	cbs, err := db.TakeOverCallbacks(context.Background(), "inspector", time.Now().Add(time.Hour).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, cb := range cbs {
		keys = append(keys, cb.Key)
	}
	return keys
}

// A sender that dies with callbacks unsent leaves them in the outbox; the
// next one, once the dead one's lease has run out, sends them in order,
// with their keys, and the group message's MsgSeq filled in; what is sent
// is deleted.
func TestOutboxSurvivesACrash(t *testing.T) {
	db := sqlitetest.Open(t)
	dead := newReceiver(t).start()
	dead.hang()
	first := durableSender(t, dead, db, 0)
	for i := range 3 {
		first.Profiles().AfterSet(ctxClient(), testAppID, "alice", []im.TagValue{{Tag: "Tag_Profile_IM_Nick", Value: []byte(fmt.Sprintf(`"%d"`, i))}})
	}
	// A group message's callback, recorded before its commit and stored
	// by it with the MsgSeq it took (as CommitStream does).
	g := &im.Group{AppID: testAppID, ID: "g1", Type: im.GroupPublic}
	m := &im.GroupMessage{AppID: testAppID, GroupID: "g1", From: "alice", Time: 1717000000, Random: 5, Body: []byte(`[]`)}
	cb := first.Messages().RecordAfterSendGroup(ctxClient(), g, m, false)[0]
	cb.MsgSeq, cb.MsgTime = 42, m.Time
	if err := db.AppendCallbacks(context.Background(), []im.Callback{cb}); err != nil {
		t.Fatal(err)
	}
	held := dead.next() // the first is in flight, the rest wait behind it
	first.stop()        // the crash: nothing more is sent, nothing deleted

	rc := newReceiver(t).start()
	second := durableSender(t, rc, db, leaseTTL+time.Second)
	defer second.Close(context.Background())
	var nicks []string
	var group received
	for range 4 {
		r := rc.next()
		if r.Header.Get(IdempotencyHeader) == "" {
			t.Fatalf("no %s header: %s", IdempotencyHeader, r.RawBody)
		}
		if r.Query.Get("CallbackCommand") == GroupAfterSendMsg {
			group = r
			continue
		}
		if len(nicks) == 0 && r.Header.Get(IdempotencyHeader) != held.Header.Get(IdempotencyHeader) {
			t.Fatalf("the callback in flight at the crash came back with key %s, was %s", r.Header.Get(IdempotencyHeader), held.Header.Get(IdempotencyHeader))
		}
		nicks = append(nicks, r.Body["ProfileItem"].([]any)[0].(map[string]any)["Value"].(string))
	}
	if fmt.Sprint(nicks) != "[0 1 2]" {
		t.Fatalf("profile callbacks in order %v", nicks)
	}
	if group.Body["MsgSeq"] != float64(42) || group.Body["MsgTime"] != float64(m.Time) || group.Body["MsgId"] != msgID(testAppID, "alice", m.Time, 5) {
		t.Fatalf("group callback %s", group.RawBody)
	}
	second.Close(context.Background())
	if left := outboxKeys(t, db); len(left) != 0 {
		t.Fatalf("sent callbacks left in the outbox: %v", left)
	}
}

// Apps without callbacks write nothing; a sender closed with callbacks
// unsent leaves them for the next start; a full queue drops and deletes.
func TestOutboxRows(t *testing.T) {
	db := sqlitetest.Open(t)
	rc := newReceiver(t).start()
	rc.hang()
	s, err := New([]config.App{{SDKAppID: testAppID, Webhook: config.Webhook{URL: rc.srv.URL, QueueSize: lanes}}}, Options{Outbox: db})
	if err != nil {
		t.Fatal(err)
	}
	s.Profiles().AfterSet(ctxClient(), testAppID+1, "nobody", nil) // not an app with callbacks
	for i := range 200 {
		s.Profiles().AfterSet(ctxClient(), testAppID, "alice", []im.TagValue{{Tag: "Tag_Profile_IM_Nick", Value: []byte(fmt.Sprintf(`"%d"`, i))}})
	}
	_, dropped := s.Deliveries(context.Background(), testAppID, 0)
	rc.next()
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	s.Close(stopped)
	left := outboxKeys(t, db)
	// One in flight, one per lane slot waits; the drops were deleted.
	if int64(len(left))+dropped != 200 || len(left) == 0 || len(left) > 2 {
		t.Fatalf("%d left in the outbox, %d dropped, of 200", len(left), dropped)
	}
}

// A body recorded before its values are known gets them when it is sent:
// the first placeholder of the field only, the rest of the body as is.
func TestFillIn(t *testing.T) {
	for _, tt := range []struct {
		name, body, field  string
		placeholder, value int64
		want               string
	}{
		{"seq", `{"MsgSeq":-9000000000000000001,"MsgBody":[]}`, "MsgSeq", laterSeq, 42, `{"MsgSeq":42,"MsgBody":[]}`},
		{"first only", `{"UnreadMsgNum":-9000000000000000003,"X":{"UnreadMsgNum":-9000000000000000003}}`, "UnreadMsgNum", laterUnread, -1,
			`{"UnreadMsgNum":-1,"X":{"UnreadMsgNum":-9000000000000000003}}`},
		{"absent", `{"MsgSeq":7}`, "MsgSeq", laterSeq, 42, `{"MsgSeq":7}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(fillIn([]byte(tt.body), tt.field, tt.placeholder, tt.value)); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	for req, want := range map[string]string{
		`{"c":"C2C.CallbackAfterSendMsg","o":{},"b":{}}`: C2CAfterSendMsg,
		`{"o":{},"c":"State.StateChange"}`:               StateChange,
		`not json`:                                       "",
	} {
		if got := commandOf(&im.Callback{Request: []byte(req)}); got != want {
			t.Errorf("commandOf(%s) = %q, want %q", req, got, want)
		}
	}
}

// encodeStored writes what json.Marshal of the whole would, body and all.
func TestEncodeStored(t *testing.T) {
	st := stored{Command: C2CAfterSendMsg, Origin: Origin{Platform: "Web", ClientIP: `1.2.3.4"b":null`}, Unread: "bob"}
	body := []byte(`{"MsgBody":[{"b":null}]}`)
	got, err := encodeStored(st, body)
	if err != nil {
		t.Fatal(err)
	}
	var back stored
	if err := json.Unmarshal(got, &back); err != nil || back.Command != st.Command || back.Origin != st.Origin ||
		back.Unread != "bob" || string(back.Body) != string(body) || commandOf(&im.Callback{Request: got}) != C2CAfterSendMsg {
		t.Fatalf("encoded %s, decoded %+v (%v)", got, back, err)
	}
}

// decodeStored reads what encodeStored wrote, and the rows an earlier
// chatd wrote (the body under "b", before "u"), whatever the body holds.
func TestDecodeStored(t *testing.T) {
	origin := Origin{Platform: "Web", ClientIP: `1.2.3.4,"r":1`}
	for _, body := range []string{`{"MsgBody":[{"r":null}]}`, `{"A":{"b":1,"u":"x"},"r":2}`, `{}`} {
		for _, unread := range []string{"", "bob"} {
			st := stored{Command: C2CAfterSendMsg, Origin: origin, Unread: unread}
			enc, err := encodeStored(st, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			old, _ := json.Marshal(struct {
				Command string          `json:"c"`
				Origin  Origin          `json:"o"`
				Body    json.RawMessage `json:"b"`
				Unread  string          `json:"u,omitempty"`
			}{st.Command, origin, json.RawMessage(body), unread})
			for _, req := range [][]byte{enc, old} {
				got, err := decodeStored(req)
				if err != nil || got.Command != st.Command || got.Origin != origin || got.Unread != unread || string(got.Body) != body {
					t.Errorf("decodeStored(%s) = %+v, %v", req, got, err)
				}
			}
		}
	}
	if _, err := decodeStored([]byte(`{"c":"x","r":`)); err == nil {
		t.Error("a cut request decoded")
	}
}
