package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/im"
)

// Conversation REST paths (rest-messages.md, "Pulling a Conversation List"
// to "Pulling Conversation Group Mark Data").
const (
	pathConvList      = "/v4/recentcontact/get_list"
	pathConvDelete    = "/v4/recentcontact/delete"
	pathSetUnread     = "/v4/group_open_http_svc/set_unread_msg_num"
	pathCreateCGroup  = "/v4/recentcontact/create_contact_group"
	pathUpdateCGroup  = "/v4/recentcontact/update_contact_group"
	pathDelCGroup     = "/v4/recentcontact/del_contact_group"
	pathMarkContact   = "/v4/recentcontact/mark_contact"
	pathSearchCGroup  = "/v4/recentcontact/search_contact_group"
	pathGetCGroupData = "/v4/recentcontact/get_contact_group"
)

// convName names a SessionItem: "c:<peer>" or "g:<group>", "+" after a
// pinned one.
func convName(t *testing.T, it map[string]any) string {
	t.Helper()
	name := "c:" + fmt.Sprint(it["To_Account"])
	if num(t, it["Type"]) == im.ConvGroup {
		name = "g:" + fmt.Sprint(it["GroupId"])
	}
	if num(t, it["TopFlag"]) == 1 {
		name += "+"
	}
	return name
}

// pageAll pages owner's list with flags until CompleteFlag 1, echoing the
// four cursors, and returns every page's names.
func pageAll(t *testing.T, ts *testServer, owner string, flags int) [][]string {
	t.Helper()
	req := map[string]any{"From_Account": owner, "TimeStamp": 0, "StartIndex": 0, "TopTimeStamp": 0, "TopStartIndex": 0, "AssistFlags": flags}
	var pages [][]string
	for range 20 {
		env := ts.must(t, pathConvList, jsonBody(t, req), 0)
		if env["ErrorDisplay"] != "" {
			t.Fatalf("ErrorDisplay %v", env["ErrorDisplay"])
		}
		var page []string
		var last int64 = 1 << 62
		for _, it := range list(t, env["SessionItem"]) {
			page = append(page, convName(t, it))
			if tm := num(t, it["MsgTime"]); tm > last && !strings.HasSuffix(page[len(page)-1], "+") {
				t.Errorf("page %d: %v at %d after one at %d", len(pages), page[len(page)-1], tm, last)
			} else if !strings.HasSuffix(page[len(page)-1], "+") {
				last = tm
			}
		}
		pages = append(pages, page)
		if num(t, env["CompleteFlag"]) == 1 {
			return pages
		}
		for _, k := range []string{"TimeStamp", "StartIndex", "TopTimeStamp", "TopStartIndex"} {
			req[k] = env[k]
		}
	}
	t.Fatalf("no CompleteFlag 1 after 20 pages")
	return nil
}

// convFixture is messageFixture with 120 peers p000..p119 who each sent ann
// a message, two per second, then a message in group pub.
func convFixture(t *testing.T) *testServer {
	t.Helper()
	ts, _ := messageFixture(t)
	var peers []string
	for i := range 120 {
		peers = append(peers, fmt.Sprintf("p%03d", i))
	}
	ts.importAccounts(t, peers[:100]...)
	ts.importAccounts(t, peers[100:]...)
	for i := range 120 {
		ts.sendC2C(t, fmt.Sprintf("p%03d", i), "ann", "hi", nil)
		if i%2 == 1 {
			ts.clock.Advance(time.Second)
		}
	}
	ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 1, nil), 0)
	return ts
}

func TestConvListPaging(t *testing.T) {
	ts := convFixture(t)
	ctx := t.Context()
	for _, k := range []im.ConvKey{{Type: im.ConvC2C, Peer: "p005"}, {Type: im.ConvGroup, Peer: "pub"}} {
		if err := ts.db.PinConversation(ctx, testAppID, "ann", k, true, 100); err != nil {
			t.Fatal(err)
		}
	}
	all := func(pages [][]string) []string { return slices.Concat(pages...) }
	want := []string{"g:pub"}
	for i := 119; i >= 0; i-- {
		if i != 5 {
			want = append(want, fmt.Sprintf("c:p%03d", i))
		}
	}
	// Within a second the index order (peer descending) decides.
	t.Run("pinned first, mixed pages", func(t *testing.T) {
		pages := pageAll(t, ts, "ann", 1)
		got := all(pages)
		if len(pages) != 2 || len(pages[0]) != 100 {
			t.Errorf("pages of %d, %d items, want 100 then the rest", len(pages[0]), len(got))
		}
		if !slices.Equal(got[:2], []string{"g:pub+", "c:p005+"}) || !slices.Equal(got[2:], want[1:]) {
			t.Errorf("list %v", got)
		}
	})
	t.Run("pinned on pages of their own", func(t *testing.T) {
		pages := pageAll(t, ts, "ann", 5)
		if len(pages) != 3 || !slices.Equal(pages[0], []string{"g:pub+", "c:p005+"}) || len(all(pages)) != 121 {
			t.Errorf("pages %v", pages)
		}
	})
	t.Run("no pins known", func(t *testing.T) {
		got := all(pageAll(t, ts, "ann", 0))
		if len(got) != 121 || got[0] != "g:pub" || slices.ContainsFunc(got, func(s string) bool { return strings.HasSuffix(s, "+") }) {
			t.Errorf("list %v", got)
		}
	})
	t.Run("empty conversations", func(t *testing.T) {
		// ann is in "quiet", which has no messages.
		if got := all(pageAll(t, ts, "ann", 1)); slices.Contains(got, "g:quiet") {
			t.Errorf("empty group listed without bit 1")
		}
		if got := all(pageAll(t, ts, "ann", 3)); !slices.Contains(got, "g:quiet") {
			t.Errorf("empty group not listed with bit 1: %v", got[len(got)-3:])
		}
	})
	t.Run("errors", func(t *testing.T) {
		ts.must(t, pathConvList, `{"From_Account":"nobody","TimeStamp":0,"StartIndex":0,"TopTimeStamp":0,"TopStartIndex":0,"AssistFlags":1}`, im.CodeConvNoAccount)
		ts.must(t, pathConvList, `{"From_Account":"ann","TimeStamp":-1,"StartIndex":0,"TopTimeStamp":0,"TopStartIndex":0,"AssistFlags":1}`, im.CodeConvBadParam)
		ts.must(t, pathConvList, `{"From_Account":"ann","TimeStamp":"x"}`, im.CodeConvBadParam)
		ts.must(t, pathConvList, `{"From_Account":"","AssistFlags":1}`, im.CodeConvBadParam)
	})
}

// convUnread reads To_Account's total and per-peer one-to-one unread counts.
func convUnread(t *testing.T, ts *testServer, user, peer string) (total, withPeer int64) {
	t.Helper()
	total = num(t, ts.must(t, pathUnreadNum, jsonBody(t, map[string]any{"To_Account": user}), 0)["AllC2CUnreadMsgNum"])
	env := ts.must(t, pathUnreadNum, jsonBody(t, map[string]any{"To_Account": user, "Peer_Account": []string{peer}}), 0)
	return total, num(t, list(t, env["C2CUnreadMsgNumList"])[0]["C2CUnreadMsgNum"])
}

func TestConvC2CUnread(t *testing.T) {
	ts, _ := c2cFixture(t)
	check := func(what string, want int64) {
		t.Helper()
		if total, n := convUnread(t, ts, "bob", "alice"); total != want || n != want {
			t.Errorf("%s: bob's unread total %d, from alice %d, want %d", what, total, n, want)
		}
	}
	ts.sendC2C(t, "alice", "bob", "one", map[string]any{"MsgRandom": 1})
	key := ts.sendC2C(t, "alice", "bob", "two", map[string]any{"MsgRandom": 2})
	ts.sendC2C(t, "alice", "bob", "three", map[string]any{"MsgRandom": 3})
	check("three sends", 3)
	ts.sendC2C(t, "alice", "bob", "quiet", map[string]any{"MsgRandom": 4, "SendMsgControl": []string{"NoUnread"}})
	ts.sendC2C(t, "alice", "bob", "typing", map[string]any{"MsgRandom": 5, "OnlineOnlyFlag": 1})
	ts.sendC2C(t, "alice", "bob", "fleeting", map[string]any{"MsgRandom": 6, "MsgLifeTime": 0})
	check("NoUnread, online-only and lifetime 0", 3)
	if total, _ := convUnread(t, ts, "alice", "bob"); total != 0 {
		t.Errorf("the sender has %d unread", total)
	}
	ts.must(t, pathMsgWithdraw, jsonBody(t, map[string]any{"From_Account": "alice", "To_Account": "bob", "MsgKey": key}), 0)
	check("a recall while unread", 2)
	ts.clock.Advance(time.Second)
	ts.must(t, pathSetMsgRead, `{"Report_Account":"bob","Peer_Account":"alice"}`, 0)
	check("read", 0)
	ts.clock.Advance(time.Second)
	at := ts.clock.Now().Unix()
	imp := func(sync, seq int, at int64) {
		ts.must(t, pathImportMsg, jsonBody(t, map[string]any{"SyncFromOldSystem": sync, "From_Account": "alice", "To_Account": "bob",
			"MsgSeq": seq, "MsgRandom": seq, "MsgTimeStamp": at, "MsgBody": textBody("old")}), 0)
	}
	imp(2, 10, at)
	check("historical import", 0)
	imp(5, 11, at)
	check("real-time import", 1)
	imp(5, 12, at-100)
	check("real-time import before the read mark", 1)

	// The list shows both sides at the latest message.
	for _, owner := range []string{"alice", "bob"} {
		got := slices.Concat(pageAll(t, ts, owner, 1)...)
		if peer := map[string]string{"alice": "c:bob", "bob": "c:alice"}[owner]; !slices.Equal(got, []string{peer}) {
			t.Errorf("%s's list %v", owner, got)
		}
	}
}

func TestConvGroupUnread(t *testing.T) {
	ts, _ := messageFixture(t)
	unread := func(user, group string) int64 {
		t.Helper()
		c, err := ts.db.GetConversation(t.Context(), testAppID, user, im.ConvKey{Type: im.ConvGroup, Peer: group})
		if err != nil {
			t.Fatalf("%s's conversation %s: %v", user, group, err)
		}
		return c.Unread
	}
	for i := range 3 {
		ts.must(t, pathSendGroupMsg, sendBody(t, "pub", i+1, nil), 0)
	}
	ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 9, map[string]any{"From_Account": "bob"}), 0)
	if a, b := unread("ann", "pub"), unread("bob", "pub"); a != 4 || b != 0 {
		t.Errorf("unread ann %d, bob (the last sender) %d; want 4, 0", a, b)
	}
	ts.must(t, pathSetUnread, `{"GroupId":"pub","Member_Account":"ann","UnreadMsgNum":1}`, 0)
	if n := unread("ann", "pub"); n != 1 {
		t.Errorf("after set_unread_msg_num 1: %d", n)
	}
	ts.must(t, pathSetUnread, `{"GroupId":"pub","Member_Account":"ann","UnreadMsgNum":99}`, 0)
	if n := unread("ann", "pub"); n != 4 {
		t.Errorf("after set_unread_msg_num 99: %d, want clamped to 4", n)
	}
	// Meeting groups keep none: accepted, nothing changes.
	ts.must(t, pathSendGroupMsg, sendBody(t, "meet", 1, nil), 0)
	ts.must(t, pathSetUnread, `{"GroupId":"meet","Member_Account":"owner","UnreadMsgNum":1}`, 0)
	if n := unread("owner", "meet"); n != 0 {
		t.Errorf("meeting group unread %d", n)
	}
	for _, c := range []struct {
		body string
		code int
	}{
		{`{"GroupId":"nope","Member_Account":"ann","UnreadMsgNum":1}`, im.CodeGroupNotFound},
		{`{"GroupId":"pub","Member_Account":"outsider","UnreadMsgNum":1}`, im.CodeGroupNotAllowed},
		{`{"GroupId":"pub","Member_Account":"ann","UnreadMsgNum":-1}`, im.CodeGroupBadParam},
		{`{"GroupId":"pub","Member_Account":"ann"}`, im.CodeGroupBadParam},
		{`{"GroupId":"pub","Member_Account":"ann","UnreadMsgNum":"1"}`, im.CodeGroupBadParam},
		{`{"GroupId":"` + strings.Repeat("g", 49) + `","Member_Account":"ann","UnreadMsgNum":1}`, im.CodeGroupInvalidID},
	} {
		ts.must(t, pathSetUnread, c.body, c.code)
	}
}

func TestConvDelete(t *testing.T) {
	ts, _ := c2cFixture(t)
	ts.sendC2C(t, "alice", "bob", "hi", nil)
	ts.sendC2C(t, "bob", "alice", "yo", nil)
	roam := func(operator, peer string) int {
		env := ts.must(t, pathRoamMsg, jsonBody(t, map[string]any{"Operator_Account": operator, "Peer_Account": peer, "MaxCnt": 100,
			"MinTime": 0, "MaxTime": 4000000000}), 0)
		return int(num(t, env["MsgCnt"]))
	}
	listOf := func(owner string) []string { return slices.Concat(pageAll(t, ts, owner, 1)...) }

	ts.must(t, pathConvDelete, `{"From_Account":"bob","Type":1,"To_Account":"alice"}`, 0)
	if got := listOf("bob"); len(got) != 0 {
		t.Errorf("bob's list after the delete: %v", got)
	}
	if _, n := convUnread(t, ts, "bob", "alice"); n != 0 {
		t.Errorf("unread %d after the delete", n)
	}
	if n := roam("bob", "alice"); n != 2 {
		t.Errorf("bob's history without ClearRamble: %d messages, want 2", n)
	}
	ts.clock.Advance(time.Second)
	ts.sendC2C(t, "alice", "bob", "again", nil)
	if got := listOf("bob"); !slices.Equal(got, []string{"c:alice"}) {
		t.Errorf("a new message does not bring it back: %v", got)
	}
	if _, n := convUnread(t, ts, "bob", "alice"); n != 1 {
		t.Errorf("unread %d after a new message, want 1", n)
	}

	ts.must(t, pathConvDelete, `{"From_Account":"bob","Type":1,"To_Account":"alice","ClearRamble":1}`, 0)
	if n, peer := roam("bob", "alice"), roam("alice", "bob"); n != 0 || peer != 3 {
		t.Errorf("after ClearRamble bob sees %d messages, alice %d; want 0, 3", n, peer)
	}
	if got := listOf("alice"); !slices.Equal(got, []string{"c:bob"}) {
		t.Errorf("alice's list changed: %v", got)
	}

	for _, c := range []struct {
		body string
		code int
	}{
		{`{"From_Account":"nobody","Type":1,"To_Account":"alice"}`, im.CodeConvNoAccount},
		{`{"From_Account":"bob","Type":3,"To_Account":"alice"}`, im.CodeConvBadParam},
		{`{"From_Account":"bob","Type":1}`, im.CodeConvBadParam},
		{`{"From_Account":"bob","Type":2,"ToGroupId":"pub"}`, im.CodeConvBadParam}, // the spelling is ToGroupid
		{`{"From_Account":"bob","Type":1,"To_Account":"alice","ClearRamble":2}`, im.CodeConvBadParam},
	} {
		ts.must(t, pathConvDelete, c.body, c.code)
	}
}

func TestConvDeleteGroup(t *testing.T) {
	ts, _ := messageFixture(t)
	ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 1, nil), 0)
	listOf := func(owner string) []string { return slices.Concat(pageAll(t, ts, owner, 1)...) }
	if got := listOf("ann"); !slices.Equal(got, []string{"g:pub"}) {
		t.Fatalf("ann's list %v", got)
	}
	ts.must(t, pathConvDelete, `{"From_Account":"ann","Type":2,"ToGroupid":"pub","ClearRamble":0}`, 0)
	if got := listOf("ann"); len(got) != 0 {
		t.Errorf("after the delete: %v", got)
	}
	ts.must(t, pathSendGroupMsg, sendBody(t, "pub", 2, nil), 0)
	if got := listOf("ann"); !slices.Equal(got, []string{"g:pub"}) {
		t.Errorf("a new message does not bring it back: %v", got)
	}
	c, err := ts.db.GetConversation(t.Context(), testAppID, "ann", im.ConvKey{Type: im.ConvGroup, Peer: "pub"})
	if err != nil || c.Unread != 1 {
		t.Errorf("unread after the delete and one message: %+v, %v", c, err)
	}
}

func TestContactGroups(t *testing.T) {
	ts, _ := messageFixture(t)
	create := func(name string, items string, code int) map[string]any {
		t.Helper()
		return ts.must(t, pathCreateCGroup, fmt.Sprintf(`{"From_Account":"ann","GroupContactItem":[{"GroupName":%q,"ContactItem":[%s]}]}`, name, items), code)
	}
	env := create("work", `{"Type":1,"To_Account":"bob"},{"Type":2,"ToGroupId":"pub"}`, 0)
	res := list(t, env["GroupResultItem"])
	if len(res) != 1 || res[0]["GroupItem"].(map[string]any)["GroupName"] != "work" || env["ErrorDisplay"] != "" {
		t.Fatalf("create: %v", env)
	}
	id := num(t, res[0]["GroupItem"].(map[string]any)["GroupId"])
	if r := list(t, res[0]["ResultItem"]); len(r) != 2 || num(t, r[1]["ResultCode"]) != 0 || r[1]["ContactItem"].(map[string]any)["ToGroupId"] != "pub" {
		t.Errorf("ResultItem %v", r)
	}
	ts.must(t, pathMarkContact, `{"From_Account":"ann","MarkItem":[{"OptType":3,"ContactItem":{"Type":1,"To_Account":"bob"},"SetMark":[1],"ClearMark":[2],"CustomMark":"vip"}]}`, 0)
	env = ts.must(t, pathSearchCGroup, `{"From_Account":"ann","ContactItem":[{"Type":1,"To_Account":"bob"},{"Type":1,"To_Account":"owner"}]}`, 0)
	found := list(t, env["ContactResultItem"])
	if len(found) != 1 || found[0]["StandardMark"] != "1" || found[0]["CustomMark"] != "vip" ||
		fmt.Sprint(found[0]["ContactGroupId"]) != fmt.Sprintf("[%d]", id) || num(t, found[0]["Timestamp"]) != ts.clock.Now().Unix() {
		t.Errorf("search: %v", found)
	}
	if g := list(t, env["GroupItem"]); len(g) != 1 || g[0]["GroupName"] != "work" {
		t.Errorf("search GroupItem %v", g)
	}

	env = ts.must(t, pathUpdateCGroup, `{"From_Account":"ann","UpdateType":1,"UpdateGroup":{"UpdateGroupType":1,"OldGroupName":"work","NewGroupName":"job"}}`, 0)
	r := env["UpdateGroupResult"].(map[string]any)
	if r["GroupName"] != "job" || r["OldGroupName"] != "work" || num(t, r["GroupId"]) != id || num(t, env["UpdateType"]) != 1 {
		t.Errorf("rename: %v", env)
	}
	env = ts.must(t, pathUpdateCGroup, `{"From_Account":"ann","UpdateType":1,"UpdateGroup":{"UpdateGroupType":2,"OldGroupName":"job","ContactUpdateItem":[{"ContactOptType":2,"ContactItem":{"Type":2,"ToGroupId":"pub"}},{"ContactOptType":1,"ContactItem":{"Type":1,"To_Account":"owner"}}]}}`, 0)
	if items := list(t, env["UpdateGroupResult"].(map[string]any)["ContactResultItem"]); len(items) != 2 {
		t.Errorf("membership: %v", env)
	}
	env = ts.must(t, pathGetCGroupData, `{"From_Account":"ann","StartIndex":0}`, 0)
	var names []string
	for _, it := range list(t, env["ContactItem"]) {
		names = append(names, fmt.Sprintf("%v|%v|%v", it["To_Account"], it["ToGroupId"], it["ContactGroupId"]))
	}
	if !slices.Equal(names, []string{fmt.Sprintf("bob|<nil>|[%d]", id), fmt.Sprintf("owner|<nil>|[%d]", id)}) || num(t, env["CompleteFlag"]) != 1 {
		t.Errorf("get_contact_group: %v (%v)", names, env)
	}

	env = ts.must(t, pathDelCGroup, `{"From_Account":"ann","GroupName":["job"]}`, 0)
	if g := list(t, env["GroupItem"]); len(g) != 1 || num(t, g[0]["GroupId"]) != id {
		t.Errorf("delete: %v", env)
	}
	// owner held only the group: its data is gone; bob keeps his marks.
	env = ts.must(t, pathGetCGroupData, `{"From_Account":"ann","StartIndex":0}`, 0)
	if items := list(t, env["ContactItem"]); len(items) != 1 || items[0]["To_Account"] != "bob" || items[0]["ContactGroupId"] != nil {
		t.Errorf("after the delete: %v", items)
	}
}

func TestContactGroupLimits(t *testing.T) {
	ts, _ := messageFixture(t)
	cgroup := func(name string, items ...string) string {
		return fmt.Sprintf(`{"From_Account":"ann","GroupContactItem":[{"GroupName":%q,"ContactItem":[%s]}]}`, name, strings.Join(items, ","))
	}
	for i := range im.MaxContactGroups {
		ts.must(t, pathCreateCGroup, cgroup(fmt.Sprintf("g%d", i)), 0)
	}
	ts.must(t, pathCreateCGroup, cgroup("one too many"), im.CodeConvTooManyGroups)
	ts.must(t, pathDelCGroup, `{"From_Account":"ann","GroupName":["g0"]}`, 0)
	ts.must(t, pathCreateCGroup, cgroup(strings.Repeat("n", 33)), im.CodeConvGroupName)
	ts.must(t, pathCreateCGroup, cgroup(strings.Repeat("n", 32)), 0)
	ts.must(t, pathUpdateCGroup, `{"From_Account":"ann","UpdateType":1,"UpdateGroup":{"UpdateGroupType":1,"OldGroupName":"g1","NewGroupName":"`+strings.Repeat("n", 33)+`"}}`, im.CodeConvGroupName)

	var items []string
	for i := range im.MaxContactData + 1 {
		items = append(items, fmt.Sprintf(`{"Type":1,"To_Account":"u%d"}`, i))
	}
	ts.must(t, pathDelCGroup, `{"From_Account":"ann","GroupName":["g1"]}`, 0)
	ts.must(t, pathCreateCGroup, cgroup("big", items...), im.CodeConvTooManyData)
	ts.must(t, pathCreateCGroup, cgroup("big", items[:im.MaxContactData]...), 0)
	ts.must(t, pathMarkContact, `{"From_Account":"ann","MarkItem":[{"OptType":2,"ContactItem":{"Type":1,"To_Account":"extra"},"CustomMark":"x"}]}`, im.CodeConvTooManyData)

	mark := func(n int, custom string) string {
		var m []string
		for i := range n {
			m = append(m, fmt.Sprintf(`{"OptType":2,"ContactItem":{"Type":1,"To_Account":"u%d"},"CustomMark":%q}`, i, custom))
		}
		return `{"From_Account":"ann","MarkItem":[` + strings.Join(m, ",") + `]}`
	}
	ts.must(t, pathMarkContact, mark(0, "x"), im.CodeConvMarkCount)
	ts.must(t, pathMarkContact, mark(101, "x"), im.CodeConvMarkCount)
	ts.must(t, pathMarkContact, mark(100, "x"), 0)
	ts.must(t, pathMarkContact, mark(1, strings.Repeat("m", 257)), im.CodeConvBadParam)
	ts.must(t, pathMarkContact, mark(1, strings.Repeat("m", 256)), 0)

	for _, c := range []struct {
		path, body string
		code       int
	}{
		{pathUpdateCGroup, `{"From_Account":"ann","UpdateType":1,"UpdateGroup":{"UpdateGroupType":1,"OldGroupName":"nope","NewGroupName":"x"}}`, im.CodeConvNoSuchGroup},
		{pathDelCGroup, `{"From_Account":"ann","GroupName":["nope"]}`, im.CodeConvNoSuchGroup},
		{pathCreateCGroup, cgroup("lost", `{"Type":2,"ToGroupId":"nope"}`), im.CodeConvGroupGone},
		{pathCreateCGroup, `{"From_Account":"nobody","GroupContactItem":[{"GroupName":"x","ContactItem":[]}]}`, im.CodeConvNoAccount},
		{pathCreateCGroup, `{"From_Account":"ann","GroupContactItem":[]}`, im.CodeConvBadParam},
		{pathCreateCGroup, cgroup("g2"), im.CodeConvBadParam}, // the name is taken
		{pathUpdateCGroup, `{"From_Account":"ann","UpdateType":2,"UpdateGroup":{"UpdateGroupType":1,"OldGroupName":"g2","NewGroupName":"x"}}`, im.CodeConvBadParam},
		{pathMarkContact, `{"From_Account":"ann","MarkItem":[{"OptType":1,"ContactItem":{"Type":1,"To_Account":"bob"},"SetMark":[65]}]}`, im.CodeConvBadParam},
		{pathSearchCGroup, `{"From_Account":"ann","ContactItem":[]}`, im.CodeConvBadParam},
		{pathGetCGroupData, `{"From_Account":"nobody","StartIndex":0}`, im.CodeConvNoAccount},
	} {
		ts.must(t, c.path, c.body, c.code)
	}

	// get_contact_group pages the 1,000 conversations.
	seen := 0
	req := `{"From_Account":"ann","StartIndex":0}`
	for range 20 {
		env := ts.must(t, pathGetCGroupData, req, 0)
		seen += len(list(t, env["ContactItem"]))
		if num(t, env["CompleteFlag"]) == 1 {
			break
		}
		req = fmt.Sprintf(`{"From_Account":"ann","StartIndex":%d}`, num(t, env["NextStartIndex"]))
	}
	if seen != im.MaxContactData {
		t.Errorf("paged %d conversations, want %d", seen, im.MaxContactData)
	}
}

func TestConvPinLimit(t *testing.T) {
	ts, _ := c2cFixture(t)
	ctx := t.Context()
	for i := range 3 {
		if err := ts.db.PinConversation(ctx, testAppID, "alice", im.ConvKey{Type: im.ConvC2C, Peer: fmt.Sprintf("x%d", i)}, true, 3); err != nil {
			t.Fatal(err)
		}
	}
	err := ts.db.PinConversation(ctx, testAppID, "alice", im.ConvKey{Type: im.ConvC2C, Peer: "x9"}, true, 3)
	if im.CodeOf(err) != im.CodeConvTooManyPinned {
		t.Errorf("fourth pin over a limit of 3: %v", err)
	}
	if err := ts.db.PinConversation(ctx, testAppID, "alice", im.ConvKey{Type: im.ConvC2C, Peer: "x0"}, true, 3); err != nil {
		t.Errorf("pinning a pinned one again: %v", err)
	}
}
