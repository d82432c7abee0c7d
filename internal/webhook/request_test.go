package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// The spec's signing example (webhooks.md, "Request the server sends").
func TestSignExample(t *testing.T) {
	got := Sign("tok_9f2c4", "1735689600")
	if want := "3d93422242b5206ebadc08163e4d0e334ba5a40c7ff84b89181bc12a4acd641a"; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

// A request is a POST of JSON to the configured URL with the spec's query
// parameters in the spec's order, signed when a token is set, over one
// kept-alive connection.
func TestRequestForm(t *testing.T) {
	rc := newReceiver(t).start()
	s := newSender(t, rc, config.Webhook{URL: rc.srv.URL + "/imcb?tenant=7", Token: "tok_9f2c4"})
	m := &im.C2CMessage{AppID: testAppID, From: "alice", To: "bob", Seq: 1, Random: 2, Time: 3, Body: json.RawMessage(`[]`)}
	for range 3 {
		if _, err := s.Messages().BeforeSendC2C(ctxClient(), m, false); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		r := rc.next()
		if r.Path != "/imcb" || r.Header.Get("Content-Type") != "application/json" || r.Header.Get(IdempotencyHeader) == "" {
			t.Fatalf("request %d: path %q, headers %v", i, r.Path, r.Header)
		}
		keys := []string{}
		for _, kv := range strings.Split(r.RawQ, "&") {
			keys = append(keys, strings.SplitN(kv, "=", 2)[0])
		}
		if got := strings.Join(keys, ","); got != "tenant,SdkAppid,CallbackCommand,contenttype,ClientIP,OptPlatform,Sign,RequestTime" {
			t.Fatalf("query keys %s", got)
		}
		q := r.Query
		if q.Get("SdkAppid") != "1400000042" || q.Get("CallbackCommand") != C2CBeforeSendMsg || q.Get("contenttype") != "json" ||
			q.Get("ClientIP") != "203.0.113.9" || q.Get("OptPlatform") != "Android" || q.Get("Sign") != Sign("tok_9f2c4", q.Get("RequestTime")) {
			t.Fatalf("query %v", q)
		}
		if r.Body["CallbackCommand"] != C2CBeforeSendMsg {
			t.Fatalf("body %s", r.RawBody)
		}
	}
	if n := rc.conns.Load(); n != 1 {
		t.Fatalf("%d connections for 3 callbacks, want 1 kept alive", n)
	}
}

// Without a token there is no Sign; Alert.RequestOverLimit has no
// ClientIP; State.StateChange spells iOS "IOS", the others "iOS".
func TestRequestQueryVariants(t *testing.T) {
	rc := newReceiver(t).start()
	s := newSender(t, rc, config.Webhook{})
	ios := WithOrigin(context.Background(), Origin{Platform: ClientPlatform("iPhone"), ClientIP: "203.0.113.9"})
	s.Connections().StateChanged(gateway.StateEvent{AppID: testAppID, UserID: "alice", Platform: "iPhone", Remote: "203.0.113.9:5000", Change: gateway.StateLogin})
	r := rc.next()
	if r.Query.Get("OptPlatform") != "IOS" || r.Query.Has("Sign") || r.Query.Has("RequestTime") || r.Query.Get("ClientIP") != "203.0.113.9" {
		t.Fatalf("StateChange query %v", r.Query)
	}
	s.Profiles().AfterSet(ios, testAppID, "alice", []im.TagValue{{Tag: "Tag_Profile_IM_Nick", Value: json.RawMessage(`"A"`)}})
	if r := rc.next(); r.Query.Get("OptPlatform") != "iOS" {
		t.Fatalf("PortraitSet query %v", r.Query)
	}
	s.after(ctxREST(), testAppID, AlertRequestOverLimit, "k", job{value: &alertBody{CallbackCommand: AlertRequestOverLimit}})
	if r := rc.next(); r.Query.Has("ClientIP") || r.Query.Get("OptPlatform") != PlatformREST {
		t.Fatalf("alert query %v", r.Query)
	}
}

// Only the switched-on callbacks are sent; Alert.RequestOverLimit always.
func TestCallbackSwitches(t *testing.T) {
	rc := newReceiver(t).start()
	s := newSender(t, rc, config.Webhook{Callbacks: []string{C2CAfterMsgReport}})
	count := func(context.Context) (int64, error) { return 0, nil }
	s.Messages().AfterRecallC2C(ctxClient(), testAppID, message.C2CRef{From: "a", To: "b", Key: "1_2_3"}, count)
	s.Messages().AfterReadC2C(ctxClient(), testAppID, "b", "a", 5, count)
	s.after(ctxREST(), testAppID, AlertRequestOverLimit, "k", job{value: &alertBody{CallbackCommand: AlertRequestOverLimit}})
	got := map[string]bool{}
	for range 2 {
		got[rc.next().Query.Get("CallbackCommand")] = true
	}
	if !got[C2CAfterMsgReport] || !got[AlertRequestOverLimit] {
		t.Fatalf("sent %v", got)
	}
	rc.none(s)
	if s.on(testAppID, C2CAfterMsgWithDraw) != nil || s.on(testAppID, C2CAfterMsgReport) == nil || s.on(99, C2CAfterMsgReport) != nil {
		t.Fatal("the switches disagree")
	}
}

// A configuration naming a command word chatd does not send stops
// start-up.
func TestUnknownCallbackRefused(t *testing.T) {
	_, err := New([]config.App{{SDKAppID: testAppID, Webhook: config.Webhook{URL: "http://127.0.0.1/cb", Callbacks: []string{"C2C.CallbackBeforeSendMessage"}}}}, Options{})
	if err == nil {
		t.Fatal("unknown command word accepted")
	}
}

// A redirect is an answer that is not 200: the callback failed.
func TestRedirectIsFailure(t *testing.T) {
	rc := newReceiver(t).start()
	rc.answerWith(func(w http.ResponseWriter, _ received) {
		w.Header().Set("Location", "/elsewhere")
		w.WriteHeader(http.StatusFound)
	})
	s := newSender(t, rc, config.Webhook{BeforeFailure: config.FailClosed})
	g := &im.Group{AppID: testAppID, ID: "g1", Type: im.GroupPublic}
	if err := s.Groups().BeforeApply(ctxClient(), g, "dave"); im.CodeOf(err) != im.CodeGroupCallbackRefused {
		t.Fatalf("err %v, want 10016 (failed, fail-closed)", err)
	}
	if d, _ := s.Deliveries(context.Background(), testAppID, 0); len(d) != 1 || d[0].Outcome != OutcomeStatus || d[0].Status != http.StatusFound {
		t.Fatalf("log %+v", d)
	}
}

// The spec's parameters go after the URL's own query, before its
// fragment, as url.URL would place them.
func TestTargetParts(t *testing.T) {
	for _, raw := range []string{"http://h/p", "https://h:8443/p?x=1", "http://h/p#f", "http://h/a%20b?x=1&y=%2F#f%20g", "http://h"} {
		base, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		u := *base
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += "SdkAppid=1"
		prefix, suffix := targetParts(base)
		if got, want := prefix+"SdkAppid=1"+suffix, u.String(); got != want {
			t.Errorf("%s: %s, want %s", raw, got, want)
		}
	}
}
