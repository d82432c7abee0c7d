package group_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// notices records what the group service tells users and groups, as
// "kind group users event-type" lines.
type notices struct {
	mu  sync.Mutex
	got []string
}

func (n *notices) add(kind, groupID string, users []string, ev any) error {
	typ := "-"
	if ev != nil {
		b, _ := json.Marshal(ev)
		var t struct{ Type, JoinType, Decision string }
		_ = json.Unmarshal(b, &t)
		typ = strings.Join(strings.Fields(t.Type+" "+t.JoinType+" "+t.Decision), " ")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, fmt.Sprintf("%s %s %v %s", kind, groupID, users, typ))
	return nil
}

func (n *notices) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.got
	n.got = nil
	return out
}

func (n *notices) GroupEvent(_ context.Context, _ uint64, g string, ev any) error {
	return n.add("group", g, nil, ev)
}
func (n *notices) MembersJoined(_ context.Context, _ uint64, g string, u []string, ev any) error {
	return n.add("joined", g, u, ev)
}
func (n *notices) MembersLeft(_ context.Context, _ uint64, g string, u []string, ev any) error {
	return n.add("left", g, u, ev)
}
func (n *notices) GroupDismissed(_ context.Context, _ uint64, g string, _ im.GroupType, ev any) error {
	return n.add("dismissed", g, nil, ev)
}
func (n *notices) UsersEvent(_ context.Context, _ uint64, u []string, ev any) error {
	return n.add("users", "", u, ev)
}

// TestApplyAndDecide: applications are stored for approval, told to the
// owner and admins, decided once, and checked like a join.
func TestApplyAndDecide(t *testing.T) {
	s, app, _ := mustService(t)
	rec := &notices{}
	s.SetDelivery(group.Delivery{Notifier: rec})
	ctx := context.Background()
	admin := group.AppAdmin("admin")
	create := func(id, typ, option string, max int, members ...im.Member) {
		t.Helper()
		in := group.CreateInput{Type: typ, GroupID: id, Name: ptr(id), Owner: "own", ApplyJoinOption: option, MaxMemberCount: max, Members: members}
		if _, err := s.Create(ctx, app, admin, in, now); err != nil {
			t.Fatalf("create %s: %v", id, err)
		}
	}
	create("pub", "Public", group.NeedPermission, 3, im.Member{UserID: "adm", Role: im.RoleAdmin})
	create("free", "Public", group.FreeAccess, 0)
	rec.take()

	code := func(what string, err error, want int) {
		t.Helper()
		if got := im.CodeOf(err); got != want || (err != nil && got == 0) {
			t.Fatalf("%s: %v, want code %d", what, err, want)
		}
	}
	wantNotices := func(want ...string) {
		t.Helper()
		if got := rec.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("notices:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}

	result, err := s.Apply(ctx, app, "out", "free", "", now)
	code("apply to a FreeAccess group", err, 0)
	if result != group.ApplyJoined {
		t.Fatalf("result %s", result)
	}
	wantNotices("joined free [out] MemberJoined Applied")
	_, err = s.Apply(ctx, app, "out", "free", "", now)
	code("apply again as a member", err, im.CodeGroupAlreadyMember)

	_, err = s.Apply(ctx, app, "out", "pub", strings.Repeat("x", group.MaxApplyMsgBytes+1), now)
	code("a long ApplyMsg", err, im.CodeGroupBadParam)
	_, err = s.Apply(ctx, app, "out", "nope", "", now)
	code("no such group", err, im.CodeGroupNotFound)
	result, err = s.Apply(ctx, app, "out", "pub", "me", now)
	code("apply", err, 0)
	if result != group.ApplyPending {
		t.Fatalf("result %s", result)
	}
	wantNotices("users  [own adm] JoinApplication")
	_, err = s.Apply(ctx, app, "new", "pub", "me too", now.Add(time.Second))
	code("a second applicant", err, 0)
	rec.take()

	list, next, err := s.Applications(ctx, app.SDKAppID, group.Operator{UserID: "adm"}, "pub", 0, 1)
	code("list a page", err, 0)
	if len(list) != 1 || list[0].UserID != "out" || list[0].Message != "me" || next != 1 {
		t.Fatalf("page %+v, next %d", list, next)
	}
	_, _, err = s.Applications(ctx, app.SDKAppID, group.Operator{UserID: "adm"}, "pub", 0, group.MaxApplicationPage+1)
	code("a page too long", err, im.CodeGroupBadParam)
	_, _, err = s.Applications(ctx, app.SDKAppID, group.Operator{UserID: "out"}, "pub", 0, 0)
	code("an applicant lists", err, im.CodeGroupNotAllowed)

	adm := group.Operator{UserID: "adm"}
	code("reject with a long reason", s.Decide(ctx, app, adm, "pub", "out", false, strings.Repeat("x", group.MaxApplyMsgBytes+1), now), im.CodeGroupBadParam)
	code("no applicant named", s.Decide(ctx, app, adm, "pub", "", true, "", now), im.CodeGroupBadParam)
	code("approve", s.Decide(ctx, app, adm, "pub", "out", true, "", now), 0)
	wantNotices("joined pub [out] MemberJoined Applied", "users  [out own adm] JoinApplicationHandled Approved")
	code("approve again", s.Decide(ctx, app, adm, "pub", "out", true, "", now), im.CodeGroupRequestHandled)
	code("reject a decided one", s.Decide(ctx, app, adm, "pub", "out", false, "", now), im.CodeGroupRequestHandled)

	// The group holds own, adm, out: full at 3. The pending applicant
	// cannot be approved, and the application waits; new ones fail.
	code("approve into a full group", s.Decide(ctx, app, adm, "pub", "new", true, "", now), im.CodeGroupFull)
	_, err = s.Apply(ctx, app, "mem", "pub", "", now)
	code("apply to a full group", err, im.CodeGroupFull)
	code("reject", s.Decide(ctx, app, adm, "pub", "new", false, "sorry", now), 0)
	wantNotices("users  [new own adm] JoinApplicationHandled Rejected")
}

// TestApplyAtGroupLimit: a user in as many groups as allowed can neither
// apply nor be approved (10037).
func TestApplyAtGroupLimit(t *testing.T) {
	s, app, _ := mustService(t)
	app.JoinedGroupLimit = 1
	ctx := context.Background()
	owners := map[string]string{"one": "own", "two": "adm"}
	for _, id := range []string{"one", "two"} {
		in := group.CreateInput{Type: "Public", GroupID: id, Name: ptr(id), Owner: owners[id], ApplyJoinOption: group.NeedPermission}
		if _, err := s.Create(ctx, app, group.AppAdmin("admin"), in, now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Apply(ctx, app, "out", "one", "", now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Apply(ctx, app, "out", "two", "", now); err != nil {
		t.Fatal(err)
	}
	if err := s.Decide(ctx, app, group.Operator{UserID: "own"}, "one", "out", true, "", now); err != nil {
		t.Fatal(err)
	}
	if err := s.Decide(ctx, app, group.Operator{UserID: "adm"}, "two", "out", true, "", now); im.CodeOf(err) != im.CodeGroupJoinLimit {
		t.Fatalf("approve past the limit: %v, want 10037", err)
	}
	if _, err := s.Apply(ctx, app, "out", "two", "", now); im.CodeOf(err) != im.CodeGroupJoinLimit {
		t.Fatalf("apply past the limit: %v, want 10037", err)
	}
}

// TestQuit: members quit; owners only a Work group, which is then
// ownerless; the group is told unless it is a Work group not active yet.
func TestQuit(t *testing.T) {
	s, app, db := mustService(t)
	rec := &notices{}
	s.SetDelivery(group.Delivery{Notifier: rec})
	ctx := context.Background()
	for _, g := range []struct{ id, typ string }{{"pub", "Public"}, {"work", "Private"}, {"live", "AVChatRoom"}} {
		in := group.CreateInput{Type: g.typ, GroupID: g.id, Name: ptr(g.id), Owner: "own"}
		if g.typ != "AVChatRoom" {
			in.Members = []im.Member{{UserID: "mem"}}
		}
		if _, err := s.Create(ctx, app, group.AppAdmin("admin"), in, now); err != nil {
			t.Fatal(err)
		}
	}
	rec.take()
	for _, tt := range []struct {
		user, group string
		want        int
		notice      string
	}{
		{"own", "pub", im.CodeGroupOwnerCannotQuit, ""},
		{"out", "pub", im.CodeGroupNotAllowed, ""},
		{"own", "live", im.CodeGroupNotAllowed, ""},
		{"own", "nope", im.CodeGroupNotFound, ""},
		{"mem", "pub", 0, "left pub [mem] MemberQuit"},
		{"own", "work", 0, "left work [own] -"}, // not active yet: silent
	} {
		err := s.Quit(ctx, app.SDKAppID, tt.user, tt.group)
		if got := im.CodeOf(err); got != tt.want || (err != nil && got == 0) {
			t.Errorf("%s quits %s: %v, want %d", tt.user, tt.group, err, tt.want)
		}
		if got := strings.Join(rec.take(), ""); got != tt.notice {
			t.Errorf("%s quits %s: told %q, want %q", tt.user, tt.group, got, tt.notice)
		}
	}
	if g, err := db.GetGroup(ctx, app.SDKAppID, "work"); err != nil || g.Owner != "" || g.MemberNum != 1 {
		t.Fatalf("the Work group after its owner quit: %+v %v", g, err)
	}
}

// deliveries counts what the stream asks the gateway to deliver.
type deliveries struct {
	mu                  sync.Mutex
	users, groups, ctrl int
}

func (d *deliveries) count(n *int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	*n++
	return nil
}
func (d *deliveries) DeliverUser(context.Context, uint64, string, im.Push) error {
	return d.count(&d.users)
}
func (d *deliveries) DeliverGroup(context.Context, uint64, string, im.Push, []string) error {
	return d.count(&d.groups)
}
func (d *deliveries) DeliverRoom(context.Context, uint64, string, im.Push) error {
	return d.count(&d.groups)
}
func (d *deliveries) AttachMembers(_ context.Context, _ uint64, _ string, users []string) error {
	return d.count(&d.ctrl)
}
func (d *deliveries) DetachMembers(context.Context, uint64, string, []string) error {
	return d.count(&d.ctrl)
}
func (d *deliveries) DropGroup(context.Context, uint64, string) error { return d.count(&d.ctrl) }
func (d *deliveries) DropRoom(context.Context, uint64, string) error  { return d.count(&d.ctrl) }

// TestLargeCommunityEvent: a change of a 100,000-member Community is one
// group delivery (one bus message per event, whatever the size, which the
// gateway fans out per node), not one per member (issue 11, point 5).
func TestLargeCommunityEvent(t *testing.T) {
	s, app, db := mustService(t)
	ctx := context.Background()
	in := group.CreateInput{Type: "Community", GroupID: "@TGS#_big", Name: ptr("big"), Owner: "own"}
	if _, err := s.Create(ctx, app, group.AppAdmin("admin"), in, now); err != nil {
		t.Fatal(err)
	}
	db.Timeout = time.Minute             // the fixture's writes are large, on a shared machine
	members := make([]im.Member, 99_999) // and the owner
	for i := range members {
		members[i] = im.Member{UserID: fmt.Sprintf("u%06d", i), Role: im.RoleMember}
	}
	for len(members) > 0 {
		n := min(len(members), 5000)
		if _, err := db.AddMembers(ctx, app.SDKAppID, "@TGS#_big", members[:n]); err != nil {
			t.Fatal(err)
		}
		members = members[n:]
	}
	d := &deliveries{}
	streams := stream.New(t.Context(), stream.Deps{Store: db, Deliver: d, Groups: s.Get, Now: func() time.Time { return now }})
	s.SetDelivery(group.Delivery{Notifier: streams})
	for _, change := range []func() error{
		func() error {
			return s.ModifyInfo(ctx, app, group.Operator{UserID: "own"}, "@TGS#_big", group.InfoChange{Notification: ptr("hello all")}, now)
		},
		func() error {
			return s.Mute(ctx, app, group.Operator{UserID: "own"}, "@TGS#_big", "", []string{"u000001"}, 60, now)
		},
	} {
		if err := change(); err != nil {
			t.Fatal(err)
		}
	}
	if d.groups != 2 || d.users != 0 || d.ctrl != 0 {
		t.Fatalf("two changes made %d group, %d user and %d control deliveries; want 2, 0, 0", d.groups, d.users, d.ctrl)
	}
}
