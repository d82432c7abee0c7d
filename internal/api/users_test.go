package api_test

import (
	"log/slog"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/chatd/chatd/internal/account"
	"github.com/chatd/chatd/internal/api"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/profile"
	"github.com/chatd/chatd/internal/relation"
	"github.com/chatd/chatd/internal/stream"
	"github.com/chatd/chatd/internal/usersig"
)

// Paths of the users and relationships commands.
const (
	pathPortraitSet    = "/v4/profile/portrait_set"
	pathPortraitGet    = "/v4/profile/portrait_get"
	pathFriendAdd      = "/v4/sns/friend_add"
	pathFriendImport   = "/v4/sns/friend_import"
	pathFriendUpdate   = "/v4/sns/friend_update"
	pathFriendDelete   = "/v4/sns/friend_delete"
	pathFriendDelAll   = "/v4/sns/friend_delete_all"
	pathFriendCheck    = "/v4/sns/friend_check"
	pathFriendGet      = "/v4/sns/friend_get"
	pathFriendGetList  = "/v4/sns/friend_get_list"
	pathListAdd        = "/v4/sns/group_add"
	pathListDelete     = "/v4/sns/group_delete"
	pathListGet        = "/v4/sns/group_get"
	pathBlockAdd       = "/v4/sns/black_list_add"
	pathBlockDelete    = "/v4/sns/black_list_delete"
	pathBlockGet       = "/v4/sns/black_list_get"
	pathBlockCheck     = "/v4/sns/black_list_check"
	pathSetNoSpeaking  = "/v4/openconfigsvr/setnospeaking"
	pathGetNoSpeaking  = "/v4/openconfigsvr/getnospeaking"
	tagAllowType       = "Tag_Profile_IM_AllowType"
	tagAdminForbidType = "Tag_Profile_IM_AdminForbidType"
)

// usersServer is a test server with the profile and relationship commands
// served, their events going to rec; the services are there for what no
// REST command does (answering friend requests, the send checks).
type usersServer struct {
	*testServer
	rec       *pushRecorder
	profiles  *profile.Service
	relations *relation.Service
}

// withCustomFields declares custom profile fields Hobby (everyone),
// Secret (the admin only), Pin (users read and write, the admin neither)
// and the custom friend fields Since and Note.
func withCustomFields() option {
	return withApp(func(a *config.App) {
		a.CustomProfileFields = []config.ProfileField{
			{Key: "Hobby", Kind: "string"},
			{Key: "Secret", Kind: "bytes", Read: []string{"admin"}, Write: []string{"admin"}},
			{Key: "Pin", Kind: "string", Read: []string{"user"}, Write: []string{"user"}},
		}
		a.CustomFriendFields = []string{"Since", "Note"}
	})
}

// newUsersServer is newTestServer with the users and relationships
// commands served over the same store and clock.
func newUsersServer(t *testing.T, opts ...option) *usersServer {
	t.Helper()
	ts := *newTestServer(t, append([]option{withCustomFields()}, opts...)...)
	groups := group.NewService(ts.db, ts.db, nil)
	rec := &pushRecorder{}
	streams := stream.New(t.Context(), stream.Deps{Store: ts.db, Deliver: rec, Now: ts.clock.Now, Groups: groups.Get})
	profiles, err := profile.NewService(profile.Deps{Store: ts.db, Friends: ts.db, Streams: streams, Apps: ts.cfg.Apps, Now: ts.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	relations, err := relation.NewService(relation.Deps{Store: ts.db, Profiles: profiles, Streams: streams, Apps: ts.cfg.Apps, Now: ts.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.NewServer(api.Options{
		Config:   ts.cfg,
		Verifier: usersig.NewVerifier(config.DefaultSigCache, ts.clock.Now),
		Now:      ts.clock.Now,
		Logger:   slog.New(slog.NewTextHandler(t.Output(), nil)),
	}, api.Commands(api.Services{Accounts: account.NewService(ts.db), Groups: groups, Store: ts.db, Profiles: profiles, Relations: relations}))
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	ts.http = httptest.NewServer(api.Handler(srv, nil, func() bool { return true }))
	t.Cleanup(ts.http.Close)
	return &usersServer{testServer: &ts, rec: rec, profiles: profiles, relations: relations}
}

// set writes profile fields of a user.
func (us *usersServer) set(t *testing.T, user string, items ...map[string]any) {
	t.Helper()
	us.must(t, pathPortraitSet, jsonBody(t, map[string]any{"From_Account": user, "ProfileItem": items}), 0)
}

// item is a Tag/Value pair.
func item(tag string, value any) map[string]any { return map[string]any{"Tag": tag, "Value": value} }

// codes maps each To_Account of a per-target answer to its ResultCode.
func codes(t *testing.T, v any) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, it := range list(t, v) {
		out[it["To_Account"].(string)] = num(t, it["ResultCode"])
	}
	return out
}

// rels asks friend_check (both ways) about targets and returns each
// Relation without its CheckResult_Type_ prefix.
func (us *usersServer) rels(t *testing.T, from string, to ...string) map[string]string {
	t.Helper()
	env := us.must(t, pathFriendCheck, jsonBody(t, map[string]any{"From_Account": from, "To_Account": to, "CheckType": "CheckResult_Type_Both"}), 0)
	out := map[string]string{}
	for _, it := range list(t, env["InfoItem"]) {
		out[it["To_Account"].(string)] = it["Relation"].(string)[len("CheckResult_Type_"):]
	}
	return out
}

// eventsOf returns the Types of the user events pushed since the last
// take, per user.
func eventsOf(pushes []pushed) map[string][]string {
	out := map[string][]string{}
	for _, p := range pushes {
		if p.kind == "user" && p.push.Seq != 0 {
			out[p.to] = append(out[p.to], p.event["Type"].(string))
		}
	}
	return out
}

// sorted returns s sorted.
func sorted(s []string) []string { return slices.Sorted(slices.Values(s)) }

// codeOf is the wire code of a service error, 0 for none.
func codeOf(err error) int { return im.CodeOf(err) }
