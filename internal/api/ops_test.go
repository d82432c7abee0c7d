package api_test

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/account"
	"github.com/chatd/chatd/internal/api"
	"github.com/chatd/chatd/internal/bot"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/ops"
	"github.com/chatd/chatd/internal/profile"
	"github.com/chatd/chatd/internal/push"
	"github.com/chatd/chatd/internal/stream"
	"github.com/chatd/chatd/internal/usersig"
)

// REST paths of operations, chatbots and push to all users.
const (
	pathAppInfo     = "/v4/openconfigsvr/getappinfo"
	pathHistory     = "/v4/open_msg_svc/get_history"
	pathIPList      = "/v4/ConfigSvc/GetIPList"
	pathRobots      = "/v4/openim_robot_http_svc/get_all_robots"
	pathCreateBot   = "/v4/openim_robot_http_svc/create_robot"
	pathDeleteBot   = "/v4/openim_robot_http_svc/delete_robot"
	pathPush        = "/v4/all_member_push/im_push"
	pathSetNames    = "/v4/all_member_push/im_set_attr_name"
	pathGetNames    = "/v4/all_member_push/im_get_attr_name"
	pathGetUserAttr = "/v4/all_member_push/im_get_attr"
	pathSetUserAttr = "/v4/all_member_push/im_set_attr"
	pathRemoveAttr  = "/v4/all_member_push/im_remove_attr"
	pathGetTag      = "/v4/all_member_push/im_get_tag"
	pathAddTag      = "/v4/all_member_push/im_add_tag"
	pathRemoveTag   = "/v4/all_member_push/im_remove_tag"
	pathRemoveAllTg = "/v4/all_member_push/im_remove_all_tags"
)

// opsServer serves the operations, chatbot and push commands (and the
// account and group ones, for fixtures) over one store and clock. Pushes
// reach a fake node.
type opsServer struct {
	*testServer
	node   *fakeNode
	pushes *push.Service
	ops    *ops.Service
}

// opsOption adjusts the operations service.
type opsOption func(*ops.Deps)

func withPartBytes(n int) opsOption { return func(d *ops.Deps) { d.ArchivePartBytes = n } }

func newOpsServer(t *testing.T, opts []option, opsOpts ...opsOption) *opsServer {
	t.Helper()
	ts := *newTestServer(t, opts...)
	groups := group.NewService(ts.db, ts.db, nil)
	streams := stream.New(t.Context(), stream.Deps{Store: ts.db, Deliver: &pushRecorder{}, Now: ts.clock.Now, Groups: groups.Get})
	profiles, err := profile.NewService(profile.Deps{Store: ts.db, Friends: ts.db, Streams: streams, Apps: ts.cfg.Apps, Now: ts.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	accounts := account.NewService(ts.db)
	node := &fakeNode{got: make(chan delivery, 16)}
	pushes := push.NewService(push.Deps{Store: ts.db, Local: node, Apps: ts.cfg.Apps, Now: ts.clock.Now})
	d := ops.Deps{Store: ts.db, Apps: ts.cfg.Apps, Addrs: []string{"10.0.0.7"}, BaseURL: "BASE", Now: ts.clock.Now}
	for _, o := range opsOpts {
		o(&d)
	}
	operations := ops.NewService(d)
	srv, err := api.NewServer(api.Options{
		Config:   ts.cfg,
		Verifier: usersig.NewVerifier(config.DefaultSigCache, ts.clock.Now),
		Archives: operations,
		Now:      ts.clock.Now,
		Logger:   slog.New(slog.NewTextHandler(t.Output(), nil)),
	}, api.Commands(api.Services{Accounts: accounts, Groups: groups, Store: ts.db, Profiles: profiles,
		Ops: operations, Bots: bot.NewService(ts.db, accounts, profiles), Push: pushes}))
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	ts.http = httptest.NewServer(api.Handler(srv, nil, func() bool { return true }))
	t.Cleanup(ts.http.Close)
	return &opsServer{testServer: &ts, node: node, pushes: pushes, ops: operations}
}

// fakeNode is this node's connections to the push service: the users
// online, and what was delivered to them.
type fakeNode struct {
	mu     sync.Mutex
	online []string
	got    chan delivery
}

type delivery struct {
	users []string
	event map[string]any
}

func (f *fakeNode) setOnline(users ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.online = users
}

func (f *fakeNode) LocalUsers(uint64) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.online...)
}

func (f *fakeNode) DeliverLocal(_ uint64, userIDs []string, p im.Push) {
	var ev map[string]any
	_ = json.Unmarshal(p.Event, &ev)
	f.got <- delivery{users: userIDs, event: ev}
}

// next waits for the next delivery; the fan-out runs after the call that
// made the push has returned.
func (f *fakeNode) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-f.got:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
		return delivery{}
	}
}

func TestAppInfo(t *testing.T) {
	ts := newOpsServer(t, nil)
	ctx := t.Context()
	now := testEpoch.Unix() // 2024-05-30 00:26:40 Beijing time
	ts.importAccounts(t, "alice", "bob")
	for i, at := range []int64{now - 60, now - 86400} { // today, and 20240529
		m := im.C2CMessage{AppID: testAppID, From: "alice", To: "bob", Seq: uint32(i + 1), Random: 1, Time: at, Body: json.RawMessage(`[]`)}
		if _, err := ts.db.CommitStream(ctx, []im.StreamWrite{{AppID: testAppID, Time: at, C2C: &im.C2CAppend{Msg: m, Keep: true}}}); err != nil {
			t.Fatal(err)
		}
	}
	env := ts.must(t, pathAppInfo, `{"RequestField":["C2CUpMsgNum","RegistUserNumTotal","NoSuchMetric"]}`, 0)
	rows := list(t, env["Result"])
	if len(rows) != ops.StatsDays {
		t.Fatalf("%d days, want %d", len(rows), ops.StatsDays)
	}
	for i, want := range []map[string]any{
		{"Date": "20240530", "C2CUpMsgNum": "1", "RegistUserNumTotal": "2"}, // alice and bob
		{"Date": "20240529", "C2CUpMsgNum": "1", "RegistUserNumTotal": "0"},
		{"Date": "20240528", "C2CUpMsgNum": "0", "RegistUserNumTotal": "0"},
	} {
		if !equalJSON(rows[i], want) {
			t.Errorf("day %d: %v, want %v", i, rows[i], want)
		}
	}
	if last := rows[len(rows)-1]["Date"]; last != "20240501" {
		t.Errorf("oldest day %v, want 20240501", last)
	}

	// Today is counted again on every call; finished days were kept.
	m := im.C2CMessage{AppID: testAppID, From: "bob", To: "alice", Seq: 9, Random: 1, Time: now, Body: json.RawMessage(`[]`)}
	if _, err := ts.db.CommitStream(ctx, []im.StreamWrite{{AppID: testAppID, Time: now, C2C: &im.C2CAppend{Msg: m, Keep: true}}}); err != nil {
		t.Fatal(err)
	}
	env = ts.must(t, pathAppInfo, `{}`, 0)
	today := list(t, env["Result"])[0]
	if len(today) != 32 { // every S10 name and Date
		t.Errorf("all metrics: %d fields: %v", len(today), today)
	}
	for k, v := range map[string]string{"AppId": "1400012345", "C2CUpMsgNum": "2", "C2CSendMsgUserNum": "2", "SendMsgUserNum": "2",
		"UpMsgNum": "2", "DownMsgNum": "2", "LoginTimes": "0", "GroupAllGroupNum": "0", "AppName": ""} {
		if today[k] != v {
			t.Errorf("%s = %v, want %q", k, today[k], v)
		}
	}
	ts.must(t, pathAppInfo, `{"RequestField":"C2CUpMsgNum"}`, im.CodeStatsBadRequest)
}

// equalJSON compares a decoded object with want.
func equalJSON(got map[string]any, want map[string]any) bool {
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	return bytes.Equal(a, b)
}

func TestGetHistory(t *testing.T) {
	ts := newOpsServer(t, nil)
	ctx := t.Context()
	ts.importAccounts(t, "alice", "bob")
	ts.createGroup(t, `{"Owner_Account":"alice","Type":"Public","GroupId":"g1","Name":"G"}`)
	// 2024-05-29 23:00-23:59 Beijing time ended 26 minutes before the clock.
	hour := time.Date(2024, 5, 29, 23, 0, 0, 0, im.VendorZone).Unix()
	for i, at := range []int64{hour + 5, hour + 3599, hour + 3600, hour - 1} {
		m := im.C2CMessage{AppID: testAppID, From: "alice", To: "bob", Seq: uint32(i + 1), Random: 7, Time: at,
			Body: json.RawMessage(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"<hi>"}}]`), CloudCustomData: "c"}
		if _, err := ts.db.CommitStream(ctx, []im.StreamWrite{{AppID: testAppID, Time: at, C2C: &im.C2CAppend{Msg: m, Keep: true}}}); err != nil {
			t.Fatal(err)
		}
	}
	gm := im.GroupMessage{AppID: testAppID, GroupID: "g1", From: "alice", Time: hour + 60, Random: 3, Priority: im.PriorityHigh,
		Body: json.RawMessage(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"g"}}]`)}
	if _, err := ts.db.CommitStream(ctx, []im.StreamWrite{{AppID: testAppID, Time: gm.Time, Group: &im.GroupAppend{Msg: gm, Keep: true}}}); err != nil {
		t.Fatal(err)
	}

	env := ts.must(t, pathHistory, `{"ChatType":"C2C","MsgTime":"2024052923"}`, 0)
	files := list(t, env["File"])
	if len(files) != 1 {
		t.Fatalf("files: %v", files)
	}
	f := files[0]
	sameKeys(t, "File", f, "URL", "ExpireTime", "FileSize", "FileMD5", "GzipSize", "GzipMD5")
	if f["ExpireTime"] != "2024-05-30 01:26:40" {
		t.Errorf("ExpireTime %v: an hour after the call, Beijing time", f["ExpireTime"])
	}
	url, _ := f["URL"].(string)
	path, ok := strings.CutPrefix(url, "BASE")
	if !ok || !strings.HasPrefix(path, ops.ArchivePath) || !strings.HasSuffix(path, ".gz") {
		t.Fatalf("URL %q", url)
	}
	gz, status := ts.download(t, path)
	if status != http.StatusOK {
		t.Fatalf("download: HTTP %d", status)
	}
	raw := gunzip(t, gz)
	if num(t, f["GzipSize"]) != int64(len(gz)) || f["GzipMD5"] != md5Hex(gz) || num(t, f["FileSize"]) != int64(len(raw)) || f["FileMD5"] != md5Hex(raw) {
		t.Errorf("sizes and MD5s do not match the file: %v", f)
	}
	want := `{"ChatType":"C2C","From_Account":"alice","To_Account":"bob","MsgSeq":1,"MsgRandom":7,"MsgTimeStamp":1716994805,"MsgFlagBits":0,"MsgKey":"1_7_1716994805","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"<hi>"}}],"CloudCustomData":"c"}
{"ChatType":"C2C","From_Account":"alice","To_Account":"bob","MsgSeq":2,"MsgRandom":7,"MsgTimeStamp":1716998399,"MsgFlagBits":0,"MsgKey":"2_7_1716998399","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"<hi>"}}],"CloudCustomData":"c"}
`
	if string(raw) != want {
		t.Errorf("archive:\n%s\nwant:\n%s", raw, want)
	}

	env = ts.must(t, pathHistory, `{"ChatType":"Group","MsgTime":"2024052923"}`, 0)
	gz, _ = ts.download(t, strings.TrimPrefix(list(t, env["File"])[0]["URL"].(string), "BASE"))
	if got := string(gunzip(t, gz)); got != `{"ChatType":"Group","GroupId":"g1","From_Account":"alice","MsgSeq":1,"MsgRandom":3,"MsgPriority":1,"MsgTimeStamp":1716994860,"IsPlaceMsg":0,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"g"}}],"CloudCustomData":""}`+"\n" {
		t.Errorf("group archive: %s", got)
	}

	// The archive is made once: a message added to the hour later is not
	// in it, and the same file is listed again.
	late := im.C2CMessage{AppID: testAppID, From: "bob", To: "alice", Seq: 9, Random: 1, Time: hour + 10, Body: json.RawMessage(`[]`)}
	if _, err := ts.db.CommitStream(ctx, []im.StreamWrite{{AppID: testAppID, Time: late.Time, C2C: &im.C2CAppend{Msg: late, Keep: true}}}); err != nil {
		t.Fatal(err)
	}
	again := list(t, ts.must(t, pathHistory, `{"ChatType":"C2C","MsgTime":"2024052923"}`, 0)["File"])[0]
	if again["FileMD5"] != f["FileMD5"] {
		t.Errorf("the archive changed: %v, was %v", again, f)
	}

	// Tokens: tampered or another app's are unknown; an expired URL is gone.
	bad := []byte(path)
	bad[len(ops.ArchivePath)+3] ^= 1
	if _, status := ts.download(t, string(bad)); status != http.StatusNotFound {
		t.Errorf("tampered token: HTTP %d", status)
	}
	if _, status := ts.download(t, ops.ArchivePath+"x.gz"); status != http.StatusNotFound {
		t.Errorf("malformed token: HTTP %d", status)
	}
	if resp, err := http.Post(ts.http.URL+path, "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST to a download: %v %v", resp.Status, err)
	}
	ts.clock.Advance(time.Hour + time.Second)
	if _, status := ts.download(t, path); status != http.StatusGone {
		t.Errorf("expired URL: HTTP %d", status)
	}

	for _, c := range []struct {
		body string
		code int
	}{
		{`{"ChatType":"c2c","MsgTime":"2024052923"}`, im.CodeOpsBadRequest},
		{`{"MsgTime":"2024052923"}`, im.CodeOpsBadRequest},
		{`{"ChatType":"C2C","MsgTime":"20240529"}`, im.CodeOpsBadRequest},
		{`{"ChatType":"C2C","MsgTime":"2024052924"}`, im.CodeOpsBadRequest},
		{`{"ChatType":"C2C","MsgTime":2024052923}`, im.CodeOpsBadRequest},
		{`{"ChatType":"C2C","MsgTime":"2024053001"}`, im.CodeArchiveNotReady}, // the hour is not over
		{`{"ChatType":"C2C","MsgTime":"2024052920"}`, im.CodeArchiveNotReady}, // no messages then
		{`{"ChatType":"C2C","MsgTime":"2024052300"}`, im.CodeArchiveExpired},  // over 7 days ago
	} {
		ts.must(t, pathHistory, c.body, c.code)
	}
}

func TestGetHistoryParts(t *testing.T) {
	ts := newOpsServer(t, nil, withPartBytes(600))
	ts.importAccounts(t, "alice", "bob")
	hour := time.Date(2024, 5, 29, 22, 0, 0, 0, im.VendorZone).Unix()
	for i := range 5 {
		m := im.C2CMessage{AppID: testAppID, From: "alice", To: "bob", Seq: uint32(i), Random: 1, Time: hour + int64(i),
			Body: json.RawMessage(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"` + strings.Repeat("x", 40) + `"}}]`)}
		if _, err := ts.db.CommitStream(t.Context(), []im.StreamWrite{{AppID: testAppID, Time: m.Time, C2C: &im.C2CAppend{Msg: m, Keep: true}}}); err != nil {
			t.Fatal(err)
		}
	}
	files := list(t, ts.must(t, pathHistory, `{"ChatType":"C2C","MsgTime":"2024052922"}`, 0)["File"])
	var all []byte
	for _, f := range files {
		gz, status := ts.download(t, strings.TrimPrefix(f["URL"].(string), "BASE"))
		if status != http.StatusOK {
			t.Fatalf("HTTP %d", status)
		}
		raw := gunzip(t, gz)
		if len(raw) > 600 || num(t, f["FileSize"]) != int64(len(raw)) {
			t.Errorf("part of %d bytes: %v", len(raw), f)
		}
		all = append(all, raw...)
	}
	// 278 bytes a line: two per file.
	if len(files) != 3 || bytes.Count(all, []byte("\n")) != 5 {
		t.Errorf("%d files holding %d messages, want 3 holding 5", len(files), bytes.Count(all, []byte("\n")))
	}
}

// download GETs an archive path from the server.
func (ts *opsServer) download(t *testing.T, path string) ([]byte, int) {
	t.Helper()
	resp, err := http.Get(ts.http.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, resp.StatusCode
}

func gunzip(t *testing.T, gz []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

func TestGetIPList(t *testing.T) {
	ts := newOpsServer(t, nil)
	if err := ts.ops.SeeAddrs(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Another node, and one silent for longer than three refreshes.
	if err := ts.db.SeeNodeAddrs(t.Context(), []string{"10.0.0.8"}, testEpoch.Unix()-60); err != nil {
		t.Fatal(err)
	}
	if err := ts.db.SeeNodeAddrs(t.Context(), []string{"10.0.0.9"}, testEpoch.Unix()-181); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"", "0", "5"} { // nettype is in the query; every category is the same nodes
		var opts []callOpt
		if q != "" {
			opts = append(opts, withQuery("nettype", q))
		}
		env := ts.must(t, pathIPList, `{}`, 0, opts...)
		if got := strs(t, env["IPList"]); strings.Join(got, ",") != "10.0.0.7,10.0.0.8" {
			t.Errorf("nettype %q: IPList %v", q, got)
		}
	}
}
