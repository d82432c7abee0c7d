// Package e2e drives the built chatd binary over HTTP and WebSocket, the
// way an app backend and its end users do.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/store/pgtest"
	"github.com/chatd/chatd/internal/testcache"
	"github.com/chatd/chatd/internal/usersig"
)

// binary is the chatd executable built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chatd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "chatd")
	build := exec.Command("go", "build", "-o", binary, "../cmd/chatd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build chatd:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// Test app credentials passed on the command line.
const (
	testAppID = 1400012345
	testKey   = "d1f0c2b3a4e5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f809"
	testAdmin = "administrator"
)

// node is one running chatd process.
type node struct {
	t       testing.TB
	cmd     *exec.Cmd
	BaseURL string
	Data    string
	out     *lockedBuffer
	exited  chan error
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listeningRE = regexp.MustCompile(`chatd is listening on (http://\S+)`)

// startNode runs chatd with extra args on a free port and waits for
// /healthz. dataDir "" means a fresh temp dir.
func startNode(t testing.TB, dataDir string, args ...string) *node {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	full := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir}, args...)
	cmd := exec.Command(uncachedBinary(), full...)
	cmd.Env = append(os.Environ(), "CHATD_CONFIG=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, cmd: cmd, Data: dataDir, out: &lockedBuffer{}, exited: make(chan error, 1)}
	cmd.Stderr = n.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			_, _ = n.out.Write([]byte(line + "\n"))
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				urls <- m[1]
			}
		}
	}()
	go func() { n.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-n.exited
		}
	})
	select {
	case n.BaseURL = <-urls:
	case err := <-n.exited:
		t.Fatalf("chatd exited before listening: %v\n%s", err, n.out.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("chatd did not start:\n%s", n.out.String())
	}
	waitFor(t, 10*time.Second, "healthz", func() bool {
		resp, err := http.Get(n.BaseURL + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return n
}

// startTestApp starts a node hosting the fixed test app.
func startTestApp(t testing.TB, dataDir string, args ...string) *node {
	t.Helper()
	return startNode(t, dataDir, append([]string{"--sdkappid", fmt.Sprint(testAppID), "--secret-key", testKey}, args...)...)
}

// stop sends SIGTERM and returns the exit error (nil for exit 0).
func (n *node) stop() error {
	n.t.Helper()
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-n.exited:
		return err
	case <-time.After(20 * time.Second):
		_ = n.cmd.Process.Kill()
		return fmt.Errorf("chatd ignored SIGTERM:\n%s", n.out.String())
	}
}

// kill sends SIGKILL, as a crash would.
func (n *node) kill() {
	_ = n.cmd.Process.Kill()
	<-n.exited
}

// adminSig is a fresh admin UserSig for the test app.
func adminSig() string {
	return usersig.Generate(testKey, testAppID, testAdmin, 86400, time.Now())
}

// userSig is a UserSig for an end user of the test app.
func userSig(userID string) string {
	return usersig.Generate(testKey, testAppID, userID, 86400, time.Now())
}

// rest calls a REST command as the admin and decodes the envelope. The
// HTTP status must be 200 whatever the outcome.
func (n *node) rest(path string, body any) map[string]any {
	n.t.Helper()
	return n.restAs(testAppID, testAdmin, adminSig(), path, body)
}

func (n *node) restAs(appID uint64, identifier, sig, path string, body any) map[string]any {
	n.t.Helper()
	out, err := n.tryRestAs(appID, identifier, sig, path, body)
	if err != nil {
		n.t.Fatal(err)
	}
	return out
}

// tryRestAs is restAs returning what went wrong instead of failing the
// test: a reply that is not HTTP 200 with a JSON envelope is an error.
func (n *node) tryRestAs(appID uint64, identifier, sig, path string, body any) (map[string]any, error) {
	var raw []byte
	switch b := body.(type) {
	case string:
		raw = []byte(b)
	default:
		raw, _ = json.Marshal(b)
	}
	url := fmt.Sprintf("%s/%s?sdkappid=%d&identifier=%s&usersig=%s&random=7&contenttype=json", n.BaseURL, strings.TrimPrefix(path, "/"), appID, identifier, sig)
	resp, err := http.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		var ue *neturl.Error // its text repeats the URL, sig and all
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s: HTTP %d: %s", path, resp.StatusCode, data)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("POST %s: reply is not JSON: %s", path, data)
	}
	return out, nil
}

// readyz returns the status /readyz answers (0 when it does not answer).
func (n *node) readyz() int {
	resp, err := http.Get(n.BaseURL + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// mustOK fails the test unless the envelope says OK.
func mustOK(t testing.TB, reply map[string]any) map[string]any {
	t.Helper()
	if reply["ActionStatus"] != "OK" || reply["ErrorCode"] != float64(0) {
		t.Fatalf("want OK, got %v", reply)
	}
	return reply
}

// wantCode fails the test unless the envelope carries code.
func wantCode(t testing.TB, reply map[string]any, code int) {
	t.Helper()
	if reply["ErrorCode"] != float64(code) {
		t.Fatalf("want ErrorCode %d, got %v", code, reply)
	}
	if code != 0 && reply["ActionStatus"] != "FAIL" {
		t.Fatalf("want ActionStatus FAIL, got %v", reply)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// postRaw posts body to a full URL and decodes the envelope.
func postRaw(t testing.TB, url, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// uncachedBinary returns the chatd build, having recorded the source it
// was built from as an input of the test (see internal/testcache).
func uncachedBinary() string {
	sourcesOnce.Do(func() { testcache.DependOnServerSource("..") })
	return binary
}

var sourcesOnce sync.Once

// runBinary runs a chatd subcommand to completion and returns its stdout.
func runBinary(args ...string) (string, error) {
	var stdout bytes.Buffer
	cmd := exec.Command(uncachedBinary(), args...)
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	err := cmd.Run()
	return stdout.String(), err
}

// storeEngines runs f once per storage engine: the embedded SQLite file
// (no extra flags) and PostgreSQL in a fresh database of its own.
func storeEngines(t *testing.T, f func(t *testing.T, storeArgs []string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, nil) })
	t.Run("postgres", func(t *testing.T) { f(t, []string{"--store", pgtest.NewDatabase(t)}) })
}
