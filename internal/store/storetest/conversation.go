package storetest

import (
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// convs lists one type of owner's conversations in app1 as "peer@time/unread".
func convs(t *testing.T, s im.Store, owner string, typ int, q im.ConvListQuery) []string {
	t.Helper()
	q.AppID, q.Owner = app1, owner
	if q.Limit == 0 {
		q.Limit = 100
	}
	list, err := s.ListConversations(t.Context(), q, typ)
	ok(t, "list conversations", err)
	out := []string{}
	for _, c := range list {
		out = append(out, c.Peer+"@"+itoa(int(c.MsgTime))+"/"+itoa(int(c.Unread)))
	}
	return out
}

// RunConversations checks im.ConversationStore and the conversation
// upkeep of CommitStream.
func RunConversations(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("Upkeep", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob", "carol", "dave")
		first := c2c("alice", "bob", 1, 1, 10, "first")
		quiet := c2c("carol", "bob", 2, 2, 15, "quiet")
		quiet.FlagBits |= im.FlagNoLastMsg
		hidden := c2c("dave", "bob", 3, 3, 11, "hidden")
		hidden.HiddenFromSender = true
		noUnread := c2c("alice", "bob", 4, 4, 13, "no unread")
		noUnread.FlagBits |= im.FlagNoUnread
		app := func(m im.C2CMessage, dedup int64) im.StreamWrite {
			return im.StreamWrite{AppID: app1, Time: m.Time, C2C: &im.C2CAppend{Msg: m, Keep: true, ContentHash: 9, DedupSince: dedup}}
		}
		_, err := s.CommitStream(t.Context(), []im.StreamWrite{
			app(first, 1), app(c2c("alice", "bob", 5, 5, 12, "second"), 1), app(first, 1), app(quiet, 0), app(hidden, 0),
			app(noUnread, 0), app(c2c("alice", "alice", 6, 6, 14, "note to self"), 0),
			{AppID: app1, Time: 16, C2C: &im.C2CAppend{Msg: c2c("carol", "bob", 7, 7, 16, "typing")}}, // online only
		})
		ok(t, "commit", err)
		equal(t, "bob's list (the NoLastMsg one is empty)", convs(t, s, "bob", im.ConvC2C, im.ConvListQuery{}),
			[]string{"alice@13/2", "dave@11/1"})
		equal(t, "bob's list with empty ones", convs(t, s, "bob", im.ConvC2C, im.ConvListQuery{WithEmpty: true}),
			[]string{"alice@13/2", "dave@11/1", "carol@0/1"})
		equal(t, "alice's list", convs(t, s, "alice", im.ConvC2C, im.ConvListQuery{}), []string{"alice@14/0", "bob@13/0"})
		equal(t, "dave's list (hidden from him)", convs(t, s, "dave", im.ConvC2C, im.ConvListQuery{}), []string{})
		c, err := s.GetConversation(t.Context(), app1, "bob", im.ConvKey{Type: im.ConvC2C, Peer: "alice"})
		ok(t, "get", err)
		equal(t, "last message", []any{c.LastMsgKey, c.LastFrom}, []any{noUnread.Key(), "alice"})
		_, err = s.GetConversation(t.Context(), app2, "bob", im.ConvKey{Type: im.ConvC2C, Peer: "alice"})
		wantErr(t, "another app", err, im.ErrNotFound)

		// An older import does not move the time; counts agree with the
		// unread queries.
		_, err = s.CommitStream(t.Context(), []im.StreamWrite{app(c2c("alice", "bob", 8, 8, 5, "old"), 0)})
		ok(t, "import", err)
		equal(t, "after an older message", convs(t, s, "bob", im.ConvC2C, im.ConvListQuery{}), []string{"alice@13/3", "dave@11/1"})
		total, err := s.CountC2CUnreadTotal(t.Context(), app1, "bob")
		ok(t, "total", err)
		equal(t, "total", total, int64(5))

		// A read mark sets the count from the messages; a message at or
		// before the mark does not count.
		_, err = s.MarkC2CRead(t.Context(), im.C2CReadMark{AppID: app1, Reader: "bob", Peer: "alice", Time: 12,
			Events: func(int64) im.StreamWrite { return notice("read", "bob") }})
		ok(t, "mark", err)
		_, err = s.CommitStream(t.Context(), []im.StreamWrite{app(c2c("alice", "bob", 9, 9, 12, "at the mark"), 0)})
		ok(t, "at the mark", err)
		equal(t, "after the read", convs(t, s, "bob", im.ConvC2C, im.ConvListQuery{}), []string{"alice@13/0", "dave@11/1"})
		unread, err := s.ListC2CUnread(t.Context(), app1, "bob")
		ok(t, "list unread", err)
		equal(t, "unread peers", unread, map[string]int64{"dave": 1, "carol": 1})

		// Cursors: a time bound, and every conversation at the cursor's
		// time (the caller skips those it returned).
		equal(t, "from 11", convs(t, s, "bob", im.ConvC2C, im.ConvListQuery{After: im.ConvCursor{Time: 11, Index: 1}}), []string{"dave@11/1"})
		equal(t, "limit", convs(t, s, "bob", im.ConvC2C, im.ConvListQuery{Limit: 1}), []string{"alice@13/0"})
	})

	t.Run("PinDelete", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob", "carol")
		sendEntries(t, s, c2c("alice", "bob", 1, 1, 10, "hi"))
		sendEntries(t, s, c2c("carol", "bob", 2, 2, 20, "hi"))
		ok(t, "pin", s.PinConversation(t.Context(), app1, "bob", im.ConvKey{Type: im.ConvC2C, Peer: "alice"}, true, 2))
		ok(t, "pin an empty one", s.PinConversation(t.Context(), app1, "bob", im.ConvKey{Type: im.ConvC2C, Peer: "zed"}, true, 2))
		err := s.PinConversation(t.Context(), app1, "bob", im.ConvKey{Type: im.ConvC2C, Peer: "carol"}, true, 2)
		equal(t, "over the limit", im.CodeOf(err), im.CodeConvTooManyPinned)
		pinned, err := s.ListPinnedConversations(t.Context(), app1, "bob", false)
		ok(t, "pinned", err)
		equal(t, "pinned", len(pinned), 1)
		equal(t, "pinned one", []any{pinned[0].Peer, pinned[0].Pinned, pinned[0].MsgTime}, []any{"alice", true, int64(10)})
		pinned, err = s.ListPinnedConversations(t.Context(), app1, "bob", true)
		ok(t, "pinned with empty", err)
		equal(t, "pinned with empty", len(pinned), 2)
		equal(t, "ordinary ones", convs(t, s, "bob", im.ConvC2C, im.ConvListQuery{}), []string{"carol@20/1"})
		equal(t, "all", convs(t, s, "bob", im.ConvC2C, im.ConvListQuery{WithPinned: true}), []string{"carol@20/1", "alice@10/1"})

		ok(t, "delete", s.DeleteConversation(t.Context(), app1, "bob", im.ConvKey{Type: im.ConvC2C, Peer: "alice"}, true))
		equal(t, "after the delete", convs(t, s, "bob", im.ConvC2C, im.ConvListQuery{WithPinned: true}), []string{"carol@20/1"})
		msgs, err := s.ListC2CMessages(t.Context(), app1, "bob", "alice", 0, 100, nil, 10)
		ok(t, "bob's history", err)
		equal(t, "bob's history after ClearRamble", len(msgs), 0)
		msgs, err = s.ListC2CMessages(t.Context(), app1, "alice", "bob", 0, 100, nil, 10)
		ok(t, "alice's history", err)
		equal(t, "alice's history", len(msgs), 1)
		ok(t, "delete a missing one", s.DeleteConversation(t.Context(), app1, "bob", im.ConvKey{Type: im.ConvC2C, Peer: "nobody"}, false))
	})

	t.Run("Groups", func(t *testing.T) {
		s := fresh(t, open)
		users(t, s, "alice", "bob")
		for _, typ := range []im.GroupType{im.GroupPublic, im.GroupChatRoom, im.GroupAVChatRoom} {
			g := group(app1, string(typ), typ)
			g.NextMsgSeq, g.LastMsgTime = 1, 0
			a, b := member("alice", im.RoleOwner, 1), member("bob", im.RoleMember, 1)
			a.MsgSeq, b.MsgSeq = 0, 0
			mustCreate(t, s, g, a, b)
		}
		equal(t, "no messages: empty", convs(t, s, "bob", im.ConvGroup, im.ConvListQuery{}), []string{})
		equal(t, "empty ones", convs(t, s, "bob", im.ConvGroup, im.ConvListQuery{WithEmpty: true}), []string{"Public@0/0", "ChatRoom@0/0"})
		send := func(g, from string, at int64) {
			t.Helper()
			_, err := s.CommitStream(t.Context(), []im.StreamWrite{{AppID: app1, Time: at, Group: &im.GroupAppend{Msg: *message(app1, g, from, at, "m"), Keep: true}}})
			ok(t, "send", err)
		}
		send("Public", "", 10)
		send("Public", "", 11)
		send("Public", "alice", 12)
		send("ChatRoom", "", 13)
		equal(t, "bob's groups", convs(t, s, "bob", im.ConvGroup, im.ConvListQuery{}), []string{"ChatRoom@13/0", "Public@12/3"})
		equal(t, "the sender read it", convs(t, s, "alice", im.ConvGroup, im.ConvListQuery{}), []string{"ChatRoom@13/0", "Public@12/0"})
		ok(t, "set unread", s.SetGroupUnread(t.Context(), app1, "Public", "bob", 1))
		equal(t, "after set", convs(t, s, "bob", im.ConvGroup, im.ConvListQuery{After: im.ConvCursor{Time: 12}}), []string{"Public@12/1"})
		ok(t, "set unread beyond", s.SetGroupUnread(t.Context(), app1, "Public", "bob", 50))
		equal(t, "clamped", convs(t, s, "bob", im.ConvGroup, im.ConvListQuery{After: im.ConvCursor{Time: 12}}), []string{"Public@12/3"})
		wantErr(t, "not a member", s.SetGroupUnread(t.Context(), app1, "Public", "carol", 1), im.ErrNotFound)
		wantErr(t, "no group", s.SetGroupUnread(t.Context(), app1, "nope", "bob", 1), im.ErrNotFound)

		ok(t, "pin", s.PinConversation(t.Context(), app1, "bob", im.ConvKey{Type: im.ConvGroup, Peer: "Public"}, true, 10))
		equal(t, "pinned ones leave the ordinary list", convs(t, s, "bob", im.ConvGroup, im.ConvListQuery{}), []string{"ChatRoom@13/0"})
		ok(t, "delete", s.DeleteConversation(t.Context(), app1, "bob", im.ConvKey{Type: im.ConvGroup, Peer: "Public"}, false))
		pinned, err := s.ListPinnedConversations(t.Context(), app1, "bob", true)
		ok(t, "pinned", err)
		equal(t, "a delete unpins", len(pinned), 0)
		equal(t, "deleted", convs(t, s, "bob", im.ConvGroup, im.ConvListQuery{WithPinned: true}), []string{"ChatRoom@13/0"})
		send("Public", "", 20)
		equal(t, "back with the next message, read before it", convs(t, s, "bob", im.ConvGroup, im.ConvListQuery{}),
			[]string{"Public@20/1", "ChatRoom@13/0"})
	})

	t.Run("ContactGroups", func(t *testing.T) {
		s := fresh(t, open)
		bob := im.ConvKey{Type: im.ConvC2C, Peer: "bob"}
		grp := im.ConvKey{Type: im.ConvGroup, Peer: "g"}
		id, err := s.CreateContactGroup(t.Context(), app1, "alice", "work", []im.ConvKey{bob, grp}, 100)
		ok(t, "create", err)
		_, err = s.CreateContactGroup(t.Context(), app1, "alice", "work", nil, 100)
		wantErr(t, "same name", err, im.ErrConflict)
		id2, err := s.CreateContactGroup(t.Context(), app1, "alice", "home", []im.ConvKey{bob}, 101)
		ok(t, "create home", err)
		equal(t, "ids", []int64{id, id2}, []int64{1, 2})
		_, err = s.UpdateContactGroup(t.Context(), app1, "alice", "nope", "x", nil, 102)
		wantErr(t, "unknown", err, im.ErrNotFound)
		_, err = s.UpdateContactGroup(t.Context(), app1, "alice", "work", "home", nil, 102)
		wantErr(t, "rename onto another", err, im.ErrConflict)
		custom := "vip"
		ok(t, "mark", s.MarkContacts(t.Context(), app1, "alice", []im.ContactMark{{ConvKey: grp, Set: 5, Custom: &custom}}, 103))
		_, err = s.UpdateContactGroup(t.Context(), app1, "alice", "work", "", []im.ContactGroupChange{{ConvKey: grp}}, 104)
		ok(t, "remove", err)
		data, groups, next, err := s.ContactData(t.Context(), app1, "alice", nil, 0, 1)
		ok(t, "page", err)
		equal(t, "first page", []any{len(data), data[0].Peer, data[0].Groups, len(groups), next}, []any{1, "bob", []int64{1, 2}, 2, 1})
		data, _, next, err = s.ContactData(t.Context(), app1, "alice", nil, 1, 1)
		ok(t, "page 2", err)
		equal(t, "second page", []any{data[0].Peer, data[0].Groups, data[0].StandardMark, data[0].CustomMark, data[0].Time, next},
			[]any{"g", []int64(nil), uint64(5), "vip", int64(104), -1})
		_, err = s.DeleteContactGroup(t.Context(), app1, "alice", "work", 105)
		ok(t, "delete", err)
		data, groups, _, err = s.ContactData(t.Context(), app1, "alice", []im.ConvKey{bob, {Type: im.ConvC2C, Peer: "none"}}, 0, 0)
		ok(t, "search", err)
		equal(t, "search", []any{len(data), data[0].Groups, len(groups)}, []any{1, []int64{2}, 1})
		data, _, _, err = s.ContactData(t.Context(), app2, "alice", nil, 0, 10)
		ok(t, "other app", err)
		equal(t, "other app", len(data), 0)
	})
}
