package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/account"
	"github.com/chatd/chatd/internal/api"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/stream"
	"github.com/chatd/chatd/internal/usersig"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The hosted app every test server starts with.
const (
	testAppID   = 1400012345
	testKey     = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
	testAdmin   = "administrator"
	sigLifetime = 180 * 24 * 3600 // seconds; outlives every clock jump in the tests
)

// testEpoch is the injected clock's start, so stored times are exact.
var testEpoch = time.Unix(1717000000, 0)

// REST paths under test.
const (
	pathImport      = "/v4/im_open_login_svc/account_import"
	pathMultiImport = "/v4/im_open_login_svc/multiaccount_import"
	pathDelete      = "/v4/im_open_login_svc/account_delete"
	pathCheck       = "/v4/im_open_login_svc/account_check"
	pathAppGroups   = "/v4/group_open_http_svc/get_appid_group_list"
	pathCreateGroup = "/v4/group_open_http_svc/create_group"
	pathDestroy     = "/v4/group_open_http_svc/destroy_group"
	pathJoined      = "/v4/group_open_http_svc/get_joined_group_list"
	pathGroupInfo   = "/v4/group_open_http_svc/get_group_info"
	pathOnlineNum   = "/v4/group_open_http_svc/get_online_member_num"
	pathGetMembers  = "/v4/group_open_avchatroom_http_svc/get_members"
	pathBan         = "/v4/group_open_http_svc/ban_group_member"
	pathUnban       = "/v4/group_open_http_svc/unban_group_member"
	pathBanList     = "/v4/group_open_http_svc/get_group_ban_member"
)

var requestIDPattern = regexp.MustCompile(`^Id-[0-9a-f]{32}-O-Seq-[0-9]+$`)

// clock is the injected time source of a test server: it stands still
// unless a test advances it, so rate-limit windows and expiries are exact.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testServer is a real api.Server over a SQLite file behind an HTTP server.
type testServer struct {
	clock *clock
	db    *store.DB
	http  *httptest.Server
	cfg   config.Config
	sig   string // the admin's UserSig for testAppID
}

// option adjusts the configuration a test server starts with.
type option func(*config.Config)

// withApp edits the first (default) app.
func withApp(f func(*config.App)) option {
	return func(c *config.Config) { f(&c.Apps[0]) }
}

func withRateLimit(n int) option { return func(c *config.Config) { c.RateLimit = n } }

func withMaxBody(n int64) option { return func(c *config.Config) { c.MaxBodyBytes = n } }

// newTestServer starts a server with the documented defaults (per-API spec
// rates, 1 MiB bodies) on a fresh database in t.TempDir().
func newTestServer(t *testing.T, opts ...option) *testServer {
	t.Helper()
	return startServer(t, newStoreLocation(t), &clock{t: testEpoch}, opts...)
}

// startServer opens the store at location (see newStoreLocation) and serves
// it; the restart test calls it twice on one store. Cleanup closes both
// unless close ran first.
func startServer(t *testing.T, location string, clk *clock, opts ...option) *testServer {
	t.Helper()
	cfg := config.Default()
	cfg.Apps = []config.App{{SDKAppID: testAppID, SecretKey: testKey, Admins: []string{testAdmin}}}
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	db, err := openStore(location)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	accounts := account.NewService(db)
	srv, err := api.NewServer(api.Options{
		Config:      cfg,
		Verifier:    usersig.NewVerifier(config.DefaultSigCache, clk.Now),
		Revocations: accounts,
		Now:         clk.Now,
		Logger:      slog.New(slog.NewTextHandler(t.Output(), nil)),
	}, api.Commands(api.Services{
		Accounts: accounts,
		Groups:   group.NewService(db, db, nil),
		Store:    db,
	}))
	if err != nil {
		db.Close()
		t.Fatalf("new server: %v", err)
	}
	ts := &testServer{
		clock: clk,
		db:    db,
		http:  httptest.NewServer(api.Handler(srv, nil, func() bool { return true })),
		cfg:   cfg,
		sig:   usersig.Generate(testKey, testAppID, testAdmin, sigLifetime, clk.Now()),
	}
	t.Cleanup(ts.close)
	return ts
}

// close stops the HTTP server and closes the store; it may run twice.
func (ts *testServer) close() {
	if ts.db == nil {
		return
	}
	ts.http.Close()
	ts.db.Close()
	ts.db = nil
}

// callOpt changes how one request is made.
type callOpt func(*callReq)

type callReq struct {
	method   string
	query    url.Values
	rawQuery *string
	header   http.Header
}

// withQuery sets a query parameter of the admin's default query.
func withQuery(key, value string) callOpt { return func(r *callReq) { r.query.Set(key, value) } }

// withoutQuery drops a query parameter.
func withoutQuery(key string) callOpt { return func(r *callReq) { r.query.Del(key) } }

// withRawQuery replaces the whole query string, unencoded.
func withRawQuery(q string) callOpt { return func(r *callReq) { r.rawQuery = &q } }

func withMethod(m string) callOpt { return func(r *callReq) { r.method = m } }

func withHeader(key, value string) callOpt { return func(r *callReq) { r.header.Set(key, value) } }

// asUser signs the call as identifier with a valid UserSig of this app.
func asUser(identifier string) callOpt {
	return func(r *callReq) {
		r.query.Set("identifier", identifier)
		r.query.Set("usersig", usersig.Generate(testKey, testAppID, identifier, sigLifetime, testEpoch))
	}
}

// call makes one REST request as the admin and returns the decoded body
// (numbers as json.Number) and the HTTP status.
func (ts *testServer) call(t *testing.T, path, body string, opts ...callOpt) (map[string]any, int) {
	t.Helper()
	raw, status := ts.callRaw(t, path, body, opts...)
	var env map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&env); err != nil {
		t.Fatalf("%s: reply (HTTP %d) is not a JSON object: %v\n%s", path, status, err, raw)
	}
	return env, status
}

// callRaw makes one REST request as the admin and returns the reply's
// bytes and the HTTP status. Redirects are not followed: every reply must
// be the server's own.
func (ts *testServer) callRaw(t *testing.T, path, body string, opts ...callOpt) ([]byte, int) {
	t.Helper()
	r := &callReq{method: http.MethodPost, header: http.Header{}, query: url.Values{
		"sdkappid":    {strconv.Itoa(testAppID)},
		"identifier":  {testAdmin},
		"usersig":     {ts.sig},
		"random":      {"3141592653"},
		"contenttype": {"json"},
	}}
	for _, o := range opts {
		o(r)
	}
	q := r.query.Encode()
	if r.rawQuery != nil {
		q = *r.rawQuery
	}
	req, err := http.NewRequest(r.method, ts.http.URL+path+"?"+q, strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: new request: %v", path, err)
	}
	req.Header = r.header
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: read reply: %v", path, err)
	}
	return raw, resp.StatusCode
}

// must makes a call and checks the envelope against wantCode.
func (ts *testServer) must(t *testing.T, path, body string, wantCode int, opts ...callOpt) map[string]any {
	t.Helper()
	env, status := ts.call(t, path, body, opts...)
	checkEnvelope(t, path, env, status, wantCode)
	return env
}

// checkEnvelope asserts HTTP 200, the exact ErrorCode with its matching
// ActionStatus and ErrorInfo, and a well-formed RequestId.
func checkEnvelope(t *testing.T, path string, env map[string]any, status, wantCode int) {
	t.Helper()
	if status != http.StatusOK {
		t.Errorf("%s: HTTP status %d, want 200", path, status)
	}
	code := num(t, env["ErrorCode"])
	if code != int64(wantCode) {
		t.Fatalf("%s: ErrorCode %d, want %d (ErrorInfo %q)", path, code, wantCode, env["ErrorInfo"])
	}
	wantStatus := "OK"
	if wantCode != 0 {
		wantStatus = "FAIL"
	}
	if env["ActionStatus"] != wantStatus {
		t.Errorf("%s: ActionStatus %v, want %s", path, env["ActionStatus"], wantStatus)
	}
	info, ok := env["ErrorInfo"].(string)
	if !ok || (wantCode == 0) != (info == "") {
		t.Errorf("%s: ErrorInfo %#v with ErrorCode %d", path, env["ErrorInfo"], wantCode)
	}
	id, _ := env["RequestId"].(string)
	if !requestIDPattern.MatchString(id) {
		t.Errorf("%s: RequestId %#v does not match %s", path, env["RequestId"], requestIDPattern)
	}
}

// num reads a JSON number decoded with UseNumber.
func num(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%#v is not a JSON number", v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%s is not an integer", n)
	}
	return i
}

// list reads a JSON array of objects.
func list(t *testing.T, v any) []map[string]any {
	t.Helper()
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("%#v is not a JSON array", v)
	}
	out := make([]map[string]any, len(arr))
	for i, e := range arr {
		if out[i], ok = e.(map[string]any); !ok {
			t.Fatalf("element %d %#v is not an object", i, e)
		}
	}
	return out
}

// strs reads a JSON array of strings.
func strs(t *testing.T, v any) []string {
	t.Helper()
	arr, ok := v.([]any)
	if !ok {
		t.Fatalf("%#v is not a JSON array", v)
	}
	out := make([]string, len(arr))
	for i, e := range arr {
		if out[i], ok = e.(string); !ok {
			t.Fatalf("element %d %#v is not a string", i, e)
		}
	}
	return out
}

// keys returns the sorted member names of a JSON object.
func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// sameKeys fails unless obj has exactly the given member names.
func sameKeys(t *testing.T, what string, obj map[string]any, want ...string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	if got := keys(obj); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: keys %v, want %v", what, got, want)
	}
}

// jsonBody marshals v for a request body.
func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mustUnmarshal decodes a JSON text the test wrote itself.
func mustUnmarshal(t *testing.T, text string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(text), v); err != nil {
		t.Fatalf("%s: %v", text, err)
	}
}

// ids returns n distinct UserIDs with the given prefix.
func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// importAccounts imports UserIDs with the legacy batch form.
func (ts *testServer) importAccounts(t *testing.T, userIDs ...string) {
	t.Helper()
	env := ts.must(t, pathMultiImport, jsonBody(t, map[string]any{"Accounts": userIDs}), 0)
	if fail := strs(t, env["FailAccounts"]); len(fail) != 0 {
		t.Fatalf("import %v: FailAccounts %v", userIDs, fail)
	}
}

// createGroup creates a group from a JSON body and returns its ID.
func (ts *testServer) createGroup(t *testing.T, body string) string {
	t.Helper()
	env := ts.must(t, pathCreateGroup, body, 0)
	id, _ := env["GroupId"].(string)
	if id == "" {
		t.Fatalf("create_group %s: no GroupId in %v", body, env)
	}
	return id
}

// groupInfo returns the single GroupInfo entry for id, unfiltered.
func (ts *testServer) groupInfo(t *testing.T, id string) map[string]any {
	t.Helper()
	env := ts.must(t, pathGroupInfo, jsonBody(t, map[string]any{"GroupIdList": []string{id}}), 0)
	infos := list(t, env["GroupInfo"])
	if len(infos) != 1 {
		t.Fatalf("get_group_info %s: %d entries", id, len(infos))
	}
	return infos[0]
}

// golden compares v, minus RequestId, with testdata/name, rewriting the
// file with -update.
func golden(t *testing.T, name string, v map[string]any) {
	t.Helper()
	clone := make(map[string]any, len(v))
	for k, x := range v {
		if k != "RequestId" {
			clone[k] = x
		}
	}
	got, err := json.MarshalIndent(clone, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test -update to create it)", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("reply differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// pushed is one delivery the message service made, with its event
// decoded: to a live room, to a stored group's online members (only those
// in only, when set), or to one user.
type pushed struct {
	kind  string // "room", "group" or "user"
	to    string // group ID or UserID
	only  []string
	push  im.Push
	event map[string]any
	raw   json.RawMessage // the event's bytes
}

// pushRecorder is the streams' Deliverer in tests: it keeps every push.
type pushRecorder struct {
	mu     sync.Mutex
	pushes []pushed
}

func (p *pushRecorder) DeliverRoom(_ context.Context, _ uint64, groupID string, push im.Push) error {
	return p.record("room", groupID, nil, push)
}

func (p *pushRecorder) DeliverGroup(_ context.Context, _ uint64, groupID string, push im.Push, only []string) error {
	return p.record("group", groupID, only, push)
}

func (p *pushRecorder) DeliverUser(_ context.Context, _ uint64, userID string, push im.Push) error {
	return p.record("user", userID, nil, push)
}

func (p *pushRecorder) AttachMembers(context.Context, uint64, string, []string) error { return nil }
func (p *pushRecorder) DetachMembers(context.Context, uint64, string, []string) error { return nil }
func (p *pushRecorder) DropGroup(context.Context, uint64, string) error               { return nil }
func (p *pushRecorder) DropRoom(context.Context, uint64, string) error                { return nil }

func (p *pushRecorder) record(kind, to string, only []string, push im.Push) error {
	var ev map[string]any
	dec := json.NewDecoder(bytes.NewReader(push.Event))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pushes = append(p.pushes, pushed{kind: kind, to: to, only: only, push: push, event: ev, raw: push.Event})
	return nil
}

// take returns the pushes made since the last take.
func (p *pushRecorder) take() []pushed {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.pushes
	p.pushes = nil
	return out
}

// newMessageServer is newTestServer with the message commands served, their
// pushes going to the returned recorder. Its calls reach a second api.Server
// over the same store and clock.
func newMessageServer(t *testing.T, opts ...option) (*testServer, *pushRecorder) {
	t.Helper()
	ts, rec, _ := newMessageServerWith(t, nil, opts...)
	return ts, rec
}

// newMessageServerWith is newMessageServer with the message service's
// dependencies adjusted by deps (when not nil); it returns the service too.
func newMessageServerWith(t *testing.T, deps func(*message.Deps), opts ...option) (*testServer, *pushRecorder, *message.Service) {
	t.Helper()
	ts := *newTestServer(t, opts...)
	groups := group.NewService(ts.db, ts.db, nil)
	rec := &pushRecorder{}
	streams := stream.New(t.Context(), stream.Deps{Store: ts.db, Deliver: rec, Now: ts.clock.Now, Groups: groups.Get})
	d := message.Deps{Store: ts.db, Streams: streams, Groups: groups}
	if deps != nil {
		deps(&d)
	}
	messages := message.NewService(d)
	srv, err := api.NewServer(api.Options{
		Config:   ts.cfg,
		Verifier: usersig.NewVerifier(config.DefaultSigCache, ts.clock.Now),
		Now:      ts.clock.Now,
		Logger:   slog.New(slog.NewTextHandler(t.Output(), nil)),
	}, api.Commands(api.Services{
		Accounts:      account.NewService(ts.db),
		Groups:        groups,
		Messages:      messages,
		Store:         ts.db,
		Conversations: newConversations(ts.db, streams, groups, messages, ts.clock.Now),
	}))
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	ts.http = httptest.NewServer(api.Handler(srv, nil, func() bool { return true }))
	t.Cleanup(ts.http.Close)
	return &ts, rec, messages
}
