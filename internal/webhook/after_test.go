package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// After callbacks of one conversation arrive in the order of their events,
// whatever the other conversations do.
func TestAfterOrderPerKey(t *testing.T) {
	rc := newReceiver(t).start()
	s := newSender(t, rc, config.Webhook{})
	const perKey = 50
	for i := range perKey {
		for _, user := range []string{"a", "b", "c"} {
			s.Profiles().AfterSet(ctxClient(), testAppID, user, []im.TagValue{{Tag: "Tag_Profile_IM_Nick", Value: []byte(fmt.Sprintf(`"%d"`, i))}})
		}
	}
	next := map[string]int{}
	for range 3 * perKey {
		r := rc.next()
		user := r.Body["From_Account"].(string)
		nick := r.Body["ProfileItem"].([]any)[0].(map[string]any)["Value"].(string)
		if want := fmt.Sprint(next[user]); nick != want {
			t.Fatalf("%s: got nick %s, want %s: out of order", user, nick, want)
		}
		next[user]++
	}
}

// A callback server that never answers slows no action: every after
// callback is queued at once, those beyond the queue are dropped and
// counted, and the delivery log says so.
func TestAfterNeverBlocks(t *testing.T) {
	rc := newReceiver(t).start()
	rc.hang()
	s := newSender(t, rc, config.Webhook{QueueSize: 32, Timeout: config.Duration(10 * time.Second)})
	count := func(context.Context) (int64, error) { return 0, nil }
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 1000 {
			s.Messages().AfterReadC2C(ctxClient(), testAppID, fmt.Sprint("u", i), "peer", 1, count)
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("queueing after callbacks blocked behind a server that never answers")
	}
	_, dropped := s.Deliveries(context.Background(), testAppID, 0)
	if dropped < 1000-32-lanes {
		t.Fatalf("%d dropped of 1000 with a queue of 32", dropped)
	}
	got, _ := s.Deliveries(context.Background(), testAppID, 0)
	if len(got) == 0 || got[len(got)-1].Outcome != OutcomeDropped {
		t.Fatalf("log does not show the drops: %+v", got)
	}
}

// An after callback that timed out is sent once more when the app asks
// for it, with the same idempotency key, and not otherwise.
func TestAfterRetryAfterTimeout(t *testing.T) {
	for _, retry := range []bool{false, true} {
		t.Run(fmt.Sprint("retry=", retry), func(t *testing.T) {
			rc := newReceiver(t).start()
			var mu sync.Mutex
			calls := 0
			rc.answerWith(func(w http.ResponseWriter, r received) {
				mu.Lock()
				calls++
				first := calls == 1
				mu.Unlock()
				if first {
					<-rc.release // times out
					return
				}
				writeJSON(w, `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`)
			})
			s := newSender(t, rc, config.Webhook{RetryAfterTimeout: retry, Timeout: config.Duration(200 * time.Millisecond)})
			s.Messages().AfterRecallC2C(ctxClient(), testAppID, message.C2CRef{From: "a", To: "b", Key: "1_2_3"},
				func(context.Context) (int64, error) { return 2, nil })
			first := rc.next()
			if !retry {
				rc.none(s)
				return
			}
			second := rc.next()
			if second.Header.Get(IdempotencyHeader) != first.Header.Get(IdempotencyHeader) || string(second.RawBody) != string(first.RawBody) {
				t.Fatalf("retry differs: %s %s / %s %s", first.Header.Get(IdempotencyHeader), first.RawBody, second.Header.Get(IdempotencyHeader), second.RawBody)
			}
			s.flush(t)
			log, _ := s.Deliveries(context.Background(), testAppID, 0)
			if len(log) != 2 || log[0].Outcome != OutcomeTimeout || log[1].Outcome != OutcomeOK || log[1].Attempt != 2 {
				t.Fatalf("log %+v", log)
			}
		})
	}
}

// Close delivers what is queued while its context lasts.
func TestCloseDrains(t *testing.T) {
	rc := newReceiver(t).start()
	s, err := New([]config.App{{SDKAppID: testAppID, Webhook: config.Webhook{URL: rc.srv.URL}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		s.Profiles().AfterSet(ctxClient(), testAppID, fmt.Sprint("u", i), nil)
	}
	s.Close(context.Background())
	if n := len(rc.got); n != 20 {
		t.Fatalf("%d of 20 delivered before Close returned", n)
	}
	s.Profiles().AfterSet(ctxClient(), testAppID, "late", nil) // dropped, no panic
}

// The unread count of a callback body is read when it is sent; a failed
// read reports -1.
func TestAfterFillsCounts(t *testing.T) {
	rc := newReceiver(t).start()
	s := newSender(t, rc, config.Webhook{})
	s.Messages().AfterReadC2C(ctxClient(), testAppID, "bob", "alice", 9, func(context.Context) (int64, error) { return 4, nil })
	if r := rc.next(); r.Body["UnreadMsgNum"] != float64(4) {
		t.Fatalf("body %s", r.RawBody)
	}
	s.Messages().AfterReadC2C(ctxClient(), testAppID, "bob", "alice", 9, func(context.Context) (int64, error) { return 0, fmt.Errorf("store down") })
	if r := rc.next(); r.Body["UnreadMsgNum"] != float64(-1) {
		t.Fatalf("body %s", r.RawBody)
	}
}

// A send's callback, recorded and committed, reports the unread count its
// commit counted (StreamResult.Unread) and reads none; one taken over
// from the outbox, not counted, reads it when it is sent.
func TestCommittedCarriesUnread(t *testing.T) {
	rc := newReceiver(t).start()
	var reads atomic.Int64
	s, err := New([]config.App{{SDKAppID: testAppID, Webhook: config.Webhook{URL: rc.srv.URL + "/imcb"}}},
		Options{Unread: func(context.Context, uint64, string) (int64, error) { reads.Add(1); return 7, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	m := &im.C2CMessage{AppID: testAppID, From: "alice", To: "bob", Seq: 1, Random: 2, Time: 3,
		Body: json.RawMessage(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]`)}
	cbs := s.Messages().RecordAfterSendC2C(ctxClient(), m)
	if len(cbs) != 1 || cbs[0].UnreadOf != "bob" {
		t.Fatalf("recorded %+v: want one callback counting bob's unread", cbs)
	}
	s.Committed([]im.StreamWrite{{AppID: testAppID, Callbacks: cbs}}, []im.StreamResult{{Unread: 5, UnreadCounted: true}})
	if r := rc.next(); r.Body["UnreadMsgNum"] != float64(5) || reads.Load() != 0 {
		t.Fatalf("body %s after %d reads: want UnreadMsgNum 5 from the commit", r.RawBody, reads.Load())
	}
	s.requeue(&cbs[0])
	if r := rc.next(); r.Body["UnreadMsgNum"] != float64(7) || reads.Load() != 1 {
		t.Fatalf("body %s after %d reads: want UnreadMsgNum 7, read", r.RawBody, reads.Load())
	}
}
