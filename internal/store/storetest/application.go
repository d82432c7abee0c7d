package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// RunApplications checks the join applications of im.GroupStore.
func RunApplications(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("PutListDelete", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic), member("alice", im.RoleOwner, 1))
		mustCreate(t, s, group(app2, "g", im.GroupPublic))
		for _, a := range []im.Application{{UserID: "zed", Message: "hi", Time: 10}, {UserID: "bob", Message: "me", Time: 20}, {UserID: "amy", Time: 20}} {
			ok(t, "put "+a.UserID, s.PutApplication(t.Context(), app1, "g", a))
		}
		// Applying again replaces the message and the time.
		ok(t, "put again", s.PutApplication(t.Context(), app1, "g", im.Application{UserID: "zed", Message: "again", Time: 30}))
		wantErr(t, "no such group", s.PutApplication(t.Context(), app1, "nope", im.Application{UserID: "bob", Time: 1}), im.ErrNotFound)

		for _, tt := range []struct {
			name          string
			app           uint64
			offset, limit int
			want          []im.Application
		}{
			{"oldest first, then by UserID", app1, 0, 10, []im.Application{{UserID: "amy", Time: 20}, {UserID: "bob", Message: "me", Time: 20}, {UserID: "zed", Message: "again", Time: 30}}},
			{"a page", app1, 1, 1, []im.Application{{UserID: "bob", Message: "me", Time: 20}}},
			{"past the end", app1, 3, 10, nil},
			{"other app", app2, 0, 10, nil},
		} {
			got, err := s.ListApplications(t.Context(), tt.app, "g", tt.offset, tt.limit)
			ok(t, tt.name, err)
			equal(t, tt.name, got, tt.want)
		}
		got, err := s.GetApplication(t.Context(), app1, "g", "bob")
		ok(t, "get", err)
		equal(t, "get", got, &im.Application{UserID: "bob", Message: "me", Time: 20})
		_, err = s.GetApplication(t.Context(), app2, "g", "bob")
		wantErr(t, "get in another app", err, im.ErrNotFound)

		ok(t, "delete", s.DeleteApplication(t.Context(), app1, "g", "bob"))
		wantErr(t, "delete twice", s.DeleteApplication(t.Context(), app1, "g", "bob"), im.ErrNotFound)
		_, err = s.GetApplication(t.Context(), app1, "g", "bob")
		wantErr(t, "get deleted", err, im.ErrNotFound)
	})

	t.Run("Approve", func(t *testing.T) {
		s := fresh(t, open)
		g := group(app1, "g", im.GroupPublic)
		g.MaxMemberNum = 2
		mustCreate(t, s, g, member("alice", im.RoleOwner, 1))
		for _, u := range []string{"bob", "carol", "alice"} {
			ok(t, "put "+u, s.PutApplication(t.Context(), app1, "g", im.Application{UserID: u, Time: 5}))
		}
		bob := member("bob", im.RoleMember, 6)
		bob.MuteUntil = 0
		added, err := s.ApproveApplication(t.Context(), app1, "g", bob)
		ok(t, "approve", err)
		equal(t, "added", added, true)
		ms, err := s.GetMembers(t.Context(), app1, "g", []string{"bob"})
		ok(t, "members", err)
		equal(t, "bob as given", ms["bob"], bob)
		equal(t, "member num", mustGet(t, s, app1, "g").MemberNum, 2)

		_, err = s.ApproveApplication(t.Context(), app1, "g", bob)
		wantErr(t, "approved twice", err, im.ErrNotFound)
		_, err = s.ApproveApplication(t.Context(), app1, "g", member("carol", im.RoleMember, 6))
		wantErr(t, "full", err, im.ErrFull)
		_, err = s.GetApplication(t.Context(), app1, "g", "carol")
		ok(t, "a refused approval keeps the application", err)

		// A member's stray application goes, and nobody is added.
		added, err = s.ApproveApplication(t.Context(), app1, "g", member("alice", im.RoleMember, 6))
		ok(t, "approve a member", err)
		equal(t, "a member is not added again", added, false)
		wantErr(t, "member's application gone", s.DeleteApplication(t.Context(), app1, "g", "alice"), im.ErrNotFound)
	})

	t.Run("GoneWhenMemberOrGroupGoes", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic), member("alice", im.RoleOwner, 1))
		for _, u := range []string{"bob", "carol"} {
			ok(t, "put "+u, s.PutApplication(t.Context(), app1, "g", im.Application{UserID: u, Time: 5}))
		}
		_, err := s.AddMembers(t.Context(), app1, "g", []im.Member{{UserID: "bob", Role: im.RoleMember}})
		ok(t, "add bob", err)
		got, err := s.ListApplications(t.Context(), app1, "g", 0, 10)
		ok(t, "list", err)
		equal(t, "bob's application went with his joining", got, []im.Application{{UserID: "carol", Time: 5}})

		ok(t, "delete group", s.DeleteGroup(t.Context(), app1, "g"))
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		got, err = s.ListApplications(t.Context(), app1, "g", 0, 10)
		ok(t, "list after recreate", err)
		equal(t, "applications went with the group", got, []im.Application(nil))
	})

	t.Run("ApproveConcurrently", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		ok(t, "put", s.PutApplication(t.Context(), app1, "g", im.Application{UserID: "bob", Time: 5}))
		var wg sync.WaitGroup
		results := make(chan string, 8)
		for range 8 {
			wg.Go(func() {
				added, err := s.ApproveApplication(t.Context(), app1, "g", im.Member{UserID: "bob", Role: im.RoleMember})
				results <- fmt.Sprint(added, err != nil)
			})
		}
		wg.Wait()
		close(results)
		counts := map[string]int{}
		for r := range results {
			counts[r]++
		}
		equal(t, "one approver adds, the others find nothing", counts, map[string]int{"true false": 1, "false true": 7})
		equal(t, "member num", mustGet(t, s, app1, "g").MemberNum, 1)
	})
}
