package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
	"github.com/chatd/chatd/internal/relation"
)

// failures are the ways a before callback fails, each set up on the
// receiver (or the URL) before the call.
var failures = []struct {
	name    string
	outcome string
	setup   func(rc *receiver) string // returns a URL to use instead, or ""
}{
	{"timeout", OutcomeTimeout, func(rc *receiver) string { rc.hang(); return "" }},
	{"HTTP 500", OutcomeStatus, func(rc *receiver) string {
		rc.answerWith(func(w http.ResponseWriter, _ received) { http.Error(w, "boom", http.StatusInternalServerError) })
		return ""
	}},
	{"not JSON", OutcomeNotJSON, func(rc *receiver) string {
		rc.answerWith(func(w http.ResponseWriter, _ received) { writeJSON(w, "<html>ok</html>") })
		return ""
	}},
	{"refused connection", OutcomeNetwork, func(rc *receiver) string { return "http://127.0.0.1:1/imcb" }},
}

// Every before-send answer form, for one-to-one and group messages.
func TestBeforeSendAnswers(t *testing.T) {
	rc := newReceiver(t).start()
	s := newSender(t, rc, config.Webhook{})
	c2c := &im.C2CMessage{AppID: testAppID, From: "alice", To: "bob", Seq: 30211, Random: 58812093, Time: 1735689610,
		Body: json.RawMessage(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"lunch at noon?"}}]`), CloudCustomData: "x"}
	g := &im.Group{AppID: testAppID, ID: "@TGS#2HKW3ZNOA", Type: im.GroupPublic}
	gm := &im.GroupMessage{AppID: testAppID, GroupID: g.ID, From: "bob", Random: 7, Time: 1735689740, Body: c2c.Body}
	for _, tc := range []struct {
		name   string
		answer string
		// what each send path then does: the code of its refusal (0: not
		// refused), a drop, a rewritten body
		c2cCode, groupCode int
		drop               bool
		body, custom       string
	}{
		{"allow", `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`, 0, 0, false, "", ""},
		{"rewrite", `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"***"}}],"CloudCustomData":"y"}`,
			0, 0, false, `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"***"}}]`, "y"},
		{"refuse", `{"ActionStatus":"OK","ErrorCode":1,"ErrorInfo":"no"}`, im.CodeC2CRefused, im.CodeGroupCallbackRefused, false, "", ""},
		{"drop", `{"ActionStatus":"OK","ErrorCode":2,"ErrorInfo":""}`, 0, 0, true, "", ""},
		{"pass-through codes", `{"ActionStatus":"OK","ErrorCode":120500,"ErrorInfo":"blocked word"}`, 120500, im.CodeGroupCallbackRefused, false, "", ""},
		{"group pass-through", `{"ActionStatus":"OK","ErrorCode":10150,"ErrorInfo":"group rule"}`, im.CodeC2CRefused, 10150, false, "", ""},
		{"unknown code refuses", `{"ActionStatus":"FAIL","ErrorCode":7,"ErrorInfo":""}`, im.CodeC2CRefused, im.CodeGroupCallbackRefused, false, "", ""},
		{"a body that is not elements is ignored", `{"ErrorCode":0,"MsgBody":{"Text":"x"}}`, 0, 0, false, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc.answerJSON(tc.answer)
			for _, path := range []string{"c2c", "group"} {
				var v message.Verdict
				var err error
				want := tc.c2cCode
				if path == "c2c" {
					v, err = s.Messages().BeforeSendC2C(ctxClient(), c2c, false)
				} else {
					v, err = s.Messages().BeforeSendGroup(ctxClient(), g, gm, false)
					want = tc.groupCode
				}
				rc.next()
				if im.CodeOf(err) != want {
					t.Fatalf("%s: err %v, want code %d", path, err, want)
				}
				if e, ok := err.(*im.Error); want != 0 && (!ok || e.Info == "") {
					t.Fatalf("%s: refusal without ErrorInfo: %v", path, err)
				}
				if v.Drop != tc.drop {
					t.Fatalf("%s: drop %v", path, v.Drop)
				}
				if body, _ := json.Marshal(v.Body); tc.body != "" && string(body) != tc.body || tc.body == "" && v.Body != nil {
					t.Fatalf("%s: body %s", path, body)
				}
				if tc.custom != "" && (v.CloudCustomData == nil || *v.CloudCustomData != tc.custom) {
					t.Fatalf("%s: custom data %v", path, v.CloudCustomData)
				}
			}
		})
	}
}

// A failed before callback lets the action through under the default
// fail-open policy and refuses it under fail-closed, with each callback's
// code; the failure is in the delivery log.
func TestBeforeFailurePolicy(t *testing.T) {
	c2c := &im.C2CMessage{AppID: testAppID, From: "alice", To: "bob", Body: json.RawMessage(`[]`)}
	g := &im.Group{AppID: testAppID, ID: "g1", Type: im.GroupPublic, Owner: "alice"}
	add := &relation.AddRequest{From: "alice", AddFriendItem: []relation.AddItem{{To: "bob"}, {To: "carol"}}}
	calls := []struct {
		name       string
		call       func(s *Sender) error
		closedCode int
	}{
		{"C2C send", func(s *Sender) error { _, err := s.Messages().BeforeSendC2C(ctxClient(), c2c, false); return err }, im.CodeCallbackFailed},
		{"group send", func(s *Sender) error {
			_, err := s.Messages().BeforeSendGroup(ctxClient(), g, &im.GroupMessage{AppID: testAppID, GroupID: "g1"}, false)
			return err
		}, im.CodeCallbackFailed},
		{"group create", func(s *Sender) error {
			return s.Groups().BeforeCreate(ctxClient(), group.Operator{UserID: "alice"}, g, nil)
		}, im.CodeGroupCallbackRefused},
		{"invite", func(s *Sender) error {
			_, err := s.Groups().BeforeInvite(ctxClient(), group.Operator{UserID: "alice"}, g, []string{"bob"})
			return err
		}, im.CodeGroupCallbackRefused},
		{"friend response", func(s *Sender) error {
			return s.Relations().BeforeRespond(ctxClient(), testAppID, "bob", &relation.RespondRequest{From: "alice", ResponseAction: relation.AgreeAndAdd})
		}, im.CodeSNSPolicyBlocked},
		{"friend add", func(s *Sender) error {
			if r := s.Relations().BeforeAdd(ctxClient(), testAppID, add); len(r) > 0 {
				return &im.Error{Code: r["bob"].ResultCode}
			}
			return nil
		}, im.CodeSNSPolicyBlocked},
	}
	for _, f := range failures {
		for _, policy := range []string{config.FailOpen, config.FailClosed} {
			t.Run(f.name+"/"+policy, func(t *testing.T) {
				rc := newReceiver(t).start()
				url := f.setup(rc)
				s := newSender(t, rc, config.Webhook{URL: url, BeforeFailure: policy, Timeout: config.Duration(300 * time.Millisecond)})
				for _, c := range calls {
					err := c.call(s)
					want := 0
					if policy == config.FailClosed {
						want = c.closedCode
					}
					if im.CodeOf(err) != want {
						t.Fatalf("%s: err %v, want code %d", c.name, err, want)
					}
				}
				got, _ := s.Deliveries(context.Background(), testAppID, 0)
				if len(got) != len(calls) {
					t.Fatalf("%d deliveries logged, want %d", len(got), len(calls))
				}
				for _, d := range got {
					if d.Outcome != f.outcome || d.Kind != KindBefore {
						t.Fatalf("logged %+v, want outcome %s", d, f.outcome)
					}
				}
			})
		}
	}
}

// The invite callback refuses a whole invitation or some users; the
// relationship callbacks judge target by target, and an app's own
// failure (a top-level ErrorCode) lets the request through.
func TestBeforePartialAnswers(t *testing.T) {
	rc := newReceiver(t).start()
	s := newSender(t, rc, config.Webhook{})
	g := &im.Group{AppID: testAppID, ID: "g1", Type: im.GroupPublic}
	by := group.Operator{UserID: "alice"}

	rc.answerJSON(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","RefusedMembers_Account":["mallory"]}`)
	refused, err := s.Groups().BeforeInvite(ctxClient(), by, g, []string{"erin", "mallory"})
	if err != nil || len(refused) != 1 || refused[0] != "mallory" {
		t.Fatalf("refused %v, err %v", refused, err)
	}
	if got := rc.next().Body["DestinationMembers"]; len(got.([]any)) != 2 {
		t.Fatalf("DestinationMembers %v", got)
	}
	rc.answerJSON(`{"ActionStatus":"OK","ErrorCode":1,"ErrorInfo":"closed group"}`)
	if _, err := s.Groups().BeforeInvite(ctxClient(), by, g, []string{"erin"}); im.CodeOf(err) != im.CodeGroupCallbackRefused {
		t.Fatalf("whole refusal: %v", err)
	}
	rc.next()

	add := &relation.AddRequest{From: "alice", AddFriendItem: []relation.AddItem{{To: "bob"}, {To: "carol"}}}
	rc.answerJSON(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[{"To_Account":"bob","ResultCode":0,"ResultInfo":""},{"To_Account":"carol","ResultCode":38001,"ResultInfo":"target does not accept requests"}]}`)
	got := s.Relations().BeforeAdd(ctxClient(), testAppID, add)
	if len(got) != 1 || got["carol"].ResultCode != 38001 || got["carol"].ResultInfo != "target does not accept requests" {
		t.Fatalf("verdicts %+v", got)
	}
	rc.next()
	rc.answerJSON(`{"ActionStatus":"FAIL","ErrorCode":38050,"ErrorInfo":"app down","ResultItem":[{"To_Account":"carol","ResultCode":38001}]}`)
	if got := s.Relations().BeforeAdd(ctxClient(), testAppID, add); len(got) != 0 {
		t.Fatalf("an app failure refused %+v", got)
	}
	rc.next()
	rc.answerJSON(`{"ActionStatus":"OK","ErrorCode":0,"ResultItem":[{"To_Account":"alice","ResultCode":38002,"ResultInfo":"not now"}]}`)
	err = s.Relations().BeforeRespond(ctxClient(), testAppID, "bob", &relation.RespondRequest{From: "alice", ResponseAction: relation.Agree})
	if e, ok := err.(*im.Error); !ok || e.Code != 38002 || e.Info != "not now" {
		t.Fatalf("response refusal %v", err)
	}
	rc.next()
}
