package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// TestCallbackFailurePolicy: a before callback that fails (here: never
// answers within the timeout) lets REST and client actions through under
// the default fail-open policy and refuses them under fail-closed, with
// 80003 for messages and 10016 for groups; after callbacks to a server
// that never answers do not hold sends back.
func TestCallbackFailurePolicy(t *testing.T) {
	storeEngines(t, testCallbackFailurePolicy)
}

func testCallbackFailurePolicy(t *testing.T, storeArgs []string) {
	release := make(chan struct{})
	defer close(release)
	hang := newBackend(t, "", func(callback) string { <-release; return "" }).start()
	ctx := context.Background()
	for _, policy := range []string{"open", "closed"} {
		t.Run(policy, func(t *testing.T) {
			n := startTestApp(t, "", append(storeArgs, "--callback-url", hang.url(), "--callback-failure", policy, "--callback-timeout", "300ms")...)
			mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice", "bob"}}))
			alice := dialUser(t, n, "alice")
			msgCode, groupCode := 0, 0
			if policy == "closed" {
				msgCode, groupCode = 80003, 10016
			}
			if _, err := alice.SendC2C(ctx, "bob", text("hi")); codeOf(err) != msgCode {
				t.Fatalf("client send: %v, want %d", err, msgCode)
			}
			reply := n.rest("v4/openim/sendmsg", map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgRandom": 1, "MsgBody": text("hi")})
			wantCode(t, reply, msgCode)
			reply = n.rest("v4/group_open_http_svc/create_group", map[string]any{"Owner_Account": "alice", "Type": "Public", "Name": "G"})
			wantCode(t, reply, groupCode)
			if _, err := alice.CreateGroup(ctx, client.NewGroup{Type: "Public", Name: "G"}); codeOf(err) != groupCode {
				t.Fatalf("client create: %v, want %d", err, groupCode)
			}
		})
	}

	// Only after callbacks on, to a server that never answers: sends
	// keep going, and the callbacks beyond the queue are dropped and
	// counted in the delivery log.
	n := startTestApp(t, "", append(storeArgs, "--callback-url", hang.url(), "--callbacks", "C2C.CallbackAfterSendMsg")...)
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice", "bob"}}))
	alice := dialUser(t, n, "alice")
	for i := range 300 {
		if _, err := alice.SendC2C(ctx, "bob", text(fmt.Sprint(i))); err != nil {
			t.Fatalf("send %d behind a dead callback server: %v", i, err)
		}
	}
	if dl := n.deliveries(t, 0); dl["Queued"] == nil && dl["Dropped"] == nil {
		t.Fatalf("the delivery log shows nothing waiting: %v", dl)
	}
}

// deliveries reads the delivery log after the given ID.
func (n *node) deliveries(t *testing.T, after int) map[string]any {
	t.Helper()
	q := fmt.Sprintf("/chatd/webhooks/deliveries?sdkappid=%d&identifier=%s&usersig=%s&after=%d", testAppID, testAdmin, adminSig(), after)
	reply := postRaw(t, n.BaseURL+q, "")
	if reply["ErrorCode"] != float64(0) {
		t.Fatalf("delivery log: %v", reply)
	}
	return reply
}

// TestCallbacksOverMutualTLS: `chatd certs` makes a CA, chatd's client
// certificate and a server certificate; chatd presents its certificate to
// an HTTPS callback server that requires one, and trusts that server
// through the CA. A server chatd cannot verify gets nothing.
func TestCallbacksOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	out, err := runBinary("certs", "--dir", dir, "--domain", "127.0.0.1")
	if err != nil {
		t.Fatalf("chatd certs: %v\n%s", err, out)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	server, err := tls.X509KeyPair(read("127.0.0.1.pem"), read("127.0.0.1-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	clients := x509.NewCertPool()
	clients.AppendCertsFromPEM(read("ca.pem"))
	b := newBackend(t, "", nil)
	b.srv.TLS = &tls.Config{Certificates: []tls.Certificate{server}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clients}
	b.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	b.srv.StartTLS()
	t.Cleanup(b.srv.Close)

	tlsArgs := []string{"--callback-url", b.url(), "--callback-cert", filepath.Join(dir, "chatd-client.pem"),
		"--callback-key", filepath.Join(dir, "chatd-client-key.pem"), "--callback-ca", filepath.Join(dir, "ca.pem")}
	n := startTestApp(t, "", tlsArgs...)
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice"}}))
	dialUser(t, n, "alice")
	b.wait("State.StateChange", stateOf("alice", "Login"))

	// Without the extra CA chatd cannot verify the server: nothing arrives,
	// and the log says why.
	n2 := startTestApp(t, "", tlsArgs[:6]...)
	mustOK(t, n2.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"bob"}}))
	dialUser(t, n2, "bob")
	b.none("State.StateChange", stateOf("bob", "Login"))
	waitFor(t, 10*time.Second, "the failed delivery in the log", func() bool {
		d, _ := n2.deliveries(t, 0)["Deliveries"].([]any)
		return len(d) > 0 && strings.Contains(fmt.Sprint(d[0].(map[string]any)["Error"]), "certificate")
	})
}

// TestWebhooksTail: `chatd webhooks tail` prints each delivery as it
// happens, with its request and the app's answer.
func TestWebhooksTail(t *testing.T) {
	b := newBackend(t, "", nil).start()
	n := startTestApp(t, "", "--callback-url", b.url())
	cmd := exec.Command(uncachedBinary(), "webhooks", "tail", "--server", n.BaseURL, "--sdkappid", fmt.Sprint(testAppID), "--secret-key", testKey)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	expect := func(want string) {
		t.Helper()
		timeout := time.After(15 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("tail ended before printing %q", want)
				}
				if strings.Contains(l, want) {
					return
				}
			case <-timeout:
				t.Fatalf("tail did not print %q", want)
			}
		}
	}
	expect("following the callbacks")
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"alice"}}))
	dialUser(t, n, "alice")
	expect("State.StateChange -> ok HTTP 200")
	expect(`"To_Account":"alice"`)
}

// TestAlertRequestOverLimit: a REST API called past 80% of its limit in a
// second is reported, with its rate and limit, whatever callbacks are
// switched on.
func TestAlertRequestOverLimit(t *testing.T) {
	b := newBackend(t, "", nil).start()
	n := startTestApp(t, "", "--callback-url", b.url(), "--callbacks", "C2C.CallbackAfterSendMsg", "--rate-limit", "5")
	// Calls come far faster than 5 a second; the first call of a second
	// judges the one before.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		n.rest("v4/im_open_login_svc/account_check", map[string]any{"CheckItem": []any{map[string]any{"UserID": "x"}}})
		b.mu.Lock()
		got := len(b.got)
		b.mu.Unlock()
		if got > 0 {
			break
		}
	}
	c := b.wait("Alert.RequestOverLimit", nil)
	checkFields(t, c)
	checkOrigin(t, c, "RESTAPI")
	if c.Query.Has("ClientIP") || c.str("ServiceName") != "im_open_login_svc" || c.str("Command") != "account_check" || c.str("Limit") != "5" {
		t.Fatalf("alert %s %v", c.Raw, c.Query)
	}
	b.none("State.StateChange", nil) // switched off
}
