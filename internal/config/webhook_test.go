package config

import (
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The vendor's URL rules: scheme, host-name labels, IP addresses.
func TestValidCallbackURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"http://203.0.113.7/imcb", true},
		{"https://cb.example.com/im?tenant=7", true},
		{"https://cb-1.Example.COM:8443", true},
		{"http://[2001:db8::1]:8080/cb", true},
		{"http://localhost:9000/cb", true},
		{"ftp://cb.example.com", false},
		{"cb.example.com/imcb", false},
		{"https://", false},
		{"https://cb--x.example.com", false},
		{"https://-cb.example.com", false},
		{"https://cb-.example.com", false},
		{"https://-.example.com", false},
		{"https://cb_1.example.com", false},
		{"https://cb!.example.com", false},
		{"https://cb..example.com", false},
		{"https://" + strings.Repeat("a", 64) + ".example.com", false},
		{"https://user:pw@cb.example.com", false},
		{"https://cb.example.com:0", false},
		{"https://cb.example.com:99999", false},
		{"https://cb.example.com/#frag", false},
	} {
		if err := ValidCallbackURL(tc.url); (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok %v", tc.url, err, tc.ok)
		}
	}
}

// The single app's callback settings come from flags and env like every
// other setting, and survive the generated app.
func TestWebhookFlags(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"CHATD_CALLBACK_TOKEN": "tok", "CHATD_CALLBACKS": "C2C.CallbackBeforeSendMsg,State.StateChange"}
	got, err := Load([]string{"--data", data, "--callback-url", "https://cb.example.com/im", "--callback-failure", "closed",
		"--callback-retry", "true", "--callback-timeout", "1500ms", "--callback-min-tls", "1.0"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	w := got.Config.Apps[0].Webhook
	if w.URL != "https://cb.example.com/im" || w.Token != "tok" || len(w.Callbacks) != 2 || !w.FailsClosed() || !w.RetryAfterTimeout ||
		w.RequestTimeout() != 1500*time.Millisecond || w.MinTLS != "1.0" || !got.AppCreated {
		t.Fatalf("webhook %+v", w)
	}
	if !w.Wants("State.StateChange") || w.Wants("C2C.CallbackAfterSendMsg") {
		t.Fatal("Wants disagrees with the list")
	}
	if all := (Webhook{URL: "http://x"}); !all.Wants("C2C.CallbackAfterSendMsg") || all.RequestTimeout() != DefaultWebhookTimeout || all.FailsClosed() {
		t.Fatal("defaults: all callbacks, 2 s, fail-open")
	}
}

func TestWebhookValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    Webhook
		ok   bool
	}{
		{"none", Webhook{}, true},
		{"settings without URL", Webhook{Token: "t"}, false},
		{"bad URL", Webhook{URL: "http://a--b"}, false},
		{"bad policy", Webhook{URL: "http://a", BeforeFailure: "maybe"}, false},
		{"timeout too long", Webhook{URL: "http://a", Timeout: Duration(time.Minute)}, false},
		{"cert without key", Webhook{URL: "http://a", ClientCert: "c.pem"}, false},
		{"bad TLS version", Webhook{URL: "http://a", MinTLS: "1.4"}, false},
		{"full", Webhook{URL: "https://a", Token: "t", BeforeFailure: FailClosed, Timeout: Duration(time.Second), ClientCert: "c", ClientKey: "k", MinTLS: "1.3"}, true},
	} {
		if err := tc.w.validate(); (err == nil) != tc.ok {
			t.Errorf("%s: err %v", tc.name, err)
		}
	}
	if _, err := Load([]string{"--data", t.TempDir(), "--callback-url", "gopher://x"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Fatal("--callback-url with a bad scheme accepted")
	}
}
