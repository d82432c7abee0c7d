package group_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/store/sqlite/sqlitetest"
)

const appID = 1400000001

var now = time.Unix(1717000000, 0)

// mustService is a group service over a fresh SQLite file holding the
// accounts the tests use.
func mustService(t *testing.T) (*group.Service, *config.App, *store.DB) {
	t.Helper()
	db := sqlitetest.Open(t)
	var accounts []im.AccountImport
	for _, id := range []string{"own", "adm", "mem", "out", "new", "admin"} {
		accounts = append(accounts, im.AccountImport{Account: im.Account{AppID: appID, UserID: id}})
	}
	if err := db.ImportAccounts(context.Background(), accounts); err != nil {
		t.Fatal(err)
	}
	app := &config.App{SDKAppID: appID, SecretKey: "k", Admins: []string{"admin"}}
	return group.NewService(db, db, nil), app, db
}

// The operators of the permission matrix, by their role in the group.
var operators = map[string]group.Operator{
	"owner":     {UserID: "own"},
	"admin":     {UserID: "adm"},
	"member":    {UserID: "mem"},
	"outsider":  {UserID: "out"},
	"app admin": group.AppAdmin("admin"),
}

// perm is one row of the matrix: an operation, and per group type the
// roles that may perform it; a type left out does not support it at all
// (unsupported, 10007 unless set), for the app admin neither.
type perm struct {
	op          string
	run         func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error
	roles       map[im.GroupType][]string
	unsupported int
}

// For the types without stored members or admins, the fixture has fewer
// roles: a Work group has no admin (adm is an outsider there), a live group
// stores nobody but knows its owner.
var (
	private, public, chatRoom, live, community = im.GroupPrivate, im.GroupPublic, im.GroupChatRoom, im.GroupAVChatRoom, im.GroupCommunity
	ownerOnly                                  = []string{"owner"}
	ownerAdmin                                 = []string{"owner", "admin"}
	everyMember                                = []string{"owner", "admin", "member"}
	ownerMember                                = []string{"owner", "member"} // every member of a Work group
	appAdminOnly                               = []string{}
)

func ptr[T any](v T) *T { return &v }

var matrix = []perm{
	{"edit the name", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.ModifyInfo(ctx, app, by, g, group.InfoChange{Name: ptr("renamed")}, now)
	}, map[im.GroupType][]string{private: ownerMember, public: ownerAdmin, chatRoom: ownerAdmin, live: ownerOnly, community: ownerAdmin}, 0},
	{"mute all", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.ModifyInfo(ctx, app, by, g, group.InfoChange{MuteAllMember: ptr(true)}, now)
	}, map[im.GroupType][]string{private: ownerOnly, public: ownerAdmin, chatRoom: ownerAdmin, live: ownerOnly, community: ownerAdmin}, 0},
	{"invite", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		_, err := s.AddMembers(ctx, app, by, g, []string{"new"}, false, now)
		return err
	}, map[im.GroupType][]string{private: ownerMember, public: appAdminOnly, chatRoom: appAdminOnly, community: everyMember}, 0},
	{"kick a member", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.RemoveMembers(ctx, app, by, g, []string{"mem"}, "", false)
	}, map[im.GroupType][]string{private: ownerOnly, public: ownerAdmin, chatRoom: ownerAdmin, community: ownerAdmin}, im.CodeGroupBadParam},
	{"kick an admin", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.RemoveMembers(ctx, app, by, g, []string{"adm"}, "", false)
	}, map[im.GroupType][]string{private: ownerOnly, public: ownerOnly, chatRoom: ownerOnly, community: ownerOnly}, im.CodeGroupBadParam},
	{"kick the owner", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.RemoveMembers(ctx, app, by, g, []string{"own"}, "", false)
	}, map[im.GroupType][]string{private: appAdminOnly, public: appAdminOnly, chatRoom: appAdminOnly, community: appAdminOnly}, im.CodeGroupBadParam},
	{"mute a member", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.Mute(ctx, app, by, g, "", []string{"mem"}, 60, now)
	}, map[im.GroupType][]string{public: ownerAdmin, chatRoom: ownerAdmin, live: ownerOnly, community: ownerAdmin}, 0},
	{"mute an admin", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.Mute(ctx, app, by, g, "", []string{"adm"}, 60, now)
	}, map[im.GroupType][]string{public: ownerOnly, chatRoom: ownerOnly, live: ownerOnly, community: ownerOnly}, 0},
	{"appoint an admin", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.ModifyMember(ctx, app, by, g, "mem", group.MemberChange{Role: ptr(im.RoleAdmin)}, now)
	}, map[im.GroupType][]string{public: ownerOnly, chatRoom: ownerOnly, community: ownerOnly}, 0},
	{"set a member's name card", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.ModifyMember(ctx, app, by, g, "mem", group.MemberChange{NameCard: ptr("card")}, now)
	}, map[im.GroupType][]string{private: ownerMember, public: everyMember, chatRoom: everyMember, community: everyMember}, 0},
	{"set the owner's name card", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.ModifyMember(ctx, app, by, g, "own", group.MemberChange{NameCard: ptr("card")}, now)
	}, map[im.GroupType][]string{private: ownerOnly, public: ownerOnly, chatRoom: ownerOnly, community: ownerOnly}, 0},
	{"transfer ownership", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.ChangeOwner(ctx, app, by, g, "mem", now)
	}, map[im.GroupType][]string{private: ownerOnly, public: ownerOnly, chatRoom: ownerOnly, community: ownerOnly}, 0},
	{"disband", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.Destroy(ctx, app, by, g)
	}, map[im.GroupType][]string{private: appAdminOnly, public: ownerOnly, chatRoom: ownerOnly, live: ownerOnly, community: ownerOnly}, 0},
	{"write attributes", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		return s.WriteAttrs(ctx, app, by, g, group.AttrModify, []im.Attr{{Key: "k", Value: "v"}}, now)
	}, map[im.GroupType][]string{private: ownerOnly, public: ownerAdmin, chatRoom: ownerAdmin, live: ownerOnly, community: ownerAdmin}, 0},
	{"update counters", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		_, err := s.UpdateCounters(ctx, app, by, g, group.CounterIncrease, []im.Counter{{Key: "likes", Value: 1}})
		return err
	}, map[im.GroupType][]string{private: ownerOnly, public: ownerAdmin, chatRoom: ownerAdmin, live: ownerOnly}, 0},
	{"create a topic", func(ctx context.Context, s *group.Service, app *config.App, by group.Operator, g string) error {
		_, err := s.CreateTopic(ctx, app, by, group.TopicInput{GroupID: g, Name: ptr("t")}, now)
		return err
	}, map[im.GroupType][]string{community: ownerAdmin}, im.CodeTopicsUnavailable},
}

// TestPermissionMatrix runs each operation of the matrix in each group
// type as each kind of operator, on a group of its own, and checks who may
// (rest-groups.md S2, S4; the app admin holds owner-level power).
func TestPermissionMatrix(t *testing.T) {
	s, app, _ := mustService(t)
	ctx := context.Background()
	admin := group.AppAdmin("admin")
	n := 0
	for _, p := range matrix {
		for _, typ := range []im.GroupType{private, public, chatRoom, live, community} {
			for who, by := range operators {
				n++
				id := fmt.Sprintf("g%d", n)
				in := group.CreateInput{Type: string(typ), GroupID: id, Name: ptr("g"), Owner: "own"}
				if typ == community {
					in.GroupID, in.SupportTopic = "@TGS#_"+id, true
				}
				if typ != live {
					in.Members = append(in.Members, im.Member{UserID: "mem"})
					if typ != private {
						in.Members = append(in.Members, im.Member{UserID: "adm", Role: im.RoleAdmin})
					}
				}
				if _, err := s.Create(ctx, app, admin, in, now); err != nil {
					t.Fatalf("create %s: %v", typ, err)
				}
				want := 0
				roles, supported := p.roles[typ]
				switch {
				case !supported && p.unsupported != 0:
					want = p.unsupported
				case !supported:
					want = im.CodeGroupNotAllowed
				case !by.Admin && !contains(roles, who):
					want = im.CodeGroupNotAllowed
				}
				err := p.run(ctx, s, app, by, in.GroupID)
				if got := im.CodeOf(err); got != want || (err != nil && got == 0) {
					t.Errorf("%s in a %s group as %s: %v (code %d), want code %d", p.op, typ, who, err, got, want)
				}
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestUsersEditThemselves: any member may set their own name card and
// receive option, but not their own role or mute, nor a superior's card.
func TestUsersEditThemselves(t *testing.T) {
	s, app, _ := mustService(t)
	ctx := context.Background()
	in := group.CreateInput{Type: "Public", GroupID: "g", Name: ptr("g"), Owner: "own", Members: []im.Member{{UserID: "mem"}}}
	if _, err := s.Create(ctx, app, group.AppAdmin("admin"), in, now); err != nil {
		t.Fatal(err)
	}
	mem := group.Operator{UserID: "mem"}
	if err := s.ModifyMember(ctx, app, mem, "g", "mem", group.MemberChange{NameCard: ptr("me"), MsgFlag: ptr(group.Discard)}, now); err != nil {
		t.Errorf("own name card: %v", err)
	}
	if err := s.ModifyMember(ctx, app, mem, "g", "mem", group.MemberChange{Role: ptr(im.RoleAdmin)}, now); im.CodeOf(err) != im.CodeGroupNotAllowed {
		t.Errorf("own promotion: %v, want 10007", err)
	}
	if err := s.ModifyMember(ctx, app, mem, "g", "mem", group.MemberChange{MuteTime: ptr(int64(0))}, now); im.CodeOf(err) != im.CodeGroupNotAllowed {
		t.Errorf("own unmute: %v, want 10007", err)
	}
	if err := s.ModifyMember(ctx, app, mem, "g", "own", group.MemberChange{NameCard: ptr("boss")}, now); im.CodeOf(err) != im.CodeGroupNotAllowed {
		t.Errorf("the owner's name card: %v, want 10007", err)
	}
}
