package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// callback is one request an app backend received from chatd.
type callback struct {
	Command string
	Query   url.Values
	Header  http.Header
	Body    map[string]any
	Raw     string
}

// backend is a real HTTP server playing the app's callback server: it
// records every callback and answers the before ones with decide (allow
// when it returns "").
type backend struct {
	t      *testing.T
	srv    *httptest.Server
	token  string
	decide func(c callback) string

	mu      sync.Mutex
	got     []callback
	arrived chan struct{}
}

// newBackend starts a backend expecting requests signed with token ("" for
// none).
func newBackend(t *testing.T, token string, decide func(c callback) string) *backend {
	t.Helper()
	b := &backend{t: t, token: token, decide: decide, arrived: make(chan struct{}, 1)}
	b.srv = httptest.NewUnstartedServer(http.HandlerFunc(b.serve))
	return b
}

func (b *backend) start() *backend {
	b.srv.Start()
	b.t.Cleanup(b.srv.Close)
	return b
}

// url is the callback URL to give chatd.
func (b *backend) url() string { return b.srv.URL + "/imcb" }

func (b *backend) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	c := callback{Command: r.URL.Query().Get("CallbackCommand"), Query: r.URL.Query(), Header: r.Header.Clone(), Raw: string(raw)}
	if err := json.Unmarshal(raw, &c.Body); err != nil || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		b.t.Errorf("callback %s: %s %s, Content-Type %q: %s", c.Command, r.Method, r.URL, r.Header.Get("Content-Type"), raw)
	}
	if b.token != "" && c.Query.Get("Sign") != sign(b.token, c.Query.Get("RequestTime")) {
		b.t.Errorf("callback %s: Sign %q does not verify", c.Command, c.Query.Get("Sign"))
	}
	answer := ""
	if b.decide != nil {
		answer = b.decide(c)
	}
	if answer == "" {
		answer = `{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}`
	}
	b.mu.Lock()
	b.got = append(b.got, c)
	b.mu.Unlock()
	select {
	case b.arrived <- struct{}{}:
	default:
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, answer)
}

func sign(token, at string) string {
	sum := sha256.Sum256([]byte(token + at))
	return hex.EncodeToString(sum[:])
}

// wait returns (and forgets) the first recorded callback of the command
// that match accepts, waiting for it up to 10 s.
func (b *backend) wait(command string, match func(c callback) bool) callback {
	b.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		b.mu.Lock()
		for i, c := range b.got {
			if c.Command == command && (match == nil || match(c)) {
				b.got = slices.Delete(b.got, i, i+1)
				b.mu.Unlock()
				return c
			}
		}
		b.mu.Unlock()
		select {
		case <-b.arrived:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			b.mu.Lock()
			defer b.mu.Unlock()
			var seen []string
			for _, c := range b.got {
				seen = append(seen, c.Command+" "+c.Raw)
			}
			b.t.Fatalf("no %s callback within 10 s; unclaimed:\n%s", command, strings.Join(seen, "\n"))
		}
	}
}

// none checks that no callback of the command that match accepts arrived
// (after giving the queue a moment: after callbacks are asynchronous).
func (b *backend) none(command string, match func(c callback) bool) {
	b.t.Helper()
	time.Sleep(300 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.got {
		if c.Command == command && (match == nil || match(c)) {
			b.t.Fatalf("unexpected %s callback: %s", command, c.Raw)
		}
	}
}

// field reads a body field by dotted path ("Info.Action"); array elements
// by index ("PairList.0.To_Account").
func (c callback) field(path string) any {
	var v any = c.Body
	for _, p := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// str is a body field as text (numbers without a fraction).
func (c callback) str(path string) string {
	switch v := c.field(path).(type) {
	case nil:
		return ""
	case float64:
		return fmt.Sprint(int64(v))
	default:
		return fmt.Sprint(v)
	}
}

// text is the first element's Text of the body's MsgBody.
func (c callback) text() string { return c.str("MsgBody.0.MsgContent.Text") }

// The spec's field lists, one per callback, read from webhooks.md.
var (
	specOnce   sync.Once
	specTables map[string]map[string]string // command -> field -> meaning
)

// specDir holds the API reference (see internal/api's sweep test).
func specDir() string {
	if dir := os.Getenv("CHATD_SPEC_DIR"); dir != "" {
		return dir
	}
	return "../../../shared/spec"
}

var sectionRE = regexp.MustCompile("^CallbackCommand: `([A-Za-z0-9.]+)`")

func specFields(t *testing.T) map[string]map[string]string {
	t.Helper()
	specOnce.Do(func() {
		f, err := os.Open(filepath.Join(specDir(), "webhooks.md"))
		if err != nil {
			return
		}
		defer f.Close()
		specTables = map[string]map[string]string{}
		var cmd string
		inBody := false
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case sectionRE.MatchString(line):
				cmd, inBody = sectionRE.FindStringSubmatch(line)[1], false
			case line == "Body fields":
				inBody = cmd != ""
				specTables[cmd] = map[string]string{}
			case inBody && strings.HasPrefix(line, "|"):
				cols := strings.Split(line, "|")
				if len(cols) < 4 || strings.TrimSpace(cols[1]) == "field" || strings.HasPrefix(strings.TrimSpace(cols[1]), "---") {
					continue
				}
				specTables[cmd][strings.TrimSpace(cols[1])] = strings.TrimSpace(cols[3])
			case inBody:
				inBody = false
			}
		}
	})
	if specTables == nil {
		t.Skip("spec not found beside the repository: set CHATD_SPEC_DIR")
	}
	return specTables
}

// conditional marks the spec fields a body carries only sometimes.
var conditional = regexp.MustCompile(`(?i)\bonly\b|absent|omitted|not sent|when it changed|when the role changed`)

// notSent are fields of the spec chatd leaves out, with why
// (docs/webhooks.md).
var notSent = map[string]string{
	"Group.CallbackBeforeCreateGroup.CreateGroupNum": "the newest vendor docs dropped it",
}

// extraSent are fields chatd adds to a body (docs/webhooks.md).
var extraSent = map[string]bool{
	"Group.CallbackAfterTopicInfoChanged.TopicId":          true, // the spec suggests it
	"Group.CallbackAfterMemberFieldChanged.Member_Account": true, // the spec: send both names
}

// checkFields compares a callback's body with its section's field list:
// every field sent is listed, and every listed field is sent unless it is
// conditional (or its array is empty).
func checkFields(t *testing.T, c callback) {
	t.Helper()
	spec := specFields(t)[c.Command]
	if spec == nil {
		t.Fatalf("%s: no field list in the spec", c.Command)
	}
	sent := map[string]bool{}
	flatten("", c.Body, sent)
	var extra, missing []string
	for f := range sent {
		if _, ok := spec[f]; !ok && !extraSent[c.Command+"."+f] && !sharedItem(spec, f) {
			extra = append(extra, f)
		}
	}
	for f, meaning := range spec {
		parent, _, nested := strings.Cut(f, ".")
		if sent[f] || conditional.MatchString(meaning) || notSent[c.Command+"."+f] != "" || nested && !sent[parent] {
			continue
		}
		if nested && emptyArray(c.Body[parent]) {
			continue
		}
		missing = append(missing, f)
	}
	sort.Strings(extra)
	sort.Strings(missing)
	if len(extra) > 0 || len(missing) > 0 {
		t.Fatalf("%s: fields not in the spec %v, spec fields missing %v: %s", c.Command, extra, missing, c.Raw)
	}
	if c.Body["CallbackCommand"] != c.Command {
		t.Fatalf("%s: body's CallbackCommand %v", c.Command, c.Body["CallbackCommand"])
	}
	if _, ok := spec["EventTime"]; ok {
		if ms, ok := c.Body["EventTime"].(float64); !ok || ms < 1e12 {
			t.Fatalf("%s: EventTime %v is not a number of milliseconds", c.Command, c.Body["EventTime"])
		}
	}
}

// sharedItem reports whether f is a field of a shared structure the spec
// lists without its fields (MemberList's Member objects, Key/Value pairs).
func sharedItem(spec map[string]string, f string) bool {
	i := strings.LastIndex(f, ".")
	if i < 0 {
		return false
	}
	parent := f[:i]
	if _, ok := spec[parent]; !ok {
		return false
	}
	for k := range spec {
		if strings.HasPrefix(k, parent+".") {
			return false
		}
	}
	return true
}

func emptyArray(v any) bool {
	a, ok := v.([]any)
	return ok && len(a) == 0
}

// flatten lists the field paths of a body: "Info.Action", and for arrays
// of objects the fields of their elements ("PairList.From_Account").
func flatten(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			name := prefix + k
			out[name] = true
			// Message bodies and profile values are the REST format's,
			// not the callback's own fields.
			if k != "MsgBody" && k != "Value" {
				flatten(name+".", child, out)
			}
		}
	case []any:
		for _, e := range x {
			flatten(prefix, e, out)
		}
	}
}

// checkOrigin checks the query parameters that say where an event came
// from.
func checkOrigin(t *testing.T, c callback, platform string) {
	t.Helper()
	q := c.Query
	if q.Get("SdkAppid") != fmt.Sprint(testAppID) || q.Get("contenttype") != "json" || q.Get("OptPlatform") != platform {
		t.Fatalf("%s: query %v, want OptPlatform %s", c.Command, q, platform)
	}
	if c.Command != "Alert.RequestOverLimit" && q.Get("ClientIP") != "127.0.0.1" {
		t.Fatalf("%s: ClientIP %q", c.Command, q.Get("ClientIP"))
	}
}
