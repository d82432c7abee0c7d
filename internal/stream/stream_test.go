package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/store/sqlite/sqlitetest"
	"github.com/chatd/chatd/internal/stream"
)

const app uint64 = 1400000001

// delivery is one call the service made to its Deliverer.
type delivery struct {
	kind string // user, group, room, attach, detach, drop-group, drop-room
	to   string
	push im.Push
	ids  []string
}

// recorder is the streams' Deliverer: it keeps every call in order.
type recorder struct {
	mu    sync.Mutex
	calls []delivery
}

func (r *recorder) add(d delivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, d)
	return nil
}

func (r *recorder) take() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

func (r *recorder) DeliverUser(_ context.Context, _ uint64, u string, p im.Push) error {
	return r.add(delivery{kind: "user", to: u, push: p})
}
func (r *recorder) DeliverGroup(_ context.Context, _ uint64, g string, p im.Push, only []string) error {
	return r.add(delivery{kind: "group", to: g, push: p, ids: only})
}
func (r *recorder) DeliverRoom(_ context.Context, _ uint64, g string, p im.Push) error {
	return r.add(delivery{kind: "room", to: g, push: p})
}
func (r *recorder) AttachMembers(_ context.Context, _ uint64, g string, ids []string) error {
	return r.add(delivery{kind: "attach", to: g, ids: ids})
}
func (r *recorder) DetachMembers(_ context.Context, _ uint64, g string, ids []string) error {
	return r.add(delivery{kind: "detach", to: g, ids: ids})
}
func (r *recorder) DropGroup(_ context.Context, _ uint64, g string) error {
	return r.add(delivery{kind: "drop-group", to: g})
}
func (r *recorder) DropRoom(_ context.Context, _ uint64, g string) error {
	return r.add(delivery{kind: "drop-room", to: g})
}

// fixture is a stream service over a fresh SQLite store with accounts
// ann and bo, Public group "pub" of both and live group "live".
func fixture(t *testing.T) (*stream.Service, *recorder, *store.DB) {
	t.Helper()
	db := sqlitetest.Open(t)
	ctx := t.Context()
	for _, u := range []string{"ann", "bo"} {
		if err := db.ImportAccounts(ctx, []im.AccountImport{{Account: im.Account{AppID: app, UserID: u, CreatedAt: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	members := []im.Member{{UserID: "ann", Role: im.RoleOwner}, {UserID: "bo", Role: im.RoleMember}}
	if err := db.CreateGroup(ctx, &im.Group{AppID: app, ID: "pub", Type: im.GroupPublic, NextMsgSeq: 1}, members); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateGroup(ctx, &im.Group{AppID: app, ID: "live", Type: im.GroupAVChatRoom}, nil); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	s := stream.New(ctx, stream.Deps{Store: db, Deliver: rec, Groups: db.GetGroup, Now: func() time.Time { return time.Unix(1717000000, 0) }})
	return s, rec, db
}

func event(s string) map[string]string { return map[string]string{"Type": s} }

func kinds(calls []delivery) string {
	out := ""
	for _, c := range calls {
		out += fmt.Sprintf("%s:%s ", c.kind, c.to)
	}
	return out
}

// TestMembershipOrder: a join attaches the new members before the event
// and their notices go out; a leave pushes the group's event before the
// personal notices, then detaches; a live room's events are pushed to the
// room unstored; silent changes write no group event.
func TestMembershipOrder(t *testing.T) {
	s, rec, db := fixture(t)
	ctx := t.Context()
	if err := s.MembersJoined(ctx, app, "pub", []string{"bo"}, event("MemberJoined")); err != nil {
		t.Fatal(err)
	}
	if got := kinds(rec.take()); got != "attach:pub group:pub user:bo " {
		t.Fatalf("join: %s", got)
	}
	if err := s.MembersLeft(ctx, app, "pub", []string{"bo"}, event("MemberKicked")); err != nil {
		t.Fatal(err)
	}
	if got := kinds(rec.take()); got != "group:pub user:bo detach:pub " {
		t.Fatalf("leave: %s", got)
	}
	if err := s.MembersJoined(ctx, app, "pub", []string{"bo"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := kinds(rec.take()); got != "attach:pub user:bo " {
		t.Fatalf("silent join: %s", got)
	}
	if err := s.GroupEvent(ctx, app, "live", event("GroupInfoChanged")); err != nil {
		t.Fatal(err)
	}
	calls := rec.take()
	if got := kinds(calls); got != "room:live " || calls[0].push.EventSeq != 0 {
		t.Fatalf("live room event: %s %+v", got, calls)
	}
	events, err := db.ListGroupEvents(ctx, app, "pub", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("pub's stream holds %d events, want the join and the kick", len(events))
	}
	if err := s.GroupDismissed(ctx, app, "pub", im.GroupPublic, event("GroupDismissed")); err != nil {
		t.Fatal(err)
	}
	if got := kinds(rec.take()); got != "group:pub drop-group:pub " {
		t.Fatalf("dismissed: %s", got)
	}
}

// TestJoinedNoticeCarriesPositions: a new member's JoinedGroup notice
// says from where to follow the group: its heads when the user joined.
func TestJoinedNoticeCarriesPositions(t *testing.T) {
	s, rec, _ := fixture(t)
	ctx := t.Context()
	for range 3 {
		if err := s.GroupEvent(ctx, app, "pub", event("X")); err != nil {
			t.Fatal(err)
		}
	}
	rec.take()
	if err := s.MembersJoined(ctx, app, "pub", []string{"ann"}, event("MemberJoined")); err != nil {
		t.Fatal(err)
	}
	for _, c := range rec.take() {
		if c.kind != "user" {
			continue
		}
		var n struct {
			Type     string
			GroupId  string
			EventSeq int64
		}
		if err := json.Unmarshal(c.push.Event, &n); err != nil {
			t.Fatal(err)
		}
		if n.Type != stream.TypeJoinedGroup || n.GroupId != "pub" || n.EventSeq != 3 || c.push.Seq == 0 {
			t.Fatalf("notice %s (Seq %d)", c.push.Event, c.push.Seq)
		}
		return
	}
	t.Fatal("no notice")
}

// TestSyncUserPages: a sync returns the user's stream after a position, a
// page at a time, with the heads of the user's groups.
func TestSyncUserPages(t *testing.T) {
	s, _, _ := fixture(t)
	ctx := t.Context()
	for range 5 {
		if err := s.UsersEvent(ctx, app, []string{"ann"}, event("Note")); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.SyncUser(ctx, app, "ann", 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 3 || page.Events[0].Seq != 2 || page.Complete || page.Head != 5 {
		t.Fatalf("first page: %d events from %d, complete %v, head %d", len(page.Events), page.Events[0].Seq, page.Complete, page.Head)
	}
	page, err = s.SyncUser(ctx, app, "ann", 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 || !page.Complete || len(page.Groups) != 1 || page.Groups[0].GroupID != "pub" {
		t.Fatalf("last page: %+v", page)
	}
}
