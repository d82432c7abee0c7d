package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// tv is a profile or friend field.
func tv(tag, value string) im.TagValue { return im.TagValue{Tag: tag, Value: json.RawMessage(value)} }

// event is one stream write telling user what.
func event(user, what string) im.StreamWrite {
	return im.StreamWrite{AppID: app1, Time: 1000, UserEvents: []im.UserEventAppend{{UserID: user, Payload: payload(what), ExpireAt: 2000}}}
}

// RunUsers checks im.ProfileStore and im.RelationStore.
func RunUsers(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("Profiles", func(t *testing.T) { RunProfiles(t, open) })
	t.Run("Relations", func(t *testing.T) { RunRelations(t, open) })
}

// RunProfiles checks im.ProfileStore.
func RunProfiles(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("SetAndGet", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob")
		mustImport(t, s, account(app2, "alice", "other app", 1, true))
		ctx := t.Context()
		res, err := s.SetProfile(ctx, app1, "alice", []im.TagValue{
			tv(im.TagNick, `"Alice & <b>"`), tv("Tag_Profile_IM_Level", `7`), tv("Tag_Profile_Custom_Hobby", `"chess \u0000"`),
		}, []im.StreamWrite{event("alice", "changed"), event("bob", "friend changed")})
		ok(t, "set", err)
		equal(t, "events committed", []int64{res[0].UserSeqs[0], res[1].UserSeqs[0]}, []int64{1, 1})
		got, _ := userEvents(t, s, "bob", 0, 1000)
		equal(t, "bob's stream", got, []string{"1:friend changed"})
		_, err = s.SetProfile(ctx, app1, "alice", []im.TagValue{tv("Tag_Profile_IM_Level", `8`), tv(im.TagImage, `"https://img/a"`)}, nil)
		ok(t, "replace", err)

		tags := []string{"Tag_Profile_Custom_Hobby", im.TagImage, "Tag_Profile_IM_Gender", "Tag_Profile_IM_Level", im.TagNick}
		profiles, err := s.GetProfiles(ctx, app1, []string{"alice", "bob", "nobody"}, tags)
		ok(t, "get", err)
		equal(t, "profiles", profiles, map[string][]im.TagValue{
			"alice": {tv("Tag_Profile_Custom_Hobby", `"chess \u0000"`), tv(im.TagImage, `"https://img/a"`), tv("Tag_Profile_IM_Level", `8`),
				tv(im.TagNick, `"Alice & <b>"`)},
			"bob": {tv(im.TagImage, `"https://img.example/bob"`)},
		})
		other, err := s.GetProfiles(ctx, app2, []string{"alice"}, tags)
		ok(t, "get other app", err)
		equal(t, "other app", other["alice"], []im.TagValue{tv(im.TagImage, `"https://img.example/alice"`), tv(im.TagNick, `"other app"`)})
		accounts, err := s.GetAccounts(ctx, app1, []string{"alice"})
		ok(t, "get account", err)
		equal(t, "nick is the account's", accounts["alice"].Nick, "Alice & <b>")
	})

	t.Run("Missing", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "bob")
		_, err := s.SetProfile(t.Context(), app1, "nobody", []im.TagValue{tv(im.TagNick, `"x"`)}, []im.StreamWrite{event("bob", "x")})
		wantErr(t, "set for no account", err, im.ErrNotFound)
		got, head := userEvents(t, s, "bob", 0, 1000)
		equal(t, "nothing committed", [2]any{got, head}, [2]any{[]string(nil), int64(0)})
		_, err = s.SetProfile(t.Context(), app1, "nobody", []im.TagValue{tv("Tag_Profile_IM_Level", `1`)}, nil)
		wantErr(t, "set a stored field for no account", err, im.ErrNotFound)
	})

	t.Run("GlobalMute", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice")
		ctx := t.Context()
		m, err := s.GetGlobalMute(ctx, app1, "alice")
		ok(t, "get", err)
		equal(t, "not muted", m, im.GlobalMute{})
		c2c, group := int64(500), int64(im.MuteForever)
		ok(t, "set both", s.SetGlobalMute(ctx, app1, "alice", &c2c, &group))
		zero := int64(0)
		ok(t, "lift one", s.SetGlobalMute(ctx, app1, "alice", &zero, nil))
		m, err = s.GetGlobalMute(ctx, app1, "alice")
		ok(t, "get", err)
		equal(t, "one lifted, one kept", m, im.GlobalMute{C2CUntil: 0, GroupUntil: im.MuteForever})
		wantErr(t, "set no account", s.SetGlobalMute(ctx, app1, "nobody", &c2c, nil), im.ErrNotFound)
		_, err = s.GetGlobalMute(ctx, app1, "nobody")
		wantErr(t, "get no account", err, im.ErrNotFound)
		mutes, err := s.GetGlobalMutes(ctx, app1, []string{"nobody", "alice", "alice"})
		ok(t, "get several", err)
		equal(t, "the accounts that exist", mutes, map[string]im.GlobalMute{"alice": {GroupUntil: im.MuteForever}})
	})
}

// relate runs one UpdateRelations that writes w.
func relate(t *testing.T, s im.Store, users []string, w im.RelationWrite) []im.StreamResult {
	t.Helper()
	res, err := s.UpdateRelations(t.Context(), app1, users, func(im.RelationReader, map[string]bool) (*im.RelationWrite, error) {
		return &w, nil
	})
	ok(t, "update relations", err)
	return res
}

// RunRelations checks im.RelationStore.
func RunRelations(t *testing.T, open func(t *testing.T) im.Store) {
	alicesBob := im.Friend{UserID: "bob", AddSource: "AddSource_Type_Web", AddWording: "hi", AddTime: 10, Remark: "Bobby",
		RemarkTime: 11, Lists: []string{"Work", "Chess"}, Custom: []im.TagValue{tv("Tag_SNS_Custom_Since", `2019`), tv("Tag_SNS_Custom_Note", `"n"`)}}
	// related returns a store where alice has bob (every field) and carol,
	// bob has alice, dave blocks alice, alice blocks erin, and carol asked
	// alice and alice asked dave to be friends.
	related := func(t *testing.T) im.Store {
		t.Helper()
		s := fresh(t, open)
		users(t, s, "alice", "bob", "carol", "dave", "erin")
		relate(t, s, []string{"alice", "bob"}, im.RelationWrite{
			PutFriends: []im.OwnedFriend{{Owner: "alice", Friend: alicesBob}, {Owner: "alice", Friend: im.Friend{UserID: "carol", AddTime: 12}},
				{Owner: "bob", Friend: im.Friend{UserID: "alice", AddTime: 10}}},
			PutLists:    []im.OwnedList{{Owner: "alice", Name: "Work"}, {Owner: "alice", Name: "Chess"}, {Owner: "alice", Name: "Work"}},
			PutBlocks:   []im.OwnedBlock{{Owner: "dave", Block: im.Block{UserID: "alice", Time: 5}}, {Owner: "alice", Block: im.Block{UserID: "erin", Time: 6}}},
			PutRequests: []im.FriendRequest{{From: "carol", To: "alice", AddSource: "AddSource_Type_App", AddWording: "me", Remark: "Al", List: "L", Both: true, Time: 20}, {From: "alice", To: "dave", Time: 21}},
			Advance:     map[string]im.RelationSeqs{"alice": {Friends: 1, Custom: 1, Lists: 1, Blocks: 1}},
		})
		return s
	}

	t.Run("Reads", func(t *testing.T) {
		s := related(t)
		ctx := t.Context()
		friends, err := s.Friends(ctx, app1, "alice", nil)
		ok(t, "friends", err)
		equal(t, "alice's table, every field kept", friends, []im.Friend{alicesBob, {UserID: "carol", AddTime: 12}})
		friends, err = s.Friends(ctx, app1, "alice", []string{"carol", "zed"})
		ok(t, "some friends", err)
		equal(t, "filtered", friends, []im.Friend{{UserID: "carol", AddTime: 12}})
		friends, err = s.Friends(ctx, app1, "alice", []string{})
		ok(t, "no peers", err)
		equal(t, "an empty filter matches nothing", len(friends), 0)

		owners, err := s.FriendOwners(ctx, app1, "alice", nil)
		ok(t, "owners", err)
		equal(t, "whose tables hold alice", owners, []string{"bob"})
		owners, err = s.FriendOwners(ctx, app1, "bob", []string{"carol"})
		ok(t, "owners filtered", err)
		equal(t, "carol does not have bob", len(owners), 0)
		counts, err := s.CountFriends(ctx, app1, []string{"alice", "bob", "carol"})
		ok(t, "counts", err)
		equal(t, "counts", counts, map[string]int{"alice": 2, "bob": 1})
		lists, err := s.FriendLists(ctx, app1, "alice")
		ok(t, "lists", err)
		equal(t, "lists in creation order, once", lists, []string{"Work", "Chess"})

		blocks, err := s.Blocks(ctx, app1, "alice", nil)
		ok(t, "blocks", err)
		equal(t, "alice's blocklist", blocks, []im.Block{{UserID: "erin", Time: 6}})
		blockers, err := s.Blockers(ctx, app1, "alice", []string{"dave", "bob"})
		ok(t, "blockers", err)
		equal(t, "who blocks alice", blockers, []string{"dave"})
		pairs, err := s.BlockPairs(ctx, app1, []im.Pair{{Owner: "dave", Peer: "alice"}, {Owner: "alice", Peer: "erin"}, {Owner: "alice", Peer: "dave"}, {Owner: "dave", Peer: "alice"}})
		ok(t, "block pairs", err)
		slices.SortFunc(pairs, func(a, b im.Pair) int { return strings.Compare(a.Owner, b.Owner) })
		equal(t, "the asked pairs that are entries, once", pairs, []im.Pair{{Owner: "alice", Peer: "erin"}, {Owner: "dave", Peer: "alice"}})
		pairs, err = s.BlockPairs(ctx, app1, []im.Pair{{Owner: "alice", Peer: "dave"}, {Owner: "dave", Peer: "erin"}})
		ok(t, "block pairs", err)
		equal(t, "an entry of the owners and peers that was not asked (alice blocks erin)", len(pairs), 0)
		requests, err := s.FriendRequests(ctx, app1, "alice")
		ok(t, "requests", err)
		equal(t, "sent and received, oldest first", requests, []im.FriendRequest{
			{From: "carol", To: "alice", AddSource: "AddSource_Type_App", AddWording: "me", Remark: "Al", List: "L", Both: true, Time: 20},
			{From: "alice", To: "dave", Time: 21}})
		seqs, err := s.RelationSeqs(ctx, app1, "alice")
		ok(t, "seqs", err)
		equal(t, "advanced", seqs, im.RelationSeqs{Friends: 1, Custom: 1, Lists: 1, Blocks: 1})
		_, err = s.RelationSeqs(ctx, app1, "nobody")
		wantErr(t, "seqs of no account", err, im.ErrNotFound)
		friends, err = s.Friends(ctx, app2, "alice", nil)
		ok(t, "other app", err)
		equal(t, "other app", len(friends), 0)
	})

	t.Run("DecideInTransaction", func(t *testing.T) {
		s := related(t)
		ctx := t.Context()
		res, err := s.UpdateRelations(ctx, app1, []string{"bob", "alice", "nobody", "alice"}, func(r im.RelationReader, accounts map[string]bool) (*im.RelationWrite, error) {
			equal(t, "accounts", accounts, map[string]bool{"alice": true, "bob": true})
			friends, err := r.Friends(ctx, app1, "alice", []string{"bob"})
			ok(t, "read in the transaction", err)
			f := friends[0]
			f.Remark = "Robert"
			return &im.RelationWrite{
				PutFriends:     []im.OwnedFriend{{Owner: "alice", Friend: f}},
				DeleteFriends:  []im.Pair{{Owner: "alice", Peer: "carol"}, {Owner: "alice", Peer: "zed"}},
				DeleteLists:    []im.OwnedList{{Owner: "alice", Name: "Work"}},
				PutLists:       []im.OwnedList{{Owner: "alice", Name: "New"}},
				DeleteBlocks:   []im.Pair{{Owner: "alice", Peer: "erin"}},
				DeleteRequests: []im.Pair{{Owner: "carol", Peer: "alice"}},
				Advance:        map[string]im.RelationSeqs{"alice": {Friends: 1, Lists: 1}, "bob": {Blocks: 2}},
				Streams:        []im.StreamWrite{event("alice", "a"), event("bob", "b")},
			}, nil
		})
		ok(t, "update", err)
		equal(t, "events", len(res), 2)
		friends, err := s.Friends(ctx, app1, "alice", nil)
		ok(t, "friends", err)
		equal(t, "after", ids(friends), []string{"bob"})
		equal(t, "remark", friends[0].Remark, "Robert")
		lists, _ := s.FriendLists(ctx, app1, "alice")
		equal(t, "lists", lists, []string{"Chess", "New"})
		blocks, _ := s.Blocks(ctx, app1, "alice", nil)
		equal(t, "unblocked", len(blocks), 0)
		requests, _ := s.FriendRequests(ctx, app1, "alice")
		equal(t, "request gone", requests, []im.FriendRequest{{From: "alice", To: "dave", Time: 21}})
		seqs, _ := s.RelationSeqs(ctx, app1, "alice")
		equal(t, "alice's versions", seqs, im.RelationSeqs{Friends: 2, Custom: 1, Lists: 2, Blocks: 1})
		seqs, _ = s.RelationSeqs(ctx, app1, "bob")
		equal(t, "bob's versions", seqs, im.RelationSeqs{Blocks: 2})
		got, _ := userEvents(t, s, "bob", 0, 1000)
		equal(t, "bob's event", got, []string{"1:b"})
	})

	t.Run("ManyRows", func(t *testing.T) {
		s := fresh(t, open)
		var many []string
		for i := range 120 {
			many = append(many, fmt.Sprintf("u%03d", i))
		}
		users(t, s, append(many, "alice")...)
		w := im.RelationWrite{Advance: map[string]im.RelationSeqs{}}
		for _, u := range many {
			w.PutFriends = append(w.PutFriends, im.OwnedFriend{Owner: "alice", Friend: im.Friend{UserID: u, Remark: "first"}},
				im.OwnedFriend{Owner: u, Friend: im.Friend{UserID: "alice"}})
			w.PutBlocks = append(w.PutBlocks, im.OwnedBlock{Owner: u, Block: im.Block{UserID: "alice", Time: 1}})
			w.Advance[u] = im.RelationSeqs{Friends: 1, Blocks: 1}
		}
		w.PutFriends = append(w.PutFriends, im.OwnedFriend{Owner: "alice", Friend: im.Friend{UserID: many[0], Remark: "last"}})
		w.Advance["alice"] = im.RelationSeqs{Friends: 2}
		relate(t, s, append(many, "alice"), w)
		ctx := t.Context()
		friends, err := s.Friends(ctx, app1, "alice", nil)
		ok(t, "friends", err)
		equal(t, "every row, the last of a pair put twice", [3]any{len(friends), friends[0].Remark, friends[1].Remark}, [3]any{120, "last", "first"})
		owners, _ := s.FriendOwners(ctx, app1, "alice", nil)
		blockers, _ := s.Blockers(ctx, app1, "alice", many)
		equal(t, "reverse entries", [2]int{len(owners), len(blockers)}, [2]int{120, 120})
		var asked []im.Pair
		for _, u := range many {
			asked = append(asked, im.Pair{Owner: u, Peer: "alice"}, im.Pair{Owner: "alice", Peer: u})
		}
		pairs, err := s.BlockPairs(ctx, app1, asked)
		ok(t, "block pairs", err)
		equal(t, "block pairs of 240 asked", len(pairs), 120)
		seqs, _ := s.RelationSeqs(ctx, app1, many[119])
		equal(t, "versions", seqs, im.RelationSeqs{Friends: 1, Blocks: 1})

		var del im.RelationWrite
		for _, u := range many[:100] {
			del.DeleteFriends = append(del.DeleteFriends, im.Pair{Owner: u, Peer: "alice"}, im.Pair{Owner: "alice", Peer: u})
			del.DeleteBlocks = append(del.DeleteBlocks, im.Pair{Owner: u, Peer: "alice"})
		}
		relate(t, s, append(many, "alice"), del)
		friends, _ = s.Friends(ctx, app1, "alice", nil)
		owners, _ = s.FriendOwners(ctx, app1, "alice", nil)
		blockers, _ = s.Blockers(ctx, app1, "alice", nil)
		equal(t, "after deleting 100 each way", [3]int{len(friends), len(owners), len(blockers)}, [3]int{20, 20, 20})
	})

	t.Run("Rollback", func(t *testing.T) {
		s := related(t)
		refused := errors.New("refused")
		_, err := s.UpdateRelations(t.Context(), app1, []string{"alice"}, func(im.RelationReader, map[string]bool) (*im.RelationWrite, error) {
			return nil, refused
		})
		if err != refused { //nolint:errorlint // returned as it is, not wrapped
			t.Fatalf("decide's error came back as %v", err)
		}
		_, err = s.UpdateRelations(t.Context(), app1, []string{"alice"}, func(im.RelationReader, map[string]bool) (*im.RelationWrite, error) {
			return &im.RelationWrite{
				DeleteFriends: []im.Pair{{Owner: "alice", Peer: "bob"}},
				PutFriends:    []im.OwnedFriend{{Owner: "alice", Friend: im.Friend{UserID: "nobody"}}},
			}, nil
		})
		wantErr(t, "a friend who is no account", err, im.ErrNotFound)
		friends, _ := s.Friends(t.Context(), app1, "alice", nil)
		equal(t, "nothing of it written", ids(friends), []string{"bob", "carol"})
	})

	t.Run("AccountDeletionCascades", func(t *testing.T) {
		s := related(t)
		ctx := t.Context()
		_, err := s.SetProfile(ctx, app1, "alice", []im.TagValue{tv("Tag_Profile_IM_Level", `1`)}, nil)
		ok(t, "set profile", err)
		ok(t, "delete alice", s.DeleteAccount(ctx, app1, "alice", 100))
		users(t, s, "alice")
		for _, owner := range []string{"alice", "bob", "carol", "dave"} {
			friends, _ := s.Friends(ctx, app1, owner, nil)
			blocks, _ := s.Blocks(ctx, app1, owner, nil)
			requests, _ := s.FriendRequests(ctx, app1, owner)
			equal(t, owner+": nothing left of alice", [3]int{len(friends), len(blocks), len(requests)}, [3]int{0, 0, 0})
		}
		lists, _ := s.FriendLists(ctx, app1, "alice")
		profiles, _ := s.GetProfiles(ctx, app1, []string{"alice"}, []string{"Tag_Profile_IM_Level"})
		equal(t, "the new alice starts empty", [2]int{len(lists), len(profiles["alice"])}, [2]int{0, 0})
	})
}

func ids(fs []im.Friend) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.UserID)
	}
	return out
}
