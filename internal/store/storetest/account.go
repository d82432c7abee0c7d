package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// RunAccounts checks im.AccountStore.
func RunAccounts(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("ImportAndGet", func(t *testing.T) {
		s := fresh(t, open)
		mustImport(t, s,
			account(app1, "alice", "Alice", 100, false),
			account(app1, "bob", "Bob", 101, true),
			account(app1, "carol", "", 102, false),
			account(app2, "alice", "Alice of app 2", 200, false),
		)
		tests := []struct {
			name string
			app  uint64
			ids  []string
			want map[string]im.Account
		}{
			{"some missing", app1, []string{"alice", "bob", "nobody"}, map[string]im.Account{
				"alice": account(app1, "alice", "Alice", 100, false).Account,
				"bob":   account(app1, "bob", "Bob", 101, false).Account,
			}},
			{"empty nick", app1, []string{"carol"}, map[string]im.Account{
				"carol": account(app1, "carol", "", 102, false).Account,
			}},
			{"other app", app2, []string{"alice", "bob"}, map[string]im.Account{
				"alice": account(app2, "alice", "Alice of app 2", 200, false).Account,
			}},
			{"no ids", app1, nil, map[string]im.Account{}},
			{"unknown app", 1, []string{"alice"}, map[string]im.Account{}},
		}
		for _, tt := range tests {
			got, err := s.GetAccounts(t.Context(), tt.app, tt.ids)
			ok(t, tt.name, err)
			equal(t, tt.name, got, tt.want)
		}
	})

	t.Run("ImportExisting", func(t *testing.T) {
		tests := []struct {
			name       string
			setProfile bool
			wantNick   string
		}{
			{"legacy form keeps profile", false, "Old"},
			{"AccountList form overwrites profile", true, "New"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				s := fresh(t, open)
				mustImport(t, s, account(app1, "alice", "Old", 100, false))
				again := account(app1, "alice", "New", 200, tt.setProfile)
				again.FaceURL = "https://img.example/new"
				mustImport(t, s, again)
				got, err := s.GetAccounts(t.Context(), app1, []string{"alice"})
				ok(t, "get", err)
				want := account(app1, "alice", tt.wantNick, 100, false).Account // CreatedAt never changes
				if tt.setProfile {
					want.FaceURL = again.FaceURL
				}
				equal(t, "account", got["alice"], want)
				n, err := s.CountAccounts(t.Context(), app1)
				ok(t, "count", err)
				equal(t, "count", n, 1)
			})
		}
	})

	t.Run("ImportDuplicateInBatch", func(t *testing.T) {
		s := fresh(t, open)
		mustImport(t, s, account(app1, "alice", "first", 100, true), account(app1, "alice", "second", 100, true))
		got, err := s.GetAccounts(t.Context(), app1, []string{"alice"})
		ok(t, "get", err)
		equal(t, "nick", got["alice"].Nick, "second")
	})

	t.Run("ImportNewOnly", func(t *testing.T) {
		// A batch of first logins: no profile fields, one ID twice, one
		// account that exists, then one bad item that must undo it all.
		s := fresh(t, open)
		mustImport(t, s, account(app1, "alice", "Old", 100, false))
		mustImport(t, s, account(app1, "bob", "", 200, false), account(app1, "alice", "", 200, false), account(app1, "bob", "", 300, false))
		got, err := s.GetAccounts(t.Context(), app1, []string{"alice", "bob"})
		ok(t, "get", err)
		equal(t, "accounts", got, map[string]im.Account{
			"alice": account(app1, "alice", "Old", 100, false).Account,
			"bob":   account(app1, "bob", "", 200, false).Account,
		})
		err = s.ImportAccounts(t.Context(), []im.AccountImport{account(app1, "carol", "", 1, false), account(app1, "", "", 1, false)})
		if err == nil {
			t.Fatal("import with an empty UserID succeeded")
		}
		got, err = s.GetAccounts(t.Context(), app1, []string{"carol"})
		ok(t, "get", err)
		equal(t, "carol after a failed import", len(got), 0)
	})

	t.Run("ImportAtomic", func(t *testing.T) {
		s := fresh(t, open)
		mustImport(t, s, account(app1, "alice", "Old", 100, false))
		// An empty UserID is refused by the schema: one bad item must undo
		// the inserts and updates before and after it.
		err := s.ImportAccounts(t.Context(), []im.AccountImport{
			account(app1, "bob", "Bob", 100, false),
			account(app1, "alice", "New", 100, true),
			account(app1, "", "nobody", 100, false),
			account(app1, "carol", "Carol", 100, false),
		})
		if err == nil {
			t.Fatal("import with an empty UserID succeeded")
		}
		got, err := s.GetAccounts(t.Context(), app1, []string{"alice", "bob", "carol"})
		ok(t, "get", err)
		equal(t, "accounts after failed import", got, map[string]im.Account{
			"alice": account(app1, "alice", "Old", 100, false).Account,
		})
	})

	t.Run("ImportNothing", func(t *testing.T) {
		s := fresh(t, open)
		ok(t, "import nil", s.ImportAccounts(t.Context(), nil))
	})

	t.Run("ManyIDs", func(t *testing.T) {
		// More IDs than one IN list may carry.
		s := fresh(t, open)
		var items []im.AccountImport
		var ids []string
		for i := range 1234 {
			id := fmt.Sprintf("user%04d", i)
			ids = append(ids, id)
			items = append(items, account(app1, id, "", 1, false))
		}
		mustImport(t, s, items...)
		got, err := s.GetAccounts(t.Context(), app1, ids)
		ok(t, "get", err)
		equal(t, "found", len(got), len(ids))
		for _, id := range ids[:700] {
			ok(t, "delete", s.DeleteAccount(t.Context(), app1, id, 50))
		}
		deleted, err := s.DeletedSince(t.Context(), app1, ids, 0)
		ok(t, "deleted since", err)
		equal(t, "deleted", len(deleted), 700)
	})

	t.Run("Count", func(t *testing.T) {
		s := fresh(t, open)
		mustImport(t, s,
			account(app1, "a", "", 1, false), account(app1, "b", "", 1, false), account(app1, "c", "", 1, false),
			account(app2, "a", "", 1, false))
		for _, tt := range []struct {
			app  uint64
			want int
		}{{app1, 3}, {app2, 1}, {1, 0}} {
			n, err := s.CountAccounts(t.Context(), tt.app)
			ok(t, "count", err)
			equal(t, fmt.Sprintf("count of app %d", tt.app), n, tt.want)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := fresh(t, open)
		mustImport(t, s, account(app1, "alice", "", 1, false), account(app1, "bob", "", 1, false),
			account(app2, "carol", "", 1, false))
		tests := []struct {
			name string
			app  uint64
			id   string
			want error
		}{
			{"missing", app1, "nobody", im.ErrNotFound},
			{"other app's account", app1, "carol", im.ErrNotFound},
			{"existing", app1, "alice", nil},
			{"already deleted", app1, "alice", im.ErrNotFound},
		}
		for _, tt := range tests {
			wantErr(t, tt.name, s.DeleteAccount(t.Context(), tt.app, tt.id, 1000), tt.want)
		}
		got, err := s.GetAccounts(t.Context(), app1, []string{"alice", "bob"})
		ok(t, "get", err)
		equal(t, "left", len(got), 1)
		if _, ok := got["bob"]; !ok {
			t.Fatal("bob went missing")
		}
		n, err := s.CountAccounts(t.Context(), app1)
		ok(t, "count", err)
		equal(t, "count", n, 1)
		n, err = s.CountAccounts(t.Context(), app2)
		ok(t, "count app2", err)
		equal(t, "count app2", n, 1)
	})

	t.Run("DeleteRemovesMemberships", func(t *testing.T) {
		s := fresh(t, open)
		mustImport(t, s, account(app1, "alice", "", 1, false), account(app1, "bob", "", 1, false),
			account(app2, "alice", "", 1, false))
		mustCreate(t, s, group(app1, "g1", im.GroupPublic), member("alice", im.RoleOwner, 10), member("bob", im.RoleMember, 11))
		mustCreate(t, s, group(app1, "g2", im.GroupPrivate), member("alice", im.RoleOwner, 10))
		mustCreate(t, s, group(app2, "g1", im.GroupPublic), member("alice", im.RoleOwner, 10))

		ok(t, "delete", s.DeleteAccount(t.Context(), app1, "alice", 1000))

		equal(t, "g1 member num", mustGet(t, s, app1, "g1").MemberNum, 1)
		equal(t, "g2 member num", mustGet(t, s, app1, "g2").MemberNum, 0)
		ms, err := s.ListMembers(t.Context(), app1, "g1")
		ok(t, "list members", err)
		equal(t, "g1 members", userIDs(ms), []string{"bob"})
		n, err := s.CountJoinedGroups(t.Context(), app1, "alice")
		ok(t, "count joined", err)
		equal(t, "alice's groups", n, 0)
		joined, err := s.ListJoinedGroups(t.Context(), app1, "alice")
		ok(t, "list joined", err)
		equal(t, "alice's joined groups", len(joined), 0)
		n, err = s.CountJoinedGroups(t.Context(), app1, "bob")
		ok(t, "count joined", err)
		equal(t, "bob's groups", n, 1)
		// The same UserID in another app keeps its group.
		equal(t, "app2 g1 member num", mustGet(t, s, app2, "g1").MemberNum, 1)
	})

	t.Run("DeletedSince", func(t *testing.T) {
		s := fresh(t, open)
		mustImport(t, s, account(app1, "alice", "", 1, false), account(app1, "bob", "", 1, false),
			account(app1, "carol", "", 1, false), account(app2, "alice", "", 1, false))
		ok(t, "delete", s.DeleteAccount(t.Context(), app1, "alice", 1000))
		ok(t, "delete", s.DeleteAccount(t.Context(), app1, "bob", 2000))
		ok(t, "delete", s.DeleteAccount(t.Context(), app2, "alice", 3000))
		all := []string{"alice", "bob", "carol", "nobody"}
		tests := []struct {
			name  string
			app   uint64
			ids   []string
			since int64
			want  map[string]int64
		}{
			{"all", app1, all, 0, map[string]int64{"alice": 1000, "bob": 2000}},
			{"since is inclusive", app1, all, 1000, map[string]int64{"alice": 1000, "bob": 2000}},
			{"after alice", app1, all, 1001, map[string]int64{"bob": 2000}},
			{"after both", app1, all, 2001, map[string]int64{}},
			{"only asked IDs", app1, []string{"bob"}, 0, map[string]int64{"bob": 2000}},
			{"no ids", app1, nil, 0, map[string]int64{}},
			{"other app", app2, all, 0, map[string]int64{"alice": 3000}},
		}
		for _, tt := range tests {
			got, err := s.DeletedSince(t.Context(), tt.app, tt.ids, tt.since)
			ok(t, tt.name, err)
			equal(t, tt.name, got, tt.want)
		}

		// Re-importing is allowed (the cool-down is the caller's rule) and
		// keeps the record; deleting again moves the time forward.
		mustImport(t, s, account(app1, "alice", "", 4000, false))
		got, err := s.DeletedSince(t.Context(), app1, []string{"alice"}, 0)
		ok(t, "after re-import", err)
		equal(t, "after re-import", got, map[string]int64{"alice": 1000})
		ok(t, "delete again", s.DeleteAccount(t.Context(), app1, "alice", 5000))
		got, err = s.DeletedSince(t.Context(), app1, []string{"alice"}, 0)
		ok(t, "after second delete", err)
		equal(t, "after second delete", got, map[string]int64{"alice": 5000})
	})

	t.Run("ConcurrentImports", func(t *testing.T) {
		// Writers racing on overlapping IDs must all succeed: no
		// SQLITE_BUSY, no PostgreSQL deadlock.
		s := fresh(t, open)
		const writers, own, shared = 20, 10, 5
		errs := make(chan error, 2*writers)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				var items []im.AccountImport
				for i := range own {
					items = append(items, account(app1, fmt.Sprintf("w%02d-%02d", w, i), "", 1, false))
				}
				// Shared IDs in opposite orders for odd and even writers.
				for i := range shared {
					j := i
					if w%2 == 1 {
						j = shared - 1 - i
					}
					items = append(items, account(app1, fmt.Sprintf("shared-%d", j), fmt.Sprint(w), 1, true))
				}
				errs <- s.ImportAccounts(t.Context(), items)
			})
			wg.Go(func() {
				_, err := s.GetAccounts(t.Context(), app1, []string{"shared-0", fmt.Sprintf("w%02d-00", w)})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			ok(t, "concurrent call", err)
		}
		n, err := s.CountAccounts(t.Context(), app1)
		ok(t, "count", err)
		equal(t, "count", n, writers*own+shared)
	})
}

// RunLoginRevocations checks RevokeLogins and its effect on GetAccounts.
func RunLoginRevocations(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("RevokeLogins", func(t *testing.T) {
		s := fresh(t, open)
		ctx := context.Background()
		if err := s.ImportAccounts(ctx, []im.AccountImport{{Account: im.Account{AppID: app1, UserID: "alice", CreatedAt: 10}}}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			before, want int64
		}{
			{100, 100},
			{50, 100}, // never moves back
			{200, 200},
		} {
			if err := s.RevokeLogins(ctx, app1, "alice", tc.before); err != nil {
				t.Fatal(err)
			}
			got, err := s.GetAccounts(ctx, app1, []string{"alice"})
			if err != nil {
				t.Fatal(err)
			}
			if got["alice"].LoginsRevokedBefore != tc.want {
				t.Fatalf("after revoking before %d: %d, want %d", tc.before, got["alice"].LoginsRevokedBefore, tc.want)
			}
		}
		if err := s.RevokeLogins(ctx, app1, "ghost", 100); !errors.Is(err, im.ErrNotFound) {
			t.Fatalf("revoking a missing account: %v, want ErrNotFound", err)
		}
		if err := s.RevokeLogins(ctx, app2, "alice", 100); !errors.Is(err, im.ErrNotFound) {
			t.Fatalf("revoking in another app: %v, want ErrNotFound", err)
		}
	})
}
