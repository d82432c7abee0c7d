package e2e

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chatd/chatd/client"
)

// The group ops of clients (docs/client-protocol.md §4 Groups), driven
// through the gateway by real clients: who may join how, who may do what.

// The users of a group fixture, by their role in it.
var roleUsers = map[string]string{"owner": "own", "admin": "adm", "member": "mem", "outsider": "out"}

// groupTypes are the five types; hasAdmin tells which have the Admin role.
var (
	groupTypes = []string{"Private", "Public", "ChatRoom", "AVChatRoom", "Community"}
	hasAdmin   = map[string]bool{"Public": true, "ChatRoom": true, "Community": true}
)

// groupFixture creates, by REST, a group owned by own with adm as its
// admin and mem as a member (a Work group has no admin: adm stays out; a
// live group stores no members).
func groupFixture(t *testing.T, n *node, id, typ, option string, extra ...string) {
	t.Helper()
	body := map[string]any{"Owner_Account": "own", "Type": typ, "GroupId": id, "Name": id}
	if option != "" {
		body["ApplyJoinOption"] = option
	}
	if typ == "Community" {
		body["GroupId"], body["SupportTopic"] = id, 1
	}
	if typ != "AVChatRoom" {
		members := []any{map[string]any{"Member_Account": "mem"}}
		if hasAdmin[typ] {
			members = append(members, map[string]any{"Member_Account": "adm", "Role": "Admin"})
		}
		for _, u := range extra {
			members = append(members, map[string]any{"Member_Account": u})
		}
		body["MemberList"] = members
	}
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", body))
}

// drain discards c's events, for a client whose events a test does not
// read: unread, they would fill its buffer and stall it.
func drain(c *client.Client) {
	go func() {
		for range c.Events() {
		}
	}()
}

// roleOf is a user's role in a group by REST get_role_in_group.
func roleOf(t *testing.T, n *node, groupID, userID string) string {
	t.Helper()
	r := mustOK(t, n.rest("v4/group_open_http_svc/get_role_in_group", map[string]any{"GroupId": groupID, "User_Account": []string{userID}}))
	return r["UserIdList"].([]any)[0].(map[string]any)["Role"].(string)
}

// groupID names a case's group; a Community's ID needs its prefix.
func groupID(typ string, parts ...any) string {
	id := fmt.Sprint(append([]any{typ}, parts...)...)
	if typ == "Community" {
		return "@TGS#_" + id
	}
	return id
}

// TestGroupJoinMatrix: every group type × ApplyJoinOption, applied to by an
// outsider and by a member, applications decided by each role, and
// invitations by each role, all from clients.
func TestGroupJoinMatrix(t *testing.T) {
	storeEngines(t, testGroupJoinMatrix)
}

func testGroupJoinMatrix(t *testing.T, storeArgs []string) {
	n := startTestApp(t, "", storeArgs...)
	ctx := context.Background()
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"own", "adm", "mem", "out", "new"}}))
	clients := map[string]*client.Client{}
	for role, u := range roleUsers {
		clients[role] = dialUser(t, n, u)
		if role != "outsider" {
			drain(clients[role])
		}
	}

	// Applying: the outcome for an outsider; a member always gets 10013
	// where applying is possible at all.
	type applyCase struct {
		typ, option string
		want        string // Joined, Pending, or a code
	}
	var applies []applyCase
	for _, typ := range groupTypes {
		for _, option := range []string{"FreeAccess", "NeedPermission", "DisableApply"} {
			want := map[string]string{"FreeAccess": "Joined", "NeedPermission": "Pending", "DisableApply": "10007"}[option]
			switch typ {
			case "Private", "AVChatRoom": // invitations only; join_group
				want = "10007"
			case "Community": // always FreeAccess
				want = "Joined"
			}
			applies = append(applies, applyCase{typ, option, want})
		}
	}
	for i, tt := range applies {
		t.Run(fmt.Sprintf("apply/%s/%s", tt.typ, tt.option), func(t *testing.T) {
			id := groupID(tt.typ, "apply", i)
			groupFixture(t, n, id, tt.typ, tt.option)
			joined, err := clients["outsider"].ApplyToJoin(ctx, id, "let me in")
			got := map[bool]string{true: "Joined", false: "Pending"}[joined]
			if err != nil {
				got = fmt.Sprint(codeOf(err))
			}
			if got != tt.want {
				t.Fatalf("outsider applies: %s (%v), want %s", got, err, tt.want)
			}
			wantRole := map[string]string{"Joined": "Member"}[got]
			if wantRole == "" {
				wantRole = "NotMember"
			}
			if tt.typ != "AVChatRoom" {
				if r := roleOf(t, n, id, "out"); r != wantRole {
					t.Fatalf("outsider's role %s, want %s", r, wantRole)
				}
			}
			_, err = clients["member"].ApplyToJoin(ctx, id, "")
			if want := map[string]int{"Joined": 10013, "Pending": 10013}[tt.want]; want != 0 && codeOf(err) != want {
				t.Fatalf("member applies: %v, want %d", err, want)
			}
			if got == "Joined" {
				e := nextEvent(t, clients["outsider"], client.TypeMemberJoined)
				if j, _ := e.MemberJoined(); j.JoinType != "Applied" || j.Operator != "out" || e.GroupID != id || e.EventSeq == 0 {
					t.Fatalf("MemberJoined %s", e.Raw)
				}
			}
		})
	}

	// Live groups are entered with join_group: DisableApply admits only
	// the owner; NeedPermission lets everyone in.
	for i, option := range []string{"FreeAccess", "NeedPermission", "DisableApply"} {
		t.Run("join_group/AVChatRoom/"+option, func(t *testing.T) {
			id := groupID("AVChatRoom", "enter", i)
			groupFixture(t, n, id, "AVChatRoom", option)
			want := map[string]int{"DisableApply": 10007}[option]
			if err := clients["outsider"].JoinGroup(ctx, id); codeOf(err) != want {
				t.Fatalf("outsider enters: %v, want %d", err, want)
			}
			if err := clients["owner"].JoinGroup(ctx, id); err != nil {
				t.Fatalf("owner enters: %v", err)
			}
		})
	}

	// Deciding an application, by each role, in the types that take them.
	for _, typ := range []string{"Public", "ChatRoom"} {
		for _, decider := range []string{"owner", "admin", "member", "outsider"} {
			for _, approve := range []bool{true, false} {
				t.Run(fmt.Sprintf("decide/%s/%s/%v", typ, decider, approve), func(t *testing.T) {
					id := groupID(typ, "decide", decider, approve)
					groupFixture(t, n, id, typ, "NeedPermission")
					if joined, err := clients["outsider"].ApplyToJoin(ctx, id, "please"); err != nil || joined {
						t.Fatalf("apply: %v %v", joined, err)
					}
					var err error
					if approve {
						err = clients[decider].ApproveApplication(ctx, id, "out")
					} else {
						err = clients[decider].RejectApplication(ctx, id, "out", "full")
					}
					allowed := decider == "owner" || decider == "admin"
					if want := map[bool]int{false: 10007}[allowed]; codeOf(err) != want {
						t.Fatalf("%s decides: %v, want %d", decider, err, want)
					}
					wantRole := "NotMember"
					if allowed && approve {
						wantRole = "Member"
					}
					if r := roleOf(t, n, id, "out"); r != wantRole {
						t.Fatalf("applicant's role %s, want %s", r, wantRole)
					}
					if !allowed {
						return
					}
					e := nextEvent(t, clients["outsider"], client.TypeJoinApplicationHandled)
					h, _ := e.JoinApplicationHandled()
					if h.GroupID != id || h.Operator != roleUsers[decider] || h.Decision != map[bool]string{true: "Approved", false: "Rejected"}[approve] || e.Seq == 0 {
						t.Fatalf("decision notice %s", e.Raw)
					}
					if err := clients["owner"].ApproveApplication(ctx, id, "out"); codeOf(err) != 10024 {
						t.Fatalf("deciding twice: %v, want 10024", err)
					}
				})
			}
		}
	}

	// Inviting, by each role (S2: Work and Community members invite; in
	// Public and Meeting groups only the app admin adds; nobody adds to a
	// live group).
	for _, typ := range groupTypes {
		for _, inviter := range []string{"owner", "admin", "member", "outsider"} {
			t.Run(fmt.Sprintf("invite/%s/%s", typ, inviter), func(t *testing.T) {
				id := groupID(typ, "invite", inviter)
				groupFixture(t, n, id, typ, "")
				allowed := (typ == "Private" || typ == "Community") && inviter != "outsider" && (inviter != "admin" || hasAdmin[typ])
				results, err := clients[inviter].InviteMembers(ctx, id, "new")
				if want := map[bool]int{false: 10007}[allowed]; codeOf(err) != want {
					t.Fatalf("%s invites: %v, want %d", inviter, err, want)
				}
				if allowed && (len(results) != 1 || results[0].Result != 1 || roleOf(t, n, id, "new") != "Member") {
					t.Fatalf("invited: %+v", results)
				}
			})
		}
	}
}

// TestGroupPermissionsThroughGateway: the main operations, by each role,
// in each group type, from clients, with the codes of the REST matrix.
func TestGroupPermissionsThroughGateway(t *testing.T) {
	storeEngines(t, testGroupPermissions)
}

func testGroupPermissions(t *testing.T, storeArgs []string) {
	n := startTestApp(t, "", storeArgs...)
	ctx := context.Background()
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"own", "adm", "mem", "out", "vic"}}))
	clients := map[string]*client.Client{}
	for role, u := range roleUsers {
		clients[role] = dialUser(t, n, u)
		drain(clients[role])
	}
	var (
		ownerOnly   = []string{"owner"}
		ownerAdmin  = []string{"owner", "admin"}
		everyMember = []string{"owner", "admin", "member"}
		nobody      = []string{}
	)
	// Each operation acts on vic, an ordinary member, where it needs a
	// target; the roles allowed per type (a type left out: 10007 for all).
	ops := []struct {
		name    string
		do      func(c *client.Client, id string) error
		allowed map[string][]string
	}{
		{"rename", func(c *client.Client, id string) error {
			return c.ModifyGroupInfo(ctx, id, client.GroupInfoChange{Name: new("renamed")})
		}, map[string][]string{"Private": everyMember, "Public": ownerAdmin, "ChatRoom": ownerAdmin, "AVChatRoom": ownerOnly, "Community": ownerAdmin}},
		{"mute all", func(c *client.Client, id string) error {
			return c.ModifyGroupInfo(ctx, id, client.GroupInfoChange{MuteAllMember: new("On")})
		}, map[string][]string{"Private": ownerOnly, "Public": ownerAdmin, "ChatRoom": ownerAdmin, "AVChatRoom": ownerOnly, "Community": ownerAdmin}},
		{"kick", func(c *client.Client, id string) error { return c.KickMembers(ctx, id, "bye", "vic") },
			map[string][]string{"Private": ownerOnly, "Public": ownerAdmin, "ChatRoom": ownerAdmin, "Community": ownerAdmin}},
		{"mute", func(c *client.Client, id string) error { return c.MuteMembers(ctx, id, time.Minute, "vic") },
			map[string][]string{"Public": ownerAdmin, "ChatRoom": ownerAdmin, "AVChatRoom": ownerOnly, "Community": ownerAdmin}},
		{"appoint an admin", func(c *client.Client, id string) error { return c.SetMemberRole(ctx, id, "vic", "Admin") },
			map[string][]string{"Public": ownerOnly, "ChatRoom": ownerOnly, "Community": ownerOnly}},
		{"set another's name card", func(c *client.Client, id string) error {
			return c.ModifyMemberInfo(ctx, id, "vic", client.MemberInfoChange{NameCard: new("card")})
		}, map[string][]string{"Private": ownerOnly, "Public": ownerAdmin, "ChatRoom": ownerAdmin, "Community": ownerAdmin}},
		{"transfer ownership", func(c *client.Client, id string) error { return c.ChangeGroupOwner(ctx, id, "vic") },
			map[string][]string{"Private": ownerOnly, "Public": ownerOnly, "ChatRoom": ownerOnly, "Community": ownerOnly}},
		{"dismiss", func(c *client.Client, id string) error { return c.DismissGroup(ctx, id) },
			map[string][]string{"Private": nobody, "Public": ownerOnly, "ChatRoom": ownerOnly, "AVChatRoom": ownerOnly, "Community": ownerOnly}},
		{"list members", func(c *client.Client, id string) error {
			_, err := c.GroupMembers(ctx, id, client.MemberQuery{})
			return err
		}, map[string][]string{"Private": everyMember, "Public": everyMember, "ChatRoom": everyMember, "Community": everyMember}},
		{"read attributes", func(c *client.Client, id string) error {
			_, err := c.GroupAttrs(ctx, id)
			return err
		}, map[string][]string{"Private": everyMember, "Public": everyMember, "ChatRoom": everyMember, "AVChatRoom": {"owner", "admin", "member", "outsider"}, "Community": everyMember}},
	}
	for i, op := range ops {
		for _, typ := range groupTypes {
			for _, role := range []string{"owner", "admin", "member", "outsider"} {
				t.Run(fmt.Sprintf("%s/%s/%s", op.name, typ, role), func(t *testing.T) {
					id := groupID(typ, "perm", i, role)
					groupFixture(t, n, id, typ, "", "vic")
					err := op.do(clients[role], id)
					want := 10007
					switch {
					case slices.Contains(op.allowed[typ], role):
						want = 0
					case op.name == "kick" && typ == "AVChatRoom":
						want = 10004 // nobody removes from a live group (REST's code)
					}
					if typ == "Private" && role == "admin" && want == 0 {
						want = 10007 // a Work group has no admin: adm is an outsider
					}
					if codeOf(err) != want {
						t.Fatalf("%s by the %s of a %s group: %v, want %d", op.name, role, typ, err, want)
					}
				})
			}
		}
	}
}

// TestGroupReadsThroughGateway: what a client reads of groups — profiles
// (a Work group's for its members only, custom data for members only),
// its own groups, members, pending applications, attributes, counters.
func TestGroupReadsThroughGateway(t *testing.T) {
	storeEngines(t, testGroupReads)
}

func testGroupReads(t *testing.T, storeArgs []string) {
	n := startTestApp(t, "", storeArgs...)
	ctx := context.Background()
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"own", "adm", "mem", "out", "a1", "a2", "a3"}}))
	own, mem, out := dialUser(t, n, "own"), dialUser(t, n, "mem"), dialUser(t, n, "out")
	for _, c := range []*client.Client{own, mem, out} {
		drain(c)
	}
	groupFixture(t, n, "pub", "Public", "NeedPermission")
	groupFixture(t, n, "work", "Private", "")
	mustOK(t, n.rest("v4/group_open_http_svc/modify_group_base_info", map[string]any{"GroupId": "pub",
		"AppDefinedData": []any{map[string]any{"Key": "level", "Value": "7"}}}))

	infos, err := out.GroupsInfo(ctx, "pub", "work", "nope")
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 3 || infos[0].ErrorCode != 0 || infos[0].Type != "Public" || infos[0].MemberNum != 3 || infos[0].Owner != "own" ||
		len(infos[0].AppDefinedData) != 0 || infos[1].ErrorCode != 10007 || infos[2].ErrorCode != 10010 {
		t.Fatalf("an outsider's view: %+v", infos)
	}
	infos, err = mem.GroupsInfo(ctx, "pub", "work")
	if err != nil || infos[0].AppDefinedData[0].Value != "7" || infos[1].ErrorCode != 0 || infos[1].Type != "Private" {
		t.Fatalf("a member's view: %+v %v", infos, err)
	}
	if _, err := out.GroupsInfo(ctx); codeOf(err) != 10004 {
		t.Fatalf("no IDs: %v", err)
	}

	// mem is in pub and in work, which is not active before its first
	// message, so it is not listed.
	groups, total, err := mem.JoinedGroups(ctx, 0, 0)
	if err != nil || total != 1 || len(groups) != 1 || groups[0].GroupID != "pub" || groups[0].Self.Role != "Member" {
		t.Fatalf("joined: %d %+v %v", total, groups, err)
	}
	if _, _, err := mem.JoinedGroups(ctx, 0, 101); codeOf(err) != 10004 {
		t.Fatalf("a page over 100: %v", err)
	}

	page, err := mem.GroupMembers(ctx, "pub", client.MemberQuery{Roles: []string{"Owner", "Admin"}})
	if err != nil || page.MemberNum != 3 || len(page.Members) != 2 {
		t.Fatalf("owner and admins: %+v %v", page, err)
	}
	members, err := mem.GroupMembersInfo(ctx, "pub", "adm", "out")
	if err != nil || len(members) != 1 || members[0].UserID != "adm" || members[0].Role != "Admin" {
		t.Fatalf("specified members: %+v %v", members, err)
	}
	if _, err := out.GroupMembersInfo(ctx, "pub", "adm"); codeOf(err) != 10007 {
		t.Fatalf("an outsider reads members: %v", err)
	}

	for _, u := range []string{"a1", "a2", "a3"} {
		if _, err := dialUser(t, n, u).ApplyToJoin(ctx, "pub", "from "+u); err != nil {
			t.Fatal(err)
		}
	}
	list, next, err := own.JoinApplications(ctx, "pub", 0, 2)
	if err != nil || len(list) != 2 || next != 2 || list[0].ApplyMsg == "" {
		t.Fatalf("applications: %+v %d %v", list, next, err)
	}
	if list, next, err = own.JoinApplications(ctx, "pub", next, 2); err != nil || len(list) != 1 || next != 0 {
		t.Fatalf("last page of applications: %+v %d %v", list, next, err)
	}
	if _, _, err := mem.JoinApplications(ctx, "pub", 0, 0); codeOf(err) != 10007 {
		t.Fatalf("a member lists applications: %v", err)
	}

	mustOK(t, n.rest("v4/group_open_http_svc/update_group_counter", map[string]any{"GroupId": "pub",
		"GroupCounter": []any{map[string]any{"Key": "likes", "Value": 5}, map[string]any{"Key": "views", "Value": 9}}}))
	counters, err := mem.GroupCounters(ctx, "pub", "views")
	if err != nil || len(counters) != 1 || counters[0] != (client.GroupCounter{Key: "views", Value: 9}) {
		t.Fatalf("counters: %+v %v", counters, err)
	}
	if _, err := out.GroupCounters(ctx, "pub"); codeOf(err) != 10007 {
		t.Fatalf("an outsider reads counters: %v", err)
	}

	if err := own.MuteMembers(ctx, "pub", time.Hour, "mem"); err != nil {
		t.Fatal(err)
	}
	if m, _ := own.GroupMembersInfo(ctx, "pub", "mem"); m[0].MuteUntil == 0 {
		t.Fatalf("muted member: %+v", m)
	}
	if err := own.UnmuteMembers(ctx, "pub", "mem"); err != nil {
		t.Fatal(err)
	}
	if m, _ := own.GroupMembersInfo(ctx, "pub", "mem"); m[0].MuteUntil != 0 {
		t.Fatalf("unmuted member: %+v", m)
	}
}
