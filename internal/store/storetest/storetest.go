// Package storetest is the conformance suite every im.Store engine runs:
// the same table-driven tests, on SQLite and on PostgreSQL, pin down the
// behaviour the im interface comments promise, including which calls
// return im.ErrNotFound and im.ErrConflict.
package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// Two SDKAppIDs: every test that writes to app1 checks app2 is untouched.
const (
	app1 uint64 = 1400000001
	app2 uint64 = 1400000002
)

// Run runs the whole suite. open must return a fresh, empty store each time
// it is called and close it when t ends; subtests call it once each and run
// in parallel.
func Run(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("Accounts", func(t *testing.T) { RunAccounts(t, open) })
	t.Run("Groups", func(t *testing.T) { RunGroups(t, open) })
	t.Run("Bans", func(t *testing.T) { RunBans(t, open) })
	t.Run("LoginRevocations", func(t *testing.T) { RunLoginRevocations(t, open) })
	t.Run("Messages", func(t *testing.T) { RunMessages(t, open) })
	t.Run("Streams", func(t *testing.T) { RunStreams(t, open) })
	t.Run("Members", func(t *testing.T) { RunMembers(t, open) })
	t.Run("Mutes", func(t *testing.T) { RunMutes(t, open) })
	t.Run("Topics", func(t *testing.T) { RunTopics(t, open) })
	t.Run("GroupAttrs", func(t *testing.T) { RunGroupAttrs(t, open) })
	t.Run("Counters", func(t *testing.T) { RunCounters(t, open) })
	t.Run("C2C", func(t *testing.T) { RunC2C(t, open) })
	t.Run("MsgExts", func(t *testing.T) { RunMsgExts(t, open) })
	t.Run("GroupMessages", func(t *testing.T) { RunGroupMessages(t, open) })
	t.Run("Applications", func(t *testing.T) { RunApplications(t, open) })
	t.Run("Users", func(t *testing.T) { RunUsers(t, open) })
	t.Run("OpsPush", func(t *testing.T) { RunOpsPush(t, open) })
	t.Run("Outbox", func(t *testing.T) { RunOutbox(t, open) })
	t.Run("Conversations", func(t *testing.T) { RunConversations(t, open) })
}

// fresh marks a subtest parallel and gives it its own store.
func fresh(t *testing.T, open func(t *testing.T) im.Store) im.Store {
	t.Helper()
	t.Parallel()
	return open(t)
}

// wantErr fails unless err matches want; a nil want means no error.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error: %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// ok fails the test on a non-nil error.
func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// equal fails unless got and want are deeply equal.
func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// account builds an import item.
func account(app uint64, id, nick string, created int64, setProfile bool) im.AccountImport {
	return im.AccountImport{
		Account:    im.Account{AppID: app, UserID: id, Nick: nick, FaceURL: "https://img.example/" + id, CreatedAt: created},
		SetNick:    setProfile,
		SetFaceURL: setProfile,
	}
}

func mustImport(t *testing.T, s im.Store, items ...im.AccountImport) {
	t.Helper()
	ok(t, "import accounts", s.ImportAccounts(t.Context(), items))
}

// group builds a group with every field set, so round trips check them all.
func group(app uint64, id string, typ im.GroupType) *im.Group {
	return &im.Group{
		AppID:           app,
		ID:              id,
		Type:            typ,
		Name:            "name of " + id,
		Introduction:    "intro",
		Notification:    "notice",
		FaceURL:         "https://img.example/g/" + id,
		Owner:           "alice",
		CreateTime:      1700000000,
		InfoSeq:         3,
		LastInfoTime:    1700000100,
		LastMsgTime:     1700000200,
		NextMsgSeq:      42,
		MaxMemberNum:    2000,
		ApplyJoinOption: "NeedPermission",
		MuteAllMember:   true,
		SupportTopic:    typ == im.GroupCommunity,
		AppDefinedData:  []im.KV{{Key: "level", Value: "7"}, {Key: "tag", Value: "é\"{}"}},
	}
}

// member builds a membership with every field set.
func member(id, role string, joinTime int64) im.Member {
	return im.Member{
		UserID:               id,
		Role:                 role,
		JoinTime:             joinTime,
		MsgSeq:               5,
		MsgFlag:              "AcceptAndNotify",
		LastSendMsgTime:      joinTime + 10,
		MuteUntil:            joinTime + 60,
		NameCard:             "card of " + id,
		AppMemberDefinedData: []im.KV{{Key: "seat", Value: id}},
	}
}

func mustCreate(t *testing.T, s im.Store, g *im.Group, members ...im.Member) {
	t.Helper()
	ok(t, fmt.Sprintf("create group %s", g.ID), s.CreateGroup(t.Context(), g, members))
}

func mustGet(t *testing.T, s im.Store, app uint64, id string) *im.Group {
	t.Helper()
	g, err := s.GetGroup(t.Context(), app, id)
	ok(t, "get group "+id, err)
	return g
}

// userIDs lists the members' IDs in order.
func userIDs(ms []im.Member) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.UserID)
	}
	return out
}
