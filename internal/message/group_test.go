package message_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/store/sqlite/sqlitetest"
	"github.com/chatd/chatd/internal/stream"
)

const app = 1400000001

var epoch = time.Unix(1717000000, 0)

// countingStore is the message service's store, recording how many users
// each membership read asked for.
type countingStore struct {
	*store.DB
	mu    sync.Mutex
	reads []int
}

func (s *countingStore) GetMembers(ctx context.Context, appID uint64, groupID string, userIDs []string) (map[string]im.Member, error) {
	s.mu.Lock()
	s.reads = append(s.reads, len(userIDs))
	s.mu.Unlock()
	return s.DB.GetMembers(ctx, appID, groupID, userIDs)
}

func (s *countingStore) take() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.reads
	s.reads = nil
	return out
}

// deliveries counts the pushes the streams make.
type deliveries struct {
	mu    sync.Mutex
	count int
}

func (d *deliveries) add() error {
	d.mu.Lock()
	d.count++
	d.mu.Unlock()
	return nil
}

func (d *deliveries) take() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := d.count
	d.count = 0
	return n
}

func (d *deliveries) DeliverUser(context.Context, uint64, string, im.Push) error { return d.add() }
func (d *deliveries) DeliverGroup(context.Context, uint64, string, im.Push, []string) error {
	return d.add()
}
func (d *deliveries) DeliverRoom(context.Context, uint64, string, im.Push) error    { return d.add() }
func (d *deliveries) AttachMembers(context.Context, uint64, string, []string) error { return nil }
func (d *deliveries) DetachMembers(context.Context, uint64, string, []string) error { return nil }
func (d *deliveries) DropGroup(context.Context, uint64, string) error               { return nil }
func (d *deliveries) DropRoom(context.Context, uint64, string) error                { return nil }

type fixture struct {
	db   *countingStore
	out  *deliveries
	msgs *message.Service
}

// newFixture serves messages over a fresh SQLite file.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := sqlitetest.Open(t)
	f := &fixture{db: &countingStore{DB: db}, out: &deliveries{}}
	groups := group.NewService(db, db, nil)
	streams := stream.New(t.Context(), stream.Deps{Store: db, Deliver: f.out, Groups: groups.Get, Now: func() time.Time { return epoch }})
	f.msgs = message.NewService(message.Deps{Store: f.db, Streams: streams, Groups: groups})
	return f
}

// addGroup stores a group of the given type whose members are the owner
// and the listed users with their roles.
func (f *fixture) addGroup(t *testing.T, id string, typ im.GroupType, members map[string]string) {
	t.Helper()
	var ms []im.Member
	var accounts []im.AccountImport
	for u, role := range members {
		ms = append(ms, im.Member{UserID: u, Role: role, JoinTime: epoch.Unix(), MsgFlag: group.AcceptAndNotify})
		accounts = append(accounts, im.AccountImport{Account: im.Account{AppID: app, UserID: u, CreatedAt: 1}})
	}
	if err := f.db.ImportAccounts(t.Context(), accounts); err != nil {
		t.Fatal(err)
	}
	g := &im.Group{AppID: app, ID: id, Type: typ, CreateTime: epoch.Unix(), NextMsgSeq: 1, SupportTopic: typ == im.GroupCommunity}
	if err := f.db.CreateGroup(t.Context(), g, ms); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) send(t *testing.T, groupID, from string, random uint32, at time.Time, mod func(*message.SendInput)) int64 {
	t.Helper()
	in := message.SendInput{GroupID: groupID, From: from, Random: random,
		Body: []im.MsgElem{{Type: "TIMTextElem", Content: json.RawMessage(`{"Text":"hi"}`)}}}
	if mod != nil {
		mod(&in)
	}
	sent, err := f.msgs.Send(t.Context(), app, in, at)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return sent.Seq
}

func codeOf(err error) int {
	var e *im.Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestRecallFromClients: a member recalls their own message within the
// window; the owner and admins recall whatever is below them, whatever its
// age.
func TestRecallFromClients(t *testing.T) {
	f := newFixture(t)
	f.addGroup(t, "g", im.GroupPublic, map[string]string{"own": im.RoleOwner, "adm": im.RoleAdmin, "adm2": im.RoleAdmin, "m1": im.RoleMember, "m2": im.RoleMember})
	f.addGroup(t, "live", im.GroupAVChatRoom, nil)
	random := uint32(0)
	msg := func(from string, at time.Time) int64 {
		random++
		return f.send(t, "g", from, random, at, nil)
	}
	window := epoch.Add(message.RecallWindow)
	tests := []struct {
		name string
		from string // who sent the message, at epoch
		by   string
		at   time.Time
		want int
	}{
		{"own message within the window", "m1", "m1", window, 0},
		{"own message past the window", "m1", "m1", window.Add(time.Second), im.CodeGroupMsgTooOld},
		{"another member's", "m1", "m2", epoch, im.CodeGroupNotAllowed},
		{"admin: a member's, old", "m1", "adm", epoch.Add(time.Hour), 0},
		{"admin: own, old", "adm", "adm", epoch.Add(time.Hour), 0},
		{"admin: another admin's", "adm2", "adm", epoch, im.CodeGroupNotAllowed},
		{"admin: the owner's", "own", "adm", epoch, im.CodeGroupNotAllowed},
		{"owner: an admin's, old", "adm", "own", epoch.Add(24 * time.Hour), 0},
		{"not a member", "m1", "outsider", epoch, im.CodeGroupNotAllowed},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seq := msg(tt.from, epoch.Add(time.Duration(i)*time.Millisecond))
			err := f.msgs.RecallOwn(t.Context(), app, tt.by, "g", "", seq, tt.at)
			if codeOf(err) != tt.want {
				t.Fatalf("recall: %v, want code %d", err, tt.want)
			}
		})
	}
	t.Run("the app admin's message", func(t *testing.T) {
		seq := f.send(t, "g", "administrator", 7, epoch, func(in *message.SendInput) { in.FromAdmin = true })
		if err := f.msgs.RecallOwn(t.Context(), app, "m1", "g", "", seq, epoch); codeOf(err) != im.CodeGroupNotAllowed {
			t.Errorf("a member: %v", err)
		}
		if err := f.msgs.RecallOwn(t.Context(), app, "adm", "g", "", seq, epoch); err != nil {
			t.Errorf("an admin: %v", err)
		}
	})
	t.Run("twice", func(t *testing.T) {
		seq := msg("m1", epoch)
		if err := f.msgs.RecallOwn(t.Context(), app, "m1", "g", "", seq, epoch); err != nil {
			t.Fatal(err)
		}
		if err := f.msgs.RecallOwn(t.Context(), app, "m1", "g", "", seq, epoch); codeOf(err) != im.CodeGroupMsgNoRecall {
			t.Errorf("again: %v, want 10032", err)
		}
	})
	for _, tt := range []struct {
		name  string
		group string
		seq   int64
		want  int
	}{
		{"no such message", "g", 999, im.CodeGroupMsgNotFound},
		{"a live group", "live", 1, im.CodeGroupNoRecall},
		{"no such group", "nope", 1, im.CodeGroupNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.msgs.RecallOwn(t.Context(), app, "m1", tt.group, "", tt.seq, epoch); codeOf(err) != tt.want {
				t.Errorf("%v, want code %d", err, tt.want)
			}
		})
	}
}

// TestLargeGroupsReadNoMemberList: in a group of 5,000 members, sending
// (to the group and to a topic), notifying everyone, reading, counting
// receipts and recalling read only the rows of the users the call names —
// the sender, the reader — and each makes one push, never one per member.
func TestLargeGroupsReadNoMemberList(t *testing.T) {
	f := newFixture(t)
	members := map[string]string{"owner": im.RoleOwner}
	for i := range 5000 {
		members[fmt.Sprintf("u%04d", i)] = im.RoleMember
	}
	f.addGroup(t, "big", im.GroupPublic, members)
	f.addGroup(t, "@TGS#_big", im.GroupCommunity, members)
	if err := f.db.CreateTopic(t.Context(), &im.Topic{AppID: app, GroupID: "@TGS#_big", ID: "@TGS#_big@TOPIC#_t", CreateTime: 1, NextMsgSeq: 1}, 10); err != nil {
		t.Fatal(err)
	}
	f.db.take()
	f.out.take()
	check := func(t *testing.T, what string, pushes int) {
		t.Helper()
		for _, n := range f.db.take() {
			if n > 1 {
				t.Errorf("%s read the memberships of %d users", what, n)
			}
		}
		if got := f.out.take(); got != pushes {
			t.Errorf("%s made %d pushes, want %d", what, got, pushes)
		}
	}
	var seq int64
	t.Run("send", func(t *testing.T) {
		seq = f.send(t, "big", "u0001", 1, epoch, func(in *message.SendInput) { in.NeedReadReceipt = true })
		check(t, "a send", 1)
	})
	t.Run("send to a topic", func(t *testing.T) {
		f.send(t, "@TGS#_big", "u0001", 1, epoch, func(in *message.SendInput) { in.TopicID = "@TGS#_big@TOPIC#_t" })
		check(t, "a topic send", 1)
	})
	t.Run("notify everyone", func(t *testing.T) {
		if err := f.msgs.Notify(t.Context(), app, message.NotifyInput{GroupID: "big", Content: "c"}); err != nil {
			t.Fatal(err)
		}
		check(t, "a notification", 1)
	})
	t.Run("read receipts", func(t *testing.T) {
		if err := f.msgs.MarkRead(t.Context(), app, "u0002", "big", []int64{seq}, epoch); err != nil {
			t.Fatal(err)
		}
		check(t, "a read receipt", 1)
		got, err := f.msgs.Receipts(t.Context(), app, "", "big", []int64{seq})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].ReadNum != 1 || got[0].UnreadNum != 4999 {
			t.Errorf("receipt %+v, want 1 read, 4,999 not", got[0])
		}
		check(t, "counting receipts", 0)
		page, err := f.msgs.ReceiptDetail(t.Context(), app, "big", seq, true, "", 3)
		if err != nil || len(page.Users) != 3 || page.Finished {
			t.Errorf("a page of non-readers: %+v %v", page, err)
		}
		check(t, "a page of non-readers", 0)
	})
	t.Run("recall", func(t *testing.T) {
		if err := f.msgs.RecallOwn(t.Context(), app, "u0001", "big", "", seq, epoch); err != nil {
			t.Fatal(err)
		}
		check(t, "a recall", 1)
	})
}
