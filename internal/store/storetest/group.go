package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// RunGroups checks the group and member half of im.GroupStore.
func RunGroups(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("CreateAndGet", func(t *testing.T) {
		s := fresh(t, open)
		full := group(app1, "@TGS#full", im.GroupCommunity)
		mustCreate(t, s, full, member("alice", im.RoleOwner, 10), member("bob", im.RoleAdmin, 11), member("carol", im.RoleMember, 12))
		want := *group(app1, "@TGS#full", im.GroupCommunity)
		want.MemberNum = 3
		equal(t, "full group", mustGet(t, s, app1, "@TGS#full"), &want)

		// Zero values survive too: no owner, no custom data, no members.
		bare := &im.Group{AppID: app1, ID: "bare", Type: im.GroupAVChatRoom, CreateTime: 5}
		mustCreate(t, s, bare)
		equal(t, "bare group", mustGet(t, s, app1, "bare"), &im.Group{AppID: app1, ID: "bare", Type: im.GroupAVChatRoom, CreateTime: 5})
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app2, "g", im.GroupPublic))
		for _, tt := range []struct {
			name string
			app  uint64
			id   string
		}{
			{"no such group", app1, "nope"},
			{"group of another app", app1, "g"},
		} {
			g, err := s.GetGroup(t.Context(), tt.app, tt.id)
			wantErr(t, tt.name, err, im.ErrNotFound)
			if g != nil {
				t.Fatalf("%s: got group %+v with the error", tt.name, g)
			}
		}
	})

	t.Run("CreateConflict", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic), member("alice", im.RoleOwner, 10))
		other := group(app1, "g", im.GroupPrivate)
		other.Name = "impostor"
		err := s.CreateGroup(t.Context(), other, []im.Member{member("mallory", im.RoleOwner, 20)})
		wantErr(t, "same ID again", err, im.ErrConflict)

		got := mustGet(t, s, app1, "g")
		equal(t, "name kept", got.Name, "name of g")
		equal(t, "member num kept", got.MemberNum, 1)
		ms, err := s.ListMembers(t.Context(), app1, "g")
		ok(t, "list members", err)
		equal(t, "members kept", userIDs(ms), []string{"alice"})
		n, err := s.CountJoinedGroups(t.Context(), app1, "mallory")
		ok(t, "count joined", err)
		equal(t, "mallory joined nothing", n, 0)

		// Group IDs are per app.
		mustCreate(t, s, group(app2, "g", im.GroupPublic))
	})

	t.Run("CreateAtomic", func(t *testing.T) {
		tests := []struct {
			name    string
			members []im.Member
		}{
			{"empty member ID", []im.Member{member("alice", im.RoleOwner, 1), member("", im.RoleMember, 2)}},
			{"member listed twice", []im.Member{member("alice", im.RoleOwner, 1), member("alice", im.RoleMember, 2)}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := fresh(t, open)
				err := s.CreateGroup(t.Context(), group(app1, "g", im.GroupPublic), tt.members)
				if err == nil {
					t.Fatal("create succeeded")
				}
				if errors.Is(err, im.ErrConflict) {
					t.Fatalf("a bad member list reads as a taken group ID: %v", err)
				}
				_, err = s.GetGroup(t.Context(), app1, "g")
				wantErr(t, "group after failed create", err, im.ErrNotFound)
				n, err := s.CountJoinedGroups(t.Context(), app1, "alice")
				ok(t, "count joined", err)
				equal(t, "alice joined nothing", n, 0)
				n, err = s.CountGroups(t.Context(), app1, "")
				ok(t, "count groups", err)
				equal(t, "groups", n, 0)
				// The ID is still free.
				mustCreate(t, s, group(app1, "g", im.GroupPublic), member("alice", im.RoleOwner, 1))
			})
		}
	})

	t.Run("ListMembers", func(t *testing.T) {
		s := fresh(t, open)
		// Inserted out of join order; ties keep insertion order.
		in := []im.Member{
			member("bob", im.RoleMember, 200),
			member("alice", im.RoleOwner, 100),
			member("carol", im.RoleAdmin, 200),
			member("dave", im.RoleMember, 100),
		}
		in[3].AppMemberDefinedData = nil
		in[3].NameCard = ""
		mustCreate(t, s, group(app1, "g", im.GroupPublic), in...)
		mustCreate(t, s, group(app1, "empty", im.GroupAVChatRoom))

		got, err := s.ListMembers(t.Context(), app1, "g")
		ok(t, "list", err)
		equal(t, "members in join order", got, []im.Member{in[1], in[3], in[0], in[2]})

		for _, tt := range []struct{ name, id string }{{"no members", "empty"}, {"no such group", "nope"}} {
			got, err := s.ListMembers(t.Context(), app1, tt.id)
			ok(t, tt.name, err)
			equal(t, tt.name, len(got), 0)
		}
		got, err = s.ListMembers(t.Context(), app2, "g")
		ok(t, "other app", err)
		equal(t, "other app", len(got), 0)
	})

	t.Run("GetMembers", func(t *testing.T) {
		s := fresh(t, open)
		alice, bob := member("alice", im.RoleOwner, 1), member("bob", im.RoleMember, 2)
		bob.AppMemberDefinedData = nil
		mustCreate(t, s, group(app1, "g", im.GroupPublic), alice, bob, member("carol", im.RoleAdmin, 3))
		mustCreate(t, s, group(app2, "g", im.GroupPublic), member("dave", im.RoleOwner, 1))
		many := []string{"bob"}
		for i := range 700 { // more than one IN list
			many = append(many, fmt.Sprintf("u%d", i))
		}
		many = append(many, "alice")
		for _, tt := range []struct {
			name  string
			app   uint64
			group string
			ids   []string
			want  map[string]im.Member
		}{
			{"some members", app1, "g", []string{"alice", "nobody", "bob"}, map[string]im.Member{"alice": alice, "bob": bob}},
			{"one member", app1, "g", []string{"bob"}, map[string]im.Member{"bob": bob}},
			{"listed twice", app1, "g", []string{"bob", "bob"}, map[string]im.Member{"bob": bob}},
			{"across IN lists", app1, "g", many, map[string]im.Member{"alice": alice, "bob": bob}},
			{"no members", app1, "g", []string{"dave"}, map[string]im.Member{}},
			{"nobody asked", app1, "g", nil, map[string]im.Member{}},
			{"no such group", app1, "nope", []string{"alice"}, map[string]im.Member{}},
			{"other app", app2, "g", []string{"alice", "dave"}, map[string]im.Member{"dave": member("dave", im.RoleOwner, 1)}},
		} {
			got, err := s.GetMembers(t.Context(), tt.app, tt.group, tt.ids)
			ok(t, tt.name, err)
			equal(t, tt.name, got, tt.want)
		}
	})

	t.Run("DeleteGroup", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupAVChatRoom), member("alice", im.RoleOwner, 1), member("bob", im.RoleMember, 2))
		mustCreate(t, s, group(app2, "g", im.GroupAVChatRoom), member("alice", im.RoleOwner, 1))
		ok(t, "ban", s.BanMembers(t.Context(), app1, "g", []im.Ban{{UserID: "carol", Until: 5000}}))
		ok(t, "ban app2", s.BanMembers(t.Context(), app2, "g", []im.Ban{{UserID: "carol", Until: 5000}}))

		tests := []struct {
			name string
			app  uint64
			id   string
			want error
		}{
			{"missing", app1, "nope", im.ErrNotFound},
			{"existing", app1, "g", nil},
			{"already deleted", app1, "g", im.ErrNotFound},
		}
		for _, tt := range tests {
			wantErr(t, tt.name, s.DeleteGroup(t.Context(), tt.app, tt.id), tt.want)
		}

		_, err := s.GetGroup(t.Context(), app1, "g")
		wantErr(t, "get deleted", err, im.ErrNotFound)
		ms, err := s.ListMembers(t.Context(), app1, "g")
		ok(t, "list members", err)
		equal(t, "members left", len(ms), 0)
		n, err := s.CountJoinedGroups(t.Context(), app1, "alice")
		ok(t, "count joined", err)
		equal(t, "alice's groups", n, 0)
		until, err := s.BannedUntil(t.Context(), app1, "g", "carol", 0)
		ok(t, "banned until", err)
		equal(t, "ban left", until, int64(0))

		// A new group under the old ID starts empty.
		mustCreate(t, s, group(app1, "g", im.GroupAVChatRoom))
		equal(t, "recreated member num", mustGet(t, s, app1, "g").MemberNum, 0)
		bans, err := s.ListBans(t.Context(), app1, "g", 0, 0, 10)
		ok(t, "list bans", err)
		equal(t, "bans of recreated group", len(bans), 0)

		// The other app's group of the same ID is untouched.
		equal(t, "app2 member num", mustGet(t, s, app2, "g").MemberNum, 1)
		until, err = s.BannedUntil(t.Context(), app2, "g", "carol", 0)
		ok(t, "banned until app2", err)
		equal(t, "app2 ban", until, int64(5000))
	})

	t.Run("ListGroupIDs", func(t *testing.T) {
		s := fresh(t, open)
		types := []im.GroupType{im.GroupPublic, im.GroupPrivate, im.GroupPublic, im.GroupAVChatRoom, im.GroupPublic, im.GroupCommunity}
		ids := []string{"g1", "g2", "g3", "g4", "g5", "g6"}
		for i, id := range ids {
			mustCreate(t, s, group(app1, id, types[i]))
			mustCreate(t, s, group(app2, id+"-app2", types[i]))
		}
		tests := []struct {
			name      string
			app       uint64
			typ       im.GroupType
			limit     int
			wantPages [][]string
			wantTotal int
		}{
			{"all by two", app1, "", 2, [][]string{{"g1", "g2"}, {"g3", "g4"}, {"g5", "g6"}}, 6},
			{"all by four", app1, "", 4, [][]string{{"g1", "g2", "g3", "g4"}, {"g5", "g6"}}, 6},
			{"all at once", app1, "", 100, [][]string{ids}, 6},
			{"page size equals total", app1, "", 6, [][]string{ids}, 6},
			{"public by two", app1, im.GroupPublic, 2, [][]string{{"g1", "g3"}, {"g5"}}, 3},
			{"public by three", app1, im.GroupPublic, 3, [][]string{{"g1", "g3", "g5"}}, 3},
			{"community", app1, im.GroupCommunity, 1, [][]string{{"g6"}}, 1},
			{"no group of type", app1, im.GroupChatRoom, 10, [][]string{nil}, 0},
			{"empty app", 1, "", 10, [][]string{nil}, 0},
		}
		for _, tt := range tests {
			var after int64
			for i, want := range tt.wantPages {
				page, err := s.ListGroupIDs(t.Context(), tt.app, tt.typ, after, tt.limit)
				ok(t, tt.name, err)
				equal(t, tt.name+": ids", page.IDs, want)
				equal(t, tt.name+": total", page.Total, tt.wantTotal)
				last := i == len(tt.wantPages)-1
				if last != (page.Next == 0) {
					t.Fatalf("%s: page %d of %d has Next %d", tt.name, i+1, len(tt.wantPages), page.Next)
				}
				if !last && page.Next <= after {
					t.Fatalf("%s: cursor went from %d to %d", tt.name, after, page.Next)
				}
				after = page.Next
			}
		}

		// A cursor stays valid when groups around it go away or arrive.
		first, err := s.ListGroupIDs(t.Context(), app1, "", 0, 2)
		ok(t, "first page", err)
		ok(t, "delete g2", s.DeleteGroup(t.Context(), app1, "g2"))
		ok(t, "delete g3", s.DeleteGroup(t.Context(), app1, "g3"))
		mustCreate(t, s, group(app1, "g7", im.GroupPublic))
		second, err := s.ListGroupIDs(t.Context(), app1, "", first.Next, 10)
		ok(t, "second page", err)
		equal(t, "after deletes", second.IDs, []string{"g4", "g5", "g6", "g7"})
		equal(t, "total after deletes", second.Total, 5)
		equal(t, "next after deletes", second.Next, int64(0))
	})

	t.Run("ListJoinedGroups", func(t *testing.T) {
		s := fresh(t, open)
		alice1 := member("alice", im.RoleOwner, 300)
		alice2 := member("alice", im.RoleMember, 100)
		alice2.AppMemberDefinedData = nil
		alice3 := member("alice", im.RoleAdmin, 200)
		g1, g2, g3 := group(app1, "g1", im.GroupPublic), group(app1, "g2", im.GroupPrivate), group(app1, "g3", im.GroupCommunity)
		g2.AppDefinedData = nil
		mustCreate(t, s, g1, alice1, member("bob", im.RoleMember, 300))
		mustCreate(t, s, g2, member("bob", im.RoleOwner, 50), alice2)
		mustCreate(t, s, g3, alice3)
		mustCreate(t, s, group(app1, "g4", im.GroupPublic), member("bob", im.RoleOwner, 1))
		mustCreate(t, s, group(app2, "g1", im.GroupPublic), member("alice", im.RoleOwner, 1))

		got, err := s.ListJoinedGroups(t.Context(), app1, "alice")
		ok(t, "list joined", err)
		want := []im.JoinedGroup{{Group: *g2, Self: alice2}, {Group: *g3, Self: alice3}, {Group: *g1, Self: alice1}}
		want[0].Group.MemberNum, want[1].Group.MemberNum, want[2].Group.MemberNum = 2, 1, 2
		equal(t, "alice's groups in join order", got, want)

		for _, tt := range []struct {
			name string
			app  uint64
			user string
			want []string
		}{
			{"bob", app1, "bob", []string{"g4", "g2", "g1"}},
			{"stranger", app1, "nobody", nil},
			{"other app", app2, "alice", []string{"g1"}},
		} {
			got, err := s.ListJoinedGroups(t.Context(), tt.app, tt.user)
			ok(t, tt.name, err)
			var ids []string
			for _, jg := range got {
				ids = append(ids, jg.Group.ID)
				if jg.Group.AppID != tt.app || jg.Self.UserID != tt.user {
					t.Fatalf("%s: joined group %s has app %d, self %q", tt.name, jg.Group.ID, jg.Group.AppID, jg.Self.UserID)
				}
			}
			equal(t, tt.name, ids, tt.want)
			onlyIDs, err := s.ListJoinedGroupIDs(t.Context(), tt.app, tt.user)
			ok(t, tt.name+": ids", err)
			equal(t, tt.name+": ids", onlyIDs, tt.want)
			n, err := s.CountJoinedGroups(t.Context(), tt.app, tt.user)
			ok(t, tt.name+": count", err)
			equal(t, tt.name+": count", n, len(tt.want))
		}
	})

	t.Run("CountGroups", func(t *testing.T) {
		s := fresh(t, open)
		for _, g := range []*im.Group{
			group(app1, "a", im.GroupPublic), group(app1, "b", im.GroupPublic), group(app1, "c", im.GroupPrivate),
			group(app1, "d", im.GroupAVChatRoom), group(app2, "e", im.GroupPublic),
		} {
			mustCreate(t, s, g)
		}
		for _, tt := range []struct {
			app  uint64
			typ  im.GroupType
			want int
		}{
			{app1, "", 4},
			{app1, im.GroupPublic, 2},
			{app1, im.GroupPrivate, 1},
			{app1, im.GroupAVChatRoom, 1},
			{app1, im.GroupCommunity, 0},
			{app2, "", 1},
			{1, "", 0},
		} {
			n, err := s.CountGroups(t.Context(), tt.app, tt.typ)
			ok(t, "count", err)
			equal(t, "count of "+string(tt.typ), n, tt.want)
		}
	})
}
