package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/account"
	"github.com/chatd/chatd/internal/api"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
	"github.com/chatd/chatd/internal/stream"
	"github.com/chatd/chatd/internal/usersig"
)

// REST paths of the group commands of issue 11.
const (
	pathModifyGroup     = "/v4/group_open_http_svc/modify_group_base_info"
	pathImportGroup     = "/v4/group_open_http_svc/import_group"
	pathAddMembers      = "/v4/group_open_http_svc/add_group_member"
	pathDeleteMembers   = "/v4/group_open_http_svc/delete_group_member"
	pathForbidSend      = "/v4/group_open_http_svc/forbid_send_msg"
	pathMuted           = "/v4/group_open_http_svc/get_group_muted_account"
	pathShutted         = "/v4/group_open_http_svc/get_group_shutted_uin"
	pathChangeOwner     = "/v4/group_open_http_svc/change_group_owner"
	pathRoles           = "/v4/group_open_http_svc/get_role_in_group"
	pathImportMembers   = "/v4/group_open_http_svc/import_group_member"
	pathMemberInfo      = "/v4/group_open_http_svc/get_group_member_info"
	pathSpecified       = "/v4/group_open_http_svc/get_specified_group_member_info"
	pathModifyMember    = "/v4/group_open_http_svc/modify_group_member_info"
	pathGetAttr         = "/v4/group_open_attr_http_svc/get_group_attr"
	pathModifyAttr      = "/v4/group_open_http_svc/modify_group_attr"
	pathClearAttr       = "/v4/group_open_http_svc/clear_group_attr"
	pathSetAttr         = "/v4/group_open_http_svc/set_group_attr"
	pathDeleteAttr      = "/v4/group_open_http_svc/delete_group_attr"
	pathGetCounter      = "/v4/group_open_http_svc/get_group_counter"
	pathUpdateCounter   = "/v4/group_open_http_svc/update_group_counter"
	pathDeleteCounter   = "/v4/group_open_http_svc/delete_group_counter"
	pathCreateTopic     = "/v4/million_group_open_http_svc/create_topic"
	pathDestroyTopic    = "/v4/million_group_open_http_svc/destroy_topic"
	pathGetTopic        = "/v4/million_group_open_http_svc/get_topic"
	pathModifyTopic     = "/v4/million_group_open_http_svc/modify_topic"
	pathImportTopic     = "/v4/group_open_http_svc/import_topic"
	pathCommunityOnline = "/v4/million_group_open_http_svc/get_online_member_num"
)

// delivered is one call the group service made on its Notifier.
type delivered struct {
	kind  string // GroupEvent, MembersJoined, MembersLeft, GroupDismissed, UsersEvent
	group string
	users []string
	event map[string]any // nil for a silent membership change
}

// eventRecorder is the group service's Notifier in tests: it keeps every
// delivery, its event as the JSON a client would get.
type eventRecorder struct {
	mu  sync.Mutex
	got []delivered
}

func (r *eventRecorder) record(kind, groupID string, users []string, ev any) error {
	d := delivered{kind: kind, group: groupID, users: users}
	if ev != nil {
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &d.event); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, d)
	return nil
}

func (r *eventRecorder) GroupEvent(_ context.Context, _ uint64, groupID string, ev any) error {
	return r.record("GroupEvent", groupID, nil, ev)
}

func (r *eventRecorder) MembersJoined(_ context.Context, _ uint64, groupID string, userIDs []string, ev any) error {
	return r.record("MembersJoined", groupID, userIDs, ev)
}

func (r *eventRecorder) MembersLeft(_ context.Context, _ uint64, groupID string, userIDs []string, ev any) error {
	return r.record("MembersLeft", groupID, userIDs, ev)
}

func (r *eventRecorder) GroupDismissed(_ context.Context, _ uint64, groupID string, _ im.GroupType, ev any) error {
	return r.record("GroupDismissed", groupID, nil, ev)
}

func (r *eventRecorder) UsersEvent(_ context.Context, _ uint64, userIDs []string, ev any) error {
	return r.record("UsersEvent", "", userIDs, ev)
}

// take returns the deliveries made since the last take.
func (r *eventRecorder) take() []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.got
	r.got = nil
	return out
}

// takeOne returns the only delivery since the last take, failing unless
// there was exactly one of the given kind and event Type ("" for none).
func (r *eventRecorder) takeOne(t *testing.T, kind, eventType string) delivered {
	t.Helper()
	got := r.take()
	if len(got) != 1 {
		t.Fatalf("deliveries %+v, want one %s", got, kind)
	}
	d := got[0]
	typ, _ := d.event["Type"].(string)
	if d.kind != kind || typ != eventType {
		t.Fatalf("delivery %s of %q, want %s of %q (%+v)", d.kind, typ, kind, eventType, d)
	}
	return d
}

// fakeRooms are live rooms with set counts, and the online counter of
// stored-member groups.
type fakeRooms struct {
	mu     sync.Mutex
	counts map[string]int
}

func (f *fakeRooms) set(groupID string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts[groupID] = n
}

func (f *fakeRooms) Count(_ uint64, groupID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[groupID]
}

func (f *fakeRooms) GroupOnlineCount(appID uint64, groupID string) int {
	return f.Count(appID, groupID)
}

func (f *fakeRooms) Members(uint64, string, int, int64, int) ([]group.OnlineMember, int64) {
	return nil, 0
}
func (f *fakeRooms) SetMarks(uint64, string, string, []int, bool) bool { return false }
func (f *fakeRooms) MarkCounts(uint64, string) map[int]int             { return map[int]int{} }
func (f *fakeRooms) DropFromRoom(context.Context, uint64, string, string) error {
	return nil
}
func (f *fakeRooms) DropRoom(context.Context, uint64, string) error { return nil }

// groupServer is a test server whose group service delivers to a recorder
// and sees fake live rooms and online counts; message sends are served too.
type groupServer struct {
	*testServer
	events *eventRecorder
	rooms  *fakeRooms
}

func newGroupServer(t *testing.T, opts ...option) *groupServer {
	t.Helper()
	base := *newTestServer(t, opts...)
	gs := &groupServer{testServer: &base, events: &eventRecorder{}, rooms: &fakeRooms{counts: map[string]int{}}}
	groups := group.NewService(base.db, base.db, gs.rooms)
	groups.SetDelivery(group.Delivery{Notifier: gs.events, Online: gs.rooms, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	srv, err := api.NewServer(api.Options{
		Config:   base.cfg,
		Verifier: usersig.NewVerifier(config.DefaultSigCache, base.clock.Now),
		Now:      base.clock.Now,
		Logger:   slog.New(slog.NewTextHandler(t.Output(), nil)),
	}, api.Commands(api.Services{
		Accounts: account.NewService(base.db),
		Groups:   groups,
		Messages: message.NewService(message.Deps{Store: base.db, Groups: groups,
			Streams: stream.New(t.Context(), stream.Deps{Store: base.db, Deliver: &pushRecorder{}, Groups: groups.Get, Now: base.clock.Now})}),
		Store: base.db,
	}))
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	base.http = httptest.NewServer(api.Handler(srv, nil, func() bool { return true }))
	t.Cleanup(base.http.Close)
	return gs
}

// codeCase is one request and the ErrorCode it must get.
type codeCase struct {
	name, body string
	want       int
}

// runCodes makes each call of cases on path and checks its code.
func (ts *testServer) runCodes(t *testing.T, path string, cases []codeCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) { ts.must(t, path, tt.body, tt.want) })
	}
}

// member returns one entry of get_specified_group_member_info, unfiltered.
func (ts *testServer) member(t *testing.T, groupID, userID string) map[string]any {
	t.Helper()
	env := ts.must(t, pathSpecified, jsonBody(t, map[string]any{"GroupId": groupID, "Member_List_Account": []string{userID}}), 0)
	ms := list(t, env["MemberList"])
	if len(ms) != 1 {
		t.Fatalf("%s in %s: %d entries, want 1", userID, groupID, len(ms))
	}
	return ms[0]
}

// roles returns each user's role in a group by get_role_in_group.
func (ts *testServer) roles(t *testing.T, groupID string, userIDs ...string) []string {
	t.Helper()
	env := ts.must(t, pathRoles, jsonBody(t, map[string]any{"GroupId": groupID, "User_Account": userIDs}), 0)
	var out []string
	for _, e := range list(t, env["UserIdList"]) {
		out = append(out, e["Role"].(string))
	}
	return out
}

// wantEqual fails unless got and want are deeply equal.
func wantEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}
