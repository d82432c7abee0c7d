package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// RunOpsPush checks im.RobotStore, im.PushStore and im.OpsStore.
func RunOpsPush(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("Robots", func(t *testing.T) { RunRobots(t, open) })
	t.Run("Push", func(t *testing.T) { RunPush(t, open) })
	t.Run("Ops", func(t *testing.T) { RunOps(t, open) })
}

// RunRobots checks im.RobotStore.
func RunRobots(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("MarkListInvalidate", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "@RBT#b", "@RBT#a", "@RBT#c")
		mustImport(t, s, account(app2, "@RBT#a", "", 1, false))
		ctx := t.Context()
		ok(t, "mark b", s.MarkRobot(ctx, app1, "@RBT#b", 10, 2))
		ok(t, "mark a", s.MarkRobot(ctx, app1, "@RBT#a", 11, 2))
		ok(t, "mark a again at the cap", s.MarkRobot(ctx, app1, "@RBT#a", 12, 2))
		wantErr(t, "a third over the cap", s.MarkRobot(ctx, app1, "@RBT#c", 13, 2), im.ErrConflict)
		wantErr(t, "no account", s.MarkRobot(ctx, app1, "@RBT#nobody", 13, 5), im.ErrNotFound)
		list, err := s.ListRobots(ctx, app1)
		ok(t, "list", err)
		equal(t, "listed in ID order", list, []string{"@RBT#a", "@RBT#b"})
		other, err := s.ListRobots(ctx, app2)
		ok(t, "list other app", err)
		equal(t, "other app", other, []string{})

		ok(t, "invalidate a", s.InvalidateRobot(ctx, app1, "@RBT#a"))
		ok(t, "invalidate a again", s.InvalidateRobot(ctx, app1, "@RBT#a"))
		wantErr(t, "invalidate a non-robot", s.InvalidateRobot(ctx, app1, "@RBT#c"), im.ErrNotFound)
		list, _ = s.ListRobots(ctx, app1)
		equal(t, "invalid not listed", list, []string{"@RBT#b"})
		ok(t, "c fits now", s.MarkRobot(ctx, app1, "@RBT#c", 14, 2))
		wantErr(t, "a again over the cap", s.MarkRobot(ctx, app1, "@RBT#a", 15, 2), im.ErrConflict)
		accounts, err := s.GetAccounts(ctx, app1, []string{"@RBT#a"})
		ok(t, "get account", err)
		equal(t, "an invalid robot keeps its account", len(accounts), 1)
		ok(t, "delete account", s.DeleteAccount(ctx, app1, "@RBT#c", 20))
		list, _ = s.ListRobots(ctx, app1)
		equal(t, "a deleted account is no robot", list, []string{"@RBT#b"})
	})
}

// pushAt is a push made at ms, kept until expire.
func pushAt(random uint32, ms, expire int64, cond im.PushCondition) im.PushCommit {
	return im.PushCommit{
		Push: im.AllMemberPush{AppID: app1, MsgRandom: random, TimeMs: ms, ExpireAt: expire, From: "admin",
			Body: json.RawMessage(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]`), Condition: cond},
		DedupSinceMs: ms - 7000, MinGapMs: 1000, DayStartMs: ms - 10_000, DailyLimit: 3,
	}
}

// RunPush checks im.PushStore.
func RunPush(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("AttrNames", func(t *testing.T) {
		s := fresh(t, open)
		ctx := t.Context()
		ok(t, "set", s.SetPushAttrNames(ctx, app1, map[int]string{0: "plan", 1: "region"}))
		ok(t, "merge", s.SetPushAttrNames(ctx, app1, map[int]string{1: "area", 9: "lang"}))
		wantErr(t, "a name twice", s.SetPushAttrNames(ctx, app1, map[int]string{2: "plan"}), im.ErrConflict)
		ok(t, "swap-free rename onto a freed name", s.SetPushAttrNames(ctx, app1, map[int]string{0: "tier", 2: "plan"}))
		names, err := s.PushAttrNames(ctx, app1)
		ok(t, "get", err)
		equal(t, "names", names, map[int]string{0: "tier", 1: "area", 2: "plan", 9: "lang"})
		other, err := s.PushAttrNames(ctx, app2)
		ok(t, "other app", err)
		equal(t, "other app", other, map[int]string{})
	})

	t.Run("AttrsAndTags", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob", "carol")
		ctx := t.Context()
		ok(t, "set attrs", s.SetPushAttrs(ctx, app1, []im.UserPushAttrs{
			{UserID: "alice", Attrs: map[int]string{0: "pro", 1: "eu"}}, {UserID: "bob", Attrs: map[int]string{1: "apac"}},
		}))
		ok(t, "overwrite one", s.SetPushAttrs(ctx, app1, []im.UserPushAttrs{{UserID: "alice", Attrs: map[int]string{0: "free"}}}))
		wantErr(t, "attrs of no account", s.SetPushAttrs(ctx, app1, []im.UserPushAttrs{
			{UserID: "carol", Attrs: map[int]string{0: "x"}}, {UserID: "nobody", Attrs: map[int]string{0: "x"}},
		}), im.ErrNotFound)
		ok(t, "remove", s.RemovePushAttrs(ctx, app1, []im.UserPushSlots{{UserID: "bob", Slots: []int{1, 5}}, {UserID: "nobody", Slots: []int{0}}}))

		ok(t, "add tags", s.AddPushTags(ctx, app1, []im.UserPushTags{{UserID: "alice", Tags: []string{"vip", "beta"}}, {UserID: "bob", Tags: []string{"beta"}}}, 3))
		ok(t, "add a held tag", s.AddPushTags(ctx, app1, []im.UserPushTags{{UserID: "alice", Tags: []string{"vip", "new"}}}, 3))
		wantErr(t, "a fourth tag", s.AddPushTags(ctx, app1, []im.UserPushTags{
			{UserID: "bob", Tags: []string{"x"}}, {UserID: "alice", Tags: []string{"four"}},
		}, 3), im.ErrTooManyTags)
		wantErr(t, "tags of no account", s.AddPushTags(ctx, app1, []im.UserPushTags{{UserID: "nobody", Tags: []string{"x"}}}, 3), im.ErrNotFound)
		ok(t, "remove tags", s.RemovePushTags(ctx, app1, []im.UserPushTags{{UserID: "alice", Tags: []string{"new", "absent"}}}))

		got, err := s.PushProfiles(ctx, app1, []string{"alice", "bob", "carol", "nobody"})
		ok(t, "profiles", err)
		equal(t, "profiles", got, map[string]im.PushProfile{
			"alice": {Attrs: map[int]string{0: "free", 1: "eu"}, Tags: map[string]bool{"vip": true, "beta": true}},
			"bob":   {Attrs: map[int]string{}, Tags: map[string]bool{"beta": true}},
		})
		ok(t, "remove all tags", s.RemoveAllPushTags(ctx, app1, []string{"alice", "bob", "nobody"}))
		got, _ = s.PushProfiles(ctx, app1, []string{"alice", "bob"})
		equal(t, "no tags left", got, map[string]im.PushProfile{"alice": {Attrs: map[int]string{0: "free", 1: "eu"}, Tags: map[string]bool{}}})
		ok(t, "delete account", s.DeleteAccount(ctx, app1, "alice", 5))
		got, _ = s.PushProfiles(ctx, app1, []string{"alice"})
		equal(t, "deleted with the account", got, map[string]im.PushProfile{})
	})

	t.Run("CommitAndList", func(t *testing.T) {
		s := fresh(t, open)
		ctx := t.Context()
		cond := im.PushCondition{TagsOr: []string{"vip"}, AttrsAnd: map[int]string{3: "x"}}
		p, dup, err := s.CommitPush(ctx, pushAt(7, 100_000, 200, cond))
		ok(t, "first", err)
		equal(t, "first", [3]any{p.Seq, dup, p.Condition}, [3]any{int64(1), false, cond})
		_, _, err = s.CommitPush(ctx, pushAt(8, 100_999, 200, im.PushCondition{}))
		wantErr(t, "within the gap", err, im.ErrPushTooSoon)
		again, dup, err := s.CommitPush(ctx, pushAt(7, 100_500, 300, im.PushCondition{}))
		ok(t, "same random", err)
		equal(t, "the original", [3]any{again.Seq, dup, again.TimeMs}, [3]any{int64(1), true, int64(100_000)})
		c := pushAt(9, 101_000, 200, im.PushCondition{})
		c.Push.OfflinePushInfo = json.RawMessage(`{"Title":"t"}`)
		p2, _, err := s.CommitPush(ctx, c)
		ok(t, "second", err)
		equal(t, "second seq", p2.Seq, int64(2))
		_, _, err = s.CommitPush(ctx, pushAt(10, 102_000, 90, im.PushCondition{}))
		ok(t, "third, expired when made", err)
		_, _, err = s.CommitPush(ctx, pushAt(11, 103_000, 200, im.PushCondition{}))
		wantErr(t, "over the day's three", err, im.ErrPushQuota)

		list, head, err := s.ListPushes(ctx, app1, 0, 100, 10)
		ok(t, "list", err)
		equal(t, "head", head, int64(3))
		seqs := []int64{}
		for _, p := range list {
			seqs = append(seqs, p.Seq)
		}
		equal(t, "unexpired, in order", seqs, []int64{1, 2})
		equal(t, "stored fields", [3]string{list[1].From, string(list[1].Body), string(list[1].OfflinePushInfo)},
			[3]string{"admin", `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]`, `{"Title":"t"}`})
		list, _, _ = s.ListPushes(ctx, app1, 1, 100, 1)
		equal(t, "after 1, one", [2]any{len(list), list[0].Seq}, [2]any{1, int64(2)})

		// A new day; the window (7 s back) drops the earlier pushes.
		p4, _, err := s.CommitPush(ctx, pushAt(11, 113_000, 200, im.PushCondition{}))
		ok(t, "a new day", err)
		equal(t, "fourth", p4.Seq, int64(4))
		list, head, _ = s.ListPushes(ctx, app1, 0, 100, 10)
		equal(t, "pruned", [3]any{len(list), list[0].Seq, head}, [3]any{1, int64(4), int64(4)})
		none, head, err := s.ListPushes(ctx, app2, 0, 100, 10)
		ok(t, "other app", err)
		equal(t, "other app", [2]any{len(none), head}, [2]any{0, int64(0)})
	})
}

// RunOps checks im.OpsStore.
func RunOps(t *testing.T, open func(t *testing.T) im.Store) {
	const day = 86400
	t.Run("DailyStats", func(t *testing.T) {
		s := fresh(t, open)
		ctx := t.Context()
		// Day numbers in UTC+1 (offset 3600): day 10 runs from 10*86400-3600.
		d10, d11 := int64(10*day-3600), int64(11*day-3600)
		mustImport(t, s, account(app1, "old", "", d10-5, false), account(app1, "alice", "", d10+5, false),
			account(app1, "bob", "", d11+5, false), account(app1, "carol", "", d11+6, false), account(app2, "x", "", d10, false))
		g := group(app1, "g1", im.GroupPublic)
		g.CreateTime = d11
		mustCreate(t, s, g, member("alice", "Owner", d11), member("bob", "Member", d11+1), member("carol", "Member", d10+9))
		old := group(app1, "g0", im.GroupPublic)
		old.CreateTime = d10 - 100
		mustCreate(t, s, old)
		for i, m := range []im.C2CMessage{
			{From: "alice", To: "bob", Time: d10 + 60}, {From: "alice", To: "bob", Time: d10 + 61}, {From: "bob", To: "alice", Time: d11 + 60},
		} {
			m.AppID, m.Seq, m.Random, m.Body = app1, uint32(i+1), uint32(i+1), json.RawMessage(`[]`)
			sendC2C(t, s, m, 0)
		}
		for _, at := range []int64{d11 + 100, d11 + 101} {
			gm := im.GroupMessage{AppID: app1, GroupID: "g1", From: "carol", Time: at, Priority: im.PriorityNormal, Body: json.RawMessage(`[]`)}
			_, err := s.CommitStream(ctx, []im.StreamWrite{{AppID: app1, Time: at, Group: &im.GroupAppend{Msg: gm, Keep: true}}})
			ok(t, "group message", err)
		}
		relate(t, s, []string{"alice", "bob"}, im.RelationWrite{PutFriends: []im.OwnedFriend{
			{Owner: "alice", Friend: im.Friend{UserID: "bob", AddTime: d11 + 7}}, {Owner: "bob", Friend: im.Friend{UserID: "alice", AddTime: d11 + 7}},
		}})

		got, err := s.DailyStats(ctx, app1, 9, 11, 3600)
		ok(t, "stats", err)
		equal(t, "days", got, []im.DayStats{
			{Day: 9, NewAccounts: 1, Accounts: 1, Groups: 1, NewGroups: 1},
			{Day: 10, NewAccounts: 1, Accounts: 2, C2CMsgs: 2, C2CSenders: 1, Senders: 1, GroupJoins: 1, Groups: 1},
			{Day: 11, NewAccounts: 2, Accounts: 4, C2CMsgs: 1, C2CSenders: 1, GroupMsgs: 2, GroupSenders: 1, GroupsWithMsgs: 1,
				GroupDeliveries: 4, Senders: 2, NewFriends: 2, GroupJoins: 2, NewGroups: 1, Groups: 2},
		})
		got, err = s.DailyStats(ctx, app1, 11, 11, 3600)
		ok(t, "one day", err)
		equal(t, "totals count the days before", [2]int64{got[0].Accounts, got[0].Groups}, [2]int64{4, 2})
	})

	t.Run("MessagesByTime", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob")
		mustCreate(t, s, group(app1, "g2", im.GroupPublic))
		mustCreate(t, s, group(app1, "g1", im.GroupPublic))
		for i, at := range []int64{1001, 999, 1000, 2000} {
			m := im.C2CMessage{AppID: app1, From: "bob", To: "alice", Seq: uint32(i), Random: 1, Time: at, Body: json.RawMessage(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"t"}}]`), CloudCustomData: "c"}
			sendC2C(t, s, m, 0)
		}
		for _, g := range []string{"g2", "g1", "g2"} {
			gm := im.GroupMessage{AppID: app1, GroupID: g, From: "bob", Time: 1500, Priority: im.PriorityHigh, Body: json.RawMessage(`[]`)}
			_, err := s.CommitStream(t.Context(), []im.StreamWrite{{AppID: app1, Time: 1500, Group: &im.GroupAppend{Msg: gm, Keep: true}}})
			ok(t, "group message", err)
		}
		c2c, err := s.ListC2CBetween(t.Context(), app1, 1000, 2000)
		ok(t, "c2c", err)
		times := []int64{}
		for _, m := range c2c {
			times = append(times, m.Time)
		}
		equal(t, "c2c in range, by time", times, []int64{1000, 1001})
		equal(t, "c2c fields", [3]string{c2c[0].From, c2c[0].To, c2c[0].CloudCustomData}, [3]string{"bob", "alice", "c"})
		gms, err := s.ListGroupBetween(t.Context(), app1, 1000, 2000)
		ok(t, "group", err)
		keys := []string{}
		for _, m := range gms {
			keys = append(keys, fmt.Sprintf("%s:%d", m.GroupID, m.Seq))
		}
		// The fixture's groups start at MsgSeq 42.
		equal(t, "group messages by time, group, seq", keys, []string{"g1:42", "g2:42", "g2:43"})
		none, err := s.ListC2CBetween(t.Context(), app2, 0, 5000)
		ok(t, "other app", err)
		equal(t, "other app", len(none), 0)
	})

	t.Run("Archives", func(t *testing.T) {
		s := fresh(t, open)
		ctx := t.Context()
		part := func(hour int64, n int, data string) im.ArchivePart {
			return im.ArchivePart{AppID: app1, ChatType: "C2C", Hour: hour, Part: n, RawSize: 10, RawMD5: "r", GzSize: int64(len(data)),
				GzMD5: "g", Data: []byte(data), Created: 5}
		}
		parts, err := s.ArchiveParts(ctx, app1, "C2C", 3600)
		ok(t, "none yet", err)
		equal(t, "none yet", len(parts), 0)
		ok(t, "put", s.PutArchive(ctx, []im.ArchivePart{part(3600, 0, "a\x00b"), part(3600, 1, "cd")}))
		wantErr(t, "put twice", s.PutArchive(ctx, []im.ArchivePart{part(3600, 0, "x")}), im.ErrConflict)
		ok(t, "another hour", s.PutArchive(ctx, []im.ArchivePart{part(7200, 0, "e")}))
		parts, err = s.ArchiveParts(ctx, app1, "C2C", 3600)
		ok(t, "parts", err)
		equal(t, "parts without data", parts, []im.ArchivePart{
			{AppID: app1, ChatType: "C2C", Hour: 3600, Part: 0, RawSize: 10, RawMD5: "r", GzSize: 3, GzMD5: "g", Created: 5},
			{AppID: app1, ChatType: "C2C", Hour: 3600, Part: 1, RawSize: 10, RawMD5: "r", GzSize: 2, GzMD5: "g", Created: 5},
		})
		data, err := s.ArchiveData(ctx, app1, "C2C", 3600, 0)
		ok(t, "data", err)
		equal(t, "data", string(data), "a\x00b")
		_, err = s.ArchiveData(ctx, app1, "Group", 3600, 0)
		wantErr(t, "other chat type", err, im.ErrNotFound)
		ok(t, "prune", s.PruneArchives(ctx, 7200))
		_, err = s.ArchiveData(ctx, app1, "C2C", 3600, 1)
		wantErr(t, "pruned", err, im.ErrNotFound)
		_, err = s.ArchiveData(ctx, app1, "C2C", 7200, 0)
		ok(t, "kept", err)
	})

	t.Run("NodeAddrs", func(t *testing.T) {
		s := fresh(t, open)
		ctx := t.Context()
		ok(t, "node a", s.SeeNodeAddrs(ctx, []string{"10.0.0.2", "10.0.0.1"}, 100))
		ok(t, "node b", s.SeeNodeAddrs(ctx, []string{"10.0.0.3"}, 50))
		ok(t, "node a again", s.SeeNodeAddrs(ctx, []string{"10.0.0.1"}, 200))
		got, err := s.NodeAddrs(ctx, 100)
		ok(t, "list", err)
		equal(t, "seen since 100", got, []string{"10.0.0.1", "10.0.0.2"})
	})
}
