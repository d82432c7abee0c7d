package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/im"
)

// The log keeps the last N deliveries, numbered, oldest first.
func TestDeliveryLogRing(t *testing.T) {
	l := newDeliveryLog(3)
	for i := range 5 {
		l.add(Delivery{Command: fmt.Sprint(i)})
	}
	got, _ := l.since(0)
	if len(got) != 3 || got[0].ID != 3 || got[0].Command != "2" || got[2].ID != 5 {
		t.Fatalf("kept %+v", got)
	}
	if got, _ := l.since(4); len(got) != 1 || got[0].ID != 5 {
		t.Fatalf("since 4: %+v", got)
	}
	if got, _ := l.since(5); len(got) != 0 {
		t.Fatalf("since 5: %+v", got)
	}
}

// fakeVerifier accepts the signature "good" only.
type fakeVerifier struct{}

func (fakeVerifier) Verify(_ string, _ uint64, _, sig string) error {
	if sig != "good" {
		return &im.Error{Code: im.CodeSigInvalid, Info: "bad sig"}
	}
	return nil
}

// The delivery log over HTTP: the REST API's checks and codes, the
// deliveries after an ID, and a read that waits for the next one.
func TestLogHandler(t *testing.T) {
	rc := newReceiver(t).start()
	s := newSender(t, rc, config.Webhook{})
	apps := []config.App{{SDKAppID: testAppID, SecretKey: "k", Admins: []string{"admin"}}, {SDKAppID: 1400000043, SecretKey: "k", Admins: []string{"admin"}}}
	srv := httptest.NewServer(s.LogHandler(apps, fakeVerifier{}))
	defer srv.Close()
	get := func(q string) LogReply {
		t.Helper()
		resp, err := http.Get(srv.URL + LogPath + "?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r LogReply
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&r) != nil {
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
		return r
	}
	for _, tc := range []struct {
		q    string
		code int
	}{
		{"", im.CodeMissingSDKAppID},
		{"sdkappid=7", im.CodeBadSDKAppID},
		{"sdkappid=1400000042&identifier=admin", im.CodeBadURLParam},
		{"sdkappid=1400000042&identifier=admin&usersig=bad", im.CodeSigInvalid},
		{"sdkappid=1400000042&identifier=bob&usersig=good", im.CodeNeedAdmin},
	} {
		if r := get(tc.q); r.ErrorCode != tc.code || r.ActionStatus != "FAIL" {
			t.Fatalf("%q: %+v, want %d", tc.q, r, tc.code)
		}
	}
	auth := "sdkappid=1400000042&identifier=admin&usersig=good"
	if r := get("sdkappid=1400000043&identifier=admin&usersig=good"); r.ErrorCode != 0 || r.Enabled {
		t.Fatalf("app without callbacks: %+v", r)
	}
	if r := get(auth); r.ErrorCode != 0 || !r.Enabled || len(r.Deliveries) != 0 || r.Next != 0 {
		t.Fatalf("empty log: %+v", r)
	}
	var wg sync.WaitGroup
	var waited LogReply
	wg.Go(func() { waited = get(auth + "&after=0&wait=20") })
	time.Sleep(50 * time.Millisecond) // let the read wait (it returns either way)
	s.Profiles().AfterSet(ctxREST(), testAppID, "alice", nil)
	rc.next()
	wg.Wait()
	if len(waited.Deliveries) != 1 || waited.Next != 1 || waited.Deliveries[0].Command != ProfilePortraitSet ||
		waited.Deliveries[0].Outcome != OutcomeOK || waited.Deliveries[0].Status != 200 {
		t.Fatalf("waited read: %+v", waited)
	}
	if d := waited.Deliveries[0]; d.Answer == "" || len(d.Request) == 0 || d.URL == "" {
		t.Fatalf("delivery without request or answer: %+v", d)
	}
	if r := get(auth + "&after=1"); len(r.Deliveries) != 0 || r.Next != 1 {
		t.Fatalf("after the last: %+v", r)
	}
}

// Alert.RequestOverLimit fires when a second's calls passed 80% of the
// node's share of the limit, at most once a minute per API.
func TestAlertRequestOverLimit(t *testing.T) {
	rc := newReceiver(t).start()
	clock := time.Unix(1735689600, 0)
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	tick := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	s, err := New([]config.App{{SDKAppID: testAppID, Webhook: config.Webhook{URL: rc.srv.URL}}}, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	const path = "v4/group_open_http_svc/send_group_msg"
	burst := func(n, nodes int) {
		for range n {
			s.CountREST(testAppID, path, 200, nodes)
		}
		tick(time.Second)
		s.CountREST(testAppID, path, 200, nodes) // the next second's first call judges this one
	}
	burst(160, 1) // 80%: not above
	rc.none(s)
	burst(176, 1) // and the call that judged the burst before: 177
	r := rc.next()
	if r.Body["ServiceName"] != "group_open_http_svc" || r.Body["Command"] != "send_group_msg" || r.Body["Request"] != float64(177) || r.Body["Limit"] != float64(200) {
		t.Fatalf("alert %s", r.RawBody)
	}
	burst(199, 1) // within the minute: no second alarm
	rc.none(s)
	tick(time.Minute)
	burst(90, 2) // 90 of a share of 100 on each of 2 nodes
	if r := rc.next(); r.Body["Request"] != float64(180) {
		t.Fatalf("alert %s", r.RawBody)
	}
	s.CountREST(1, path, 200, 1) // an app without callbacks: nothing, no panic
}

// Live-room changes: a first entry is a join, a quit an exit, a dropped
// connection Offline, and the return of that member Online.
func TestRoomChanges(t *testing.T) {
	rc := newReceiver(t).start()
	s := newSender(t, rc, config.Webhook{})
	h := s.Connections()
	ev := gateway.RoomEvent{AppID: testAppID, GroupID: "@TGS#aLIVE", UserID: "viewer", Platform: "Web", Remote: "203.0.113.5:4000"}
	step := func(entered, quit bool, command, detail string) {
		t.Helper()
		ev.Entered, ev.Quit = entered, quit
		h.RoomChanged(ev)
		r := rc.next()
		if got := r.Query.Get("CallbackCommand"); got != command || detail != "" && fmt.Sprintf("%v %v %v", r.Body["JoinType"], r.Body["ExitType"], r.Body["EventType"]) != detail {
			t.Fatalf("got %s %s, want %s %s", got, r.RawBody, command, detail)
		}
		if r.Body["Type"] != string(im.GroupAVChatRoom) || r.Query.Get("OptPlatform") != "Web" || r.Query.Get("ClientIP") != "203.0.113.5" {
			t.Fatalf("callback %v %s", r.Query, r.RawBody)
		}
	}
	step(true, false, GroupAfterNewMemberJoin, "Apply <nil> <nil>")
	step(false, false, GroupOnMemberStateChange, "<nil> <nil> Offline")
	step(true, false, GroupOnMemberStateChange, "<nil> <nil> Online")
	step(false, true, GroupAfterMemberExit, "<nil> Quit <nil>")
	step(true, false, GroupAfterNewMemberJoin, "Apply <nil> <nil>")
}

// The state of connections: each change's Action and Reason, and the
// platforms a login pushed off.
func TestStateChanges(t *testing.T) {
	rc := newReceiver(t).start()
	s := newSender(t, rc, config.Webhook{})
	for _, tc := range []struct {
		change         gateway.StateChange
		action, reason string
	}{
		{gateway.StateLogin, "Login", "Register"},
		{gateway.StateLogout, "Logout", "Unregister"},
		{gateway.StateKicked, "Logout", "Unregister"},
		{gateway.StateClosed, "Disconnect", "LinkClose"},
		{gateway.StateTimeout, "Disconnect", "TimeOut"},
	} {
		s.Connections().StateChanged(gateway.StateEvent{AppID: testAppID, UserID: "alice", Platform: "PC", Remote: "[2001:db8::1]:443",
			Change: tc.change, Kicked: []string{"iPhone"}})
		r := rc.next()
		info := r.Body["Info"].(map[string]any)
		if info["Action"] != tc.action || info["Reason"] != tc.reason || info["To_Account"] != "alice" ||
			r.Query.Get("OptPlatform") != "Windows" || r.Query.Get("ClientIP") != "2001:db8::1" {
			t.Fatalf("%v: %v %s", tc.change, r.Query, r.RawBody)
		}
		if kicked := r.Body["KickedDevice"].([]any); kicked[0].(map[string]any)["Platform"] != "iOS" {
			t.Fatalf("KickedDevice %v", kicked)
		}
	}
}
