package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// RunMembers checks the member writes and paging of im.GroupStore.
func RunMembers(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("AddMembers", func(t *testing.T) {
		s := fresh(t, open)
		g := group(app1, "g", im.GroupPublic)
		g.MaxMemberNum = 4
		mustCreate(t, s, g, member("alice", im.RoleOwner, 1))
		mustCreate(t, s, group(app2, "g", im.GroupPublic))

		bob, carol := member("bob", im.RoleMember, 5), member("carol", im.RoleAdmin, 6)
		bob.MuteUntil, carol.MuteUntil = 0, 0
		added, err := s.AddMembers(t.Context(), app1, "g", []im.Member{bob, member("alice", im.RoleMember, 9), carol, bob})
		ok(t, "add", err)
		equal(t, "added, the member and the repeat left out", added, []string{"bob", "carol"})
		equal(t, "member num", mustGet(t, s, app1, "g").MemberNum, 3)
		got, err := s.GetMembers(t.Context(), app1, "g", []string{"alice", "bob", "carol"})
		ok(t, "get members", err)
		equal(t, "alice untouched", got["alice"], member("alice", im.RoleOwner, 1))
		equal(t, "bob as given", got["bob"], bob)
		equal(t, "carol as given", got["carol"], carol)

		// Two more would make 5 > 4: nothing is written.
		_, err = s.AddMembers(t.Context(), app1, "g", []im.Member{member("dave", im.RoleMember, 7), member("erin", im.RoleMember, 7)})
		wantErr(t, "past the cap", err, im.ErrFull)
		equal(t, "member num after a refused add", mustGet(t, s, app1, "g").MemberNum, 3)
		got, err = s.GetMembers(t.Context(), app1, "g", []string{"dave", "erin"})
		ok(t, "get refused", err)
		equal(t, "refused members", len(got), 0)
		// Already-members do not count against the cap.
		added, err = s.AddMembers(t.Context(), app1, "g", []im.Member{bob, member("dave", im.RoleMember, 7)})
		ok(t, "up to the cap", err)
		equal(t, "added up to the cap", added, []string{"dave"})
		equal(t, "full", mustGet(t, s, app1, "g").MemberNum, 4)

		_, err = s.AddMembers(t.Context(), app1, "nope", []im.Member{bob})
		wantErr(t, "no such group", err, im.ErrNotFound)
		equal(t, "app2 untouched", mustGet(t, s, app2, "g").MemberNum, 0)

		// A group without a cap (MaxMemberNum 0) takes any number.
		mustCreate(t, s, &im.Group{AppID: app1, ID: "open", Type: im.GroupCommunity})
		var many []im.Member
		for i := range 30 {
			many = append(many, im.Member{UserID: fmt.Sprintf("u%02d", i), Role: im.RoleMember})
		}
		added, err = s.AddMembers(t.Context(), app1, "open", many)
		ok(t, "uncapped", err)
		equal(t, "uncapped count", len(added), 30)
	})

	t.Run("AddMembersConcurrently", func(t *testing.T) {
		s := fresh(t, open)
		g := group(app1, "g", im.GroupPublic)
		g.MaxMemberNum = 10
		mustCreate(t, s, g)
		var wg sync.WaitGroup
		results := make(chan error, 20)
		for i := range 20 {
			wg.Go(func() {
				_, err := s.AddMembers(t.Context(), app1, "g", []im.Member{{UserID: fmt.Sprintf("u%d", i), Role: im.RoleMember}})
				results <- err
			})
		}
		wg.Wait()
		close(results)
		full := 0
		for err := range results {
			if errors.Is(err, im.ErrFull) {
				full++
			} else {
				ok(t, "concurrent add", err)
			}
		}
		equal(t, "refused adds", full, 10)
		equal(t, "member num", mustGet(t, s, app1, "g").MemberNum, 10)
		ms, err := s.ListMembers(t.Context(), app1, "g")
		ok(t, "list", err)
		equal(t, "stored members", len(ms), 10)
	})

	t.Run("RemoveMembers", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic), member("alice", im.RoleOwner, 1), member("bob", im.RoleMember, 2), member("carol", im.RoleMember, 3))
		mustCreate(t, s, group(app2, "g", im.GroupPublic), member("bob", im.RoleOwner, 1))
		removed, err := s.RemoveMembers(t.Context(), app1, "g", []string{"carol", "nobody", "bob", "carol"})
		ok(t, "remove", err)
		equal(t, "removed in the order given", removed, []string{"carol", "bob"})
		g := mustGet(t, s, app1, "g")
		equal(t, "member num", g.MemberNum, 1)
		equal(t, "owner kept", g.Owner, "alice")

		removed, err = s.RemoveMembers(t.Context(), app1, "g", []string{"alice"})
		ok(t, "remove owner", err)
		equal(t, "owner removed", removed, []string{"alice"})
		g = mustGet(t, s, app1, "g")
		equal(t, "ownerless", g.Owner, "")
		equal(t, "empty", g.MemberNum, 0)

		removed, err = s.RemoveMembers(t.Context(), app1, "g", []string{"alice"})
		ok(t, "remove again", err)
		equal(t, "nothing removed", len(removed), 0)
		_, err = s.RemoveMembers(t.Context(), app1, "nope", []string{"alice"})
		wantErr(t, "no such group", err, im.ErrNotFound)
		equal(t, "app2 untouched", mustGet(t, s, app2, "g").MemberNum, 1)
	})

	t.Run("UpdateMember", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic), member("alice", im.RoleOwner, 1), member("bob", im.RoleMember, 2))
		got, err := s.UpdateMember(t.Context(), app1, "g", "bob", func(m *im.Member) error {
			m.Role, m.MsgFlag, m.NameCard = im.RoleAdmin, "Discard", "Bobby"
			m.AppMemberDefinedData = []im.KV{{Key: "seat", Value: "9"}, {Key: "x", Value: "y"}}
			m.MuteUntil = 5000
			m.JoinTime = 99 // not stored
			return nil
		})
		ok(t, "update", err)
		want := member("bob", im.RoleAdmin, 2)
		want.MsgFlag, want.NameCard, want.MuteUntil = "Discard", "Bobby", 5000
		want.AppMemberDefinedData = []im.KV{{Key: "seat", Value: "9"}, {Key: "x", Value: "y"}}
		stored, err := s.GetMembers(t.Context(), app1, "g", []string{"bob"})
		ok(t, "get", err)
		equal(t, "stored", stored["bob"], want)
		equal(t, "returned", got.NameCard, "Bobby")
		until, err := s.MutedUntil(t.Context(), app1, "g", "", "bob", 0)
		ok(t, "muted until", err)
		equal(t, "the mute is stored as a group mute too", until, int64(5000))

		boom := errors.New("boom")
		_, err = s.UpdateMember(t.Context(), app1, "g", "bob", func(m *im.Member) error {
			m.NameCard = "lost"
			return boom
		})
		wantErr(t, "apply error", err, boom)
		stored, err = s.GetMembers(t.Context(), app1, "g", []string{"bob"})
		ok(t, "get after rollback", err)
		equal(t, "rolled back", stored["bob"].NameCard, "Bobby")

		for _, tt := range []struct{ name, group, user string }{{"not a member", "g", "nobody"}, {"no such group", "nope", "bob"}} {
			_, err := s.UpdateMember(t.Context(), app1, tt.group, tt.user, func(*im.Member) error { return nil })
			wantErr(t, tt.name, err, im.ErrNotFound)
		}
	})

	t.Run("ChangeOwner", func(t *testing.T) {
		s := fresh(t, open)
		g := group(app1, "g", im.GroupPublic)
		mustCreate(t, s, g, member("alice", im.RoleOwner, 1), member("bob", im.RoleAdmin, 2))
		prev, err := s.ChangeOwner(t.Context(), app1, "g", "bob", 777)
		ok(t, "change", err)
		equal(t, "previous owner", prev, "alice")
		got := mustGet(t, s, app1, "g")
		equal(t, "owner", got.Owner, "bob")
		equal(t, "info seq", got.InfoSeq, g.InfoSeq+1)
		equal(t, "last info time", got.LastInfoTime, int64(777))
		ms, err := s.GetMembers(t.Context(), app1, "g", []string{"alice", "bob"})
		ok(t, "members", err)
		equal(t, "roles", []string{ms["alice"].Role, ms["bob"].Role}, []string{im.RoleMember, im.RoleOwner})

		prev, err = s.ChangeOwner(t.Context(), app1, "g", "bob", 800)
		ok(t, "same owner", err)
		equal(t, "same owner returned", prev, "bob")
		equal(t, "unchanged info seq", mustGet(t, s, app1, "g").InfoSeq, g.InfoSeq+1)

		_, err = s.ChangeOwner(t.Context(), app1, "g", "nobody", 800)
		wantErr(t, "not a member", err, im.ErrNotFound)
		equal(t, "owner kept", mustGet(t, s, app1, "g").Owner, "bob")
		_, err = s.ChangeOwner(t.Context(), app1, "nope", "bob", 800)
		wantErr(t, "no such group", err, im.ErrNotFound)

		// An ownerless group gets one.
		mustCreate(t, s, &im.Group{AppID: app1, ID: "free", Type: im.GroupPrivate}, im.Member{UserID: "carol", Role: im.RoleMember})
		prev, err = s.ChangeOwner(t.Context(), app1, "free", "carol", 900)
		ok(t, "ownerless", err)
		equal(t, "no previous owner", prev, "")
		equal(t, "new owner", mustGet(t, s, app1, "free").Owner, "carol")
	})

	t.Run("UpdateGroup", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic), member("alice", im.RoleOwner, 1))
		got, err := s.UpdateGroup(t.Context(), app1, "g", func(g *im.Group) error {
			g.Name, g.Introduction, g.Notification, g.FaceURL = "n2", "i2", "no2", "f2"
			g.InfoSeq, g.LastInfoTime = 9, 1234
			g.MaxMemberNum, g.ApplyJoinOption, g.MuteAllMember = 300, "FreeAccess", false
			g.AppDefinedData = []im.KV{{Key: "k", Value: "v"}}
			g.Owner, g.NextMsgSeq, g.CreateTime = "mallory", 1, 1 // not stored
			return nil
		})
		ok(t, "update", err)
		want := group(app1, "g", im.GroupPublic)
		want.Name, want.Introduction, want.Notification, want.FaceURL = "n2", "i2", "no2", "f2"
		want.InfoSeq, want.LastInfoTime = 9, 1234
		want.MaxMemberNum, want.ApplyJoinOption, want.MuteAllMember = 300, "FreeAccess", false
		want.AppDefinedData = []im.KV{{Key: "k", Value: "v"}}
		want.MemberNum = 1
		equal(t, "stored", mustGet(t, s, app1, "g"), want)
		equal(t, "returned name", got.Name, "n2")

		boom := errors.New("boom")
		_, err = s.UpdateGroup(t.Context(), app1, "g", func(g *im.Group) error { g.Name = "lost"; return boom })
		wantErr(t, "apply error", err, boom)
		equal(t, "rolled back", mustGet(t, s, app1, "g").Name, "n2")
		_, err = s.UpdateGroup(t.Context(), app1, "nope", func(*im.Group) error { return nil })
		wantErr(t, "no such group", err, im.ErrNotFound)
	})

	t.Run("PageMembers", func(t *testing.T) {
		s := fresh(t, open)
		// Join order differs from insertion order for dave (joined earlier).
		in := []im.Member{
			member("alice", im.RoleOwner, 10), member("bob", im.RoleAdmin, 20), member("carol", im.RoleMember, 30),
			member("dave", im.RoleMember, 5), member("erin", im.RoleAdmin, 40),
		}
		mustCreate(t, s, group(app1, "g", im.GroupCommunity), in...)
		for _, tt := range []struct {
			name string
			q    im.MemberQuery
			want []string
		}{
			{"all, join order", im.MemberQuery{}, []string{"dave", "alice", "bob", "carol", "erin"}},
			{"offset and limit", im.MemberQuery{Offset: 1, Limit: 2}, []string{"alice", "bob"}},
			{"offset only", im.MemberQuery{Offset: 3}, []string{"carol", "erin"}},
			{"past the end", im.MemberQuery{Offset: 9, Limit: 2}, nil},
			{"admins", im.MemberQuery{Roles: []string{im.RoleAdmin}}, []string{"bob", "erin"}},
			{"owner and members", im.MemberQuery{Roles: []string{im.RoleOwner, im.RoleMember}, Limit: 2}, []string{"dave", "alice"}},
		} {
			page, err := s.PageMembers(t.Context(), app1, "g", tt.q)
			ok(t, tt.name, err)
			equal(t, tt.name, userIDs(page.Members), userIDsOr(tt.want))
			equal(t, tt.name+": next", page.Next, int64(0))
		}

		// Cursor paging walks insertion order.
		var seen []string
		var after int64
		for range 10 {
			page, err := s.PageMembers(t.Context(), app1, "g", im.MemberQuery{Cursor: true, After: after, Limit: 2})
			ok(t, "cursor page", err)
			seen = append(seen, userIDs(page.Members)...)
			if page.Next == 0 {
				break
			}
			if page.Next <= after {
				t.Fatalf("cursor went from %d to %d", after, page.Next)
			}
			after = page.Next
		}
		equal(t, "cursor pages", seen, []string{"alice", "bob", "carol", "dave", "erin"})
		page, err := s.PageMembers(t.Context(), app1, "g", im.MemberQuery{Cursor: true, Limit: 5})
		ok(t, "one full page", err)
		equal(t, "exact page has no next", page.Next, int64(0))
		page, err = s.PageMembers(t.Context(), app1, "g", im.MemberQuery{Cursor: true, Roles: []string{im.RoleMember}, Limit: 1})
		ok(t, "members by cursor", err)
		equal(t, "first member by cursor", userIDs(page.Members), []string{"carol"})
		if page.Next == 0 {
			t.Fatal("a second member page should follow")
		}
		page, err = s.PageMembers(t.Context(), app1, "nope", im.MemberQuery{})
		ok(t, "no such group", err)
		equal(t, "no such group", len(page.Members), 0)
	})

	t.Run("CountJoinedGroupsOf", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g1", im.GroupPublic), member("alice", im.RoleOwner, 1), member("bob", im.RoleMember, 1))
		mustCreate(t, s, group(app1, "g2", im.GroupPublic), member("alice", im.RoleOwner, 1))
		mustCreate(t, s, group(app2, "g1", im.GroupPublic), member("carol", im.RoleOwner, 1))
		got, err := s.CountJoinedGroupsOf(t.Context(), app1, []string{"alice", "bob", "carol", "nobody"})
		ok(t, "count", err)
		equal(t, "counts", got, map[string]int{"alice": 2, "bob": 1})
	})
}

// userIDsOr is want with nil read as an empty list, as userIDs returns.
func userIDsOr(want []string) []string {
	if want == nil {
		return []string{}
	}
	return want
}
