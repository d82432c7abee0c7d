package storetest

import (
	"fmt"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// RunBans checks the live-group ban half of im.GroupStore.
func RunBans(t *testing.T, open func(t *testing.T) im.Store) {
	// banned returns a store holding group g (and g of app2) with five bans,
	// two of which have ended by now=1000.
	banned := func(t *testing.T) im.Store {
		t.Helper()
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupAVChatRoom))
		mustCreate(t, s, group(app1, "other", im.GroupAVChatRoom))
		mustCreate(t, s, group(app2, "g", im.GroupAVChatRoom))
		ok(t, "ban", s.BanMembers(t.Context(), app1, "g", []im.Ban{
			{UserID: "carol", Until: 2000, Description: "c"},
			{UserID: "alice", Until: 3000, Description: "a"},
			{UserID: "bob", Until: 1500},
			{UserID: "dave", Until: 1000, Description: "ends exactly now"},
			{UserID: "erin", Until: 999, Description: "ended"},
		}))
		ok(t, "ban other group", s.BanMembers(t.Context(), app1, "other", []im.Ban{{UserID: "zed", Until: 9000}}))
		ok(t, "ban other app", s.BanMembers(t.Context(), app2, "g", []im.Ban{{UserID: "yan", Until: 9000}}))
		return s
	}
	alice := im.Ban{UserID: "alice", Until: 3000, Description: "a"}
	bob := im.Ban{UserID: "bob", Until: 1500}
	carol := im.Ban{UserID: "carol", Until: 2000, Description: "c"}

	t.Run("ListBans", func(t *testing.T) {
		s := banned(t)
		tests := []struct {
			name          string
			app           uint64
			group         string
			now           int64
			offset, limit int
			want          []im.Ban
		}{
			{"in force, by UserID", app1, "g", 1000, 0, 10, []im.Ban{alice, bob, carol}},
			{"first page", app1, "g", 1000, 0, 2, []im.Ban{alice, bob}},
			{"second page", app1, "g", 1000, 2, 2, []im.Ban{carol}},
			{"past the end", app1, "g", 1000, 3, 2, nil},
			{"middle", app1, "g", 1000, 1, 1, []im.Ban{bob}},
			{"later", app1, "g", 1600, 0, 10, []im.Ban{alice, carol}},
			{"earlier", app1, "g", 0, 0, 10, []im.Ban{alice, bob, carol,
				{UserID: "dave", Until: 1000, Description: "ends exactly now"}, {UserID: "erin", Until: 999, Description: "ended"}}},
			{"all ended", app1, "g", 3000, 0, 10, nil},
			{"other group", app1, "other", 1000, 0, 10, []im.Ban{{UserID: "zed", Until: 9000}}},
			{"other app", app2, "g", 1000, 0, 10, []im.Ban{{UserID: "yan", Until: 9000}}},
			{"no such group", app1, "nope", 1000, 0, 10, nil},
		}
		for _, tt := range tests {
			got, err := s.ListBans(t.Context(), tt.app, tt.group, tt.now, tt.offset, tt.limit)
			ok(t, tt.name, err)
			if len(got) == 0 {
				got = nil
			}
			equal(t, tt.name, got, tt.want)
		}
	})

	t.Run("BannedUntil", func(t *testing.T) {
		s := banned(t)
		tests := []struct {
			name, group, user string
			now, want         int64
		}{
			{"banned", "g", "alice", 1000, 3000},
			{"ends exactly now", "g", "dave", 1000, 0},
			{"ended", "g", "erin", 1000, 0},
			{"before it ends", "g", "dave", 999, 1000},
			{"never banned", "g", "nobody", 1000, 0},
			{"banned in another group", "g", "zed", 1000, 0},
			{"no such group", "nope", "alice", 1000, 0},
		}
		for _, tt := range tests {
			got, err := s.BannedUntil(t.Context(), app1, tt.group, tt.user, tt.now)
			ok(t, tt.name, err)
			equal(t, tt.name, got, tt.want)
		}
		got, err := s.BannedUntil(t.Context(), app2, "g", "alice", 1000)
		ok(t, "other app", err)
		equal(t, "other app", got, int64(0))
	})

	t.Run("Reban", func(t *testing.T) {
		s := banned(t)
		steps := []struct {
			name string
			ban  im.Ban
		}{
			{"extend", im.Ban{UserID: "alice", Until: 5000, Description: "longer"}},
			{"shorten", im.Ban{UserID: "alice", Until: 1200, Description: "shorter"}},
			{"revive an ended ban", im.Ban{UserID: "erin", Until: 4000, Description: "again"}},
		}
		for _, st := range steps {
			ok(t, st.name, s.BanMembers(t.Context(), app1, "g", []im.Ban{st.ban}))
			got, err := s.BannedUntil(t.Context(), app1, "g", st.ban.UserID, 1000)
			ok(t, st.name, err)
			equal(t, st.name+": until", got, st.ban.Until)
			bans, err := s.ListBans(t.Context(), app1, "g", 1000, 0, 10)
			ok(t, st.name, err)
			found := false
			for _, b := range bans {
				if b.UserID == st.ban.UserID {
					found = true
					equal(t, st.name+": ban", b, st.ban)
				}
			}
			if !found {
				t.Fatalf("%s: %s not listed", st.name, st.ban.UserID)
			}
		}
	})

	t.Run("Unban", func(t *testing.T) {
		s := banned(t)
		ok(t, "unban", s.UnbanMembers(t.Context(), app1, "g", []string{"alice", "nobody", "erin"}))
		ok(t, "unban nothing", s.UnbanMembers(t.Context(), app1, "g", nil))
		ok(t, "unban in missing group", s.UnbanMembers(t.Context(), app1, "nope", []string{"alice"}))
		got, err := s.ListBans(t.Context(), app1, "g", 0, 0, 10)
		ok(t, "list", err)
		equal(t, "left", got, []im.Ban{bob, carol, {UserID: "dave", Until: 1000, Description: "ends exactly now"}})
		until, err := s.BannedUntil(t.Context(), app1, "g", "alice", 1000)
		ok(t, "banned until", err)
		equal(t, "alice", until, int64(0))
		// Other groups and apps keep their bans.
		for _, tt := range []struct {
			app         uint64
			group, user string
		}{{app1, "other", "zed"}, {app2, "g", "yan"}} {
			until, err := s.BannedUntil(t.Context(), tt.app, tt.group, tt.user, 1000)
			ok(t, "banned until", err)
			equal(t, fmt.Sprintf("%d/%s/%s", tt.app, tt.group, tt.user), until, int64(9000))
		}
	})

	t.Run("ManyUnbans", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupAVChatRoom))
		var bans []im.Ban
		var ids []string
		for i := range 1100 {
			id := fmt.Sprintf("u%04d", i)
			bans = append(bans, im.Ban{UserID: id, Until: 9000})
			ids = append(ids, id)
		}
		ok(t, "ban", s.BanMembers(t.Context(), app1, "g", bans))
		ok(t, "unban", s.UnbanMembers(t.Context(), app1, "g", ids[:1050]))
		got, err := s.ListBans(t.Context(), app1, "g", 0, 0, 2000)
		ok(t, "list", err)
		equal(t, "left", len(got), 50)
	})

	t.Run("BanNothing", func(t *testing.T) {
		s := fresh(t, open)
		ok(t, "ban nobody", s.BanMembers(t.Context(), app1, "nope", nil))
	})

	t.Run("BanInMissingGroup", func(t *testing.T) {
		// Not in the interface comment, but the SQL store guarantees it: a
		// ban needs its group.
		s := fresh(t, open)
		err := s.BanMembers(t.Context(), app1, "nope", []im.Ban{{UserID: "alice", Until: 9000}})
		wantErr(t, "ban in missing group", err, im.ErrNotFound)
	})
}
