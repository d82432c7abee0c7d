package api_test

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Generated group ID shapes of rest-groups.md S3.
var (
	generatedID = regexp.MustCompile(`^@TGS#[!-~]{1,43}$`)
	communityID = regexp.MustCompile(`^@TGS#_@TGS#c[!-~]{1,37}$`)
)

// appGroups calls get_appid_group_list one second after the previous call,
// since its documented rate is 1/s.
func (ts *testServer) appGroups(t *testing.T, body string, want int) map[string]any {
	t.Helper()
	ts.clock.Advance(time.Second)
	return ts.must(t, pathAppGroups, body, want)
}

// groupIDs reads a GroupIdList of {"GroupId": ...} objects.
func groupIDs(t *testing.T, v any) []string {
	t.Helper()
	out := []string{}
	for _, g := range list(t, v) {
		out = append(out, g["GroupId"].(string))
	}
	return out
}

func TestCreateGroupTypes(t *testing.T) {
	ts := newTestServer(t)
	ts.importAccounts(t, "owner")
	tests := []struct {
		typ, stored string
		id          *regexp.Regexp
		members     int64
	}{
		{"Private", "Private", generatedID, 1},
		{"Work", "Private", generatedID, 1},
		{"Public", "Public", generatedID, 1},
		{"ChatRoom", "ChatRoom", generatedID, 1},
		{"Meeting", "ChatRoom", generatedID, 1},
		{"AVChatRoom", "AVChatRoom", generatedID, 0}, // the owner enters from the client
		{"Community", "Community", communityID, 1},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			env := ts.must(t, pathCreateGroup, `{"Owner_Account":"owner","Type":"`+tt.typ+`","Name":"g"}`, 0)
			sameKeys(t, "create_group reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "GroupId")
			id := env["GroupId"].(string)
			if !tt.id.MatchString(id) {
				t.Errorf("GroupId %q does not match %s", id, tt.id)
			}
			if seen[id] {
				t.Errorf("GroupId %q handed out twice", id)
			}
			seen[id] = true
			info := ts.groupInfo(t, id)
			if info["Type"] != tt.stored || num(t, info["MemberNum"]) != tt.members || info["Owner_Account"] != "owner" {
				t.Errorf("stored Type %v MemberNum %v Owner %v, want %s %d owner", info["Type"], info["MemberNum"], info["Owner_Account"], tt.stored, tt.members)
			}
			if tt.members > 0 {
				m := list(t, info["MemberList"])
				if len(m) != 1 || m[0]["Member_Account"] != "owner" || m[0]["Role"] != "Owner" {
					t.Errorf("MemberList %v, want the owner as Owner", m)
				}
			}
		})
	}

	t.Run("Community with SupportTopic", func(t *testing.T) {
		env := ts.must(t, pathCreateGroup, `{"Owner_Account":"owner","Type":"Community","Name":"hub","SupportTopic":1}`, 0)
		if !communityID.MatchString(env["GroupId"].(string)) || env["Type"] != "Community" || num(t, env["HugeGroupFlag"]) != 0 {
			t.Errorf("reply %v, want a community GroupId, Type Community and HugeGroupFlag 0", env)
		}
		if info := ts.groupInfo(t, env["GroupId"].(string)); num(t, info["SupportTopic"]) != 1 {
			t.Errorf("SupportTopic %v, want 1", info["SupportTopic"])
		}
	})
	t.Run("ownerless", func(t *testing.T) {
		id := ts.createGroup(t, `{"Type":"Public","Name":"nobody's"}`)
		if info := ts.groupInfo(t, id); info["Owner_Account"] != "" || num(t, info["MemberNum"]) != 0 {
			t.Errorf("Owner_Account %v MemberNum %v, want empty group", info["Owner_Account"], info["MemberNum"])
		}
	})
}

func TestCreateGroupIDs(t *testing.T) {
	ts := newTestServer(t)
	ts.importAccounts(t, "alice", "bob")
	id48 := strings.Repeat("g", 48)
	tests := []struct {
		name, body string
		want       int
	}{
		{"custom ID", `{"Type":"Public","GroupId":"team-ops","Name":"x"}`, 0},
		{"custom ID of 48 bytes", `{"Type":"AVChatRoom","GroupId":"` + id48 + `","Name":"x"}`, 0},
		{"custom ID with space and symbols", `{"Type":"ChatRoom","GroupId":"a b~!{}","Name":"x"}`, 0},
		{"custom community ID", `{"Type":"Community","GroupId":"@TGS#_myhub","Name":"x"}`, 0},
		{"community ID without @TGS#_", `{"Type":"Community","GroupId":"myhub","Name":"x"}`, 10015},
		{"community ID with @TGS# only", `{"Type":"Community","GroupId":"@TGS#myhub","Name":"x"}`, 10015},
		{"custom ID with @TGS#", `{"Type":"Public","GroupId":"@TGS#abc","Name":"x"}`, 10015},
		{"custom ID with @TGS#_ on a Work group", `{"Type":"Work","GroupId":"@TGS#_abc","Name":"x"}`, 10015},
		{"custom ID over 48 bytes", `{"Type":"Public","GroupId":"` + id48 + `g","Name":"x"}`, 10015},
		{"custom ID with a control character", `{"Type":"Public","GroupId":"a\u0001b","Name":"x"}`, 10015},
		{"custom ID not ASCII", `{"Type":"Public","GroupId":"grüppe","Name":"x"}`, 10015},
		{"ID of alice", `{"Owner_Account":"alice","Type":"Public","GroupId":"dup","Name":"x"}`, 0},
		{"ID taken by another owner", `{"Owner_Account":"bob","Type":"Public","GroupId":"dup","Name":"x"}`, 10021},
		{"ID taken by an ownerless create", `{"Type":"Public","GroupId":"dup","Name":"x"}`, 10021},
		{"ID taken for another type", `{"Owner_Account":"bob","Type":"Private","GroupId":"dup","Name":"x"}`, 10021},
		{"ID taken by the same owner", `{"Owner_Account":"alice","Type":"Public","GroupId":"dup","Name":"x"}`, 10025},
		{"ownerless ID", `{"Type":"Public","GroupId":"free","Name":"x"}`, 0},
		{"ownerless ID again", `{"Type":"Public","GroupId":"free","Name":"x"}`, 10021},
		{"custom ID taken", `{"Type":"Public","GroupId":"team-ops","Name":"x"}`, 10021},
		{"rejected create with a custom ID", `{"Type":"Public","GroupId":"rejected","Name":""}`, 10004},
		{"custom ID of a rejected create is free", `{"Type":"Public","GroupId":"rejected","Name":"x"}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := ts.must(t, pathCreateGroup, tt.body, tt.want)
			if tt.want == 0 {
				var req struct{ GroupId string }
				mustUnmarshal(t, tt.body, &req)
				if env["GroupId"] != req.GroupId {
					t.Errorf("GroupId %v, want the custom %q", env["GroupId"], req.GroupId)
				}
			}
		})
	}
	t.Run("ID is free again after disbanding", func(t *testing.T) {
		ts.must(t, pathDestroy, `{"GroupId":"dup"}`, 0)
		ts.must(t, pathCreateGroup, `{"Owner_Account":"bob","Type":"Public","GroupId":"dup","Name":"x"}`, 0)
	})
}

func TestCreateGroupValidation(t *testing.T) {
	ts := newTestServer(t)
	members := ids("m", 101)
	ts.importAccounts(t, "owner")
	ts.importAccounts(t, members[:100]...)
	memberList := func(userIDs []string) string {
		var b strings.Builder
		for i, id := range userIDs {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"Member_Account":%q}`, id)
		}
		return "[" + b.String() + "]"
	}
	tests := []struct {
		name, body string
		want       int
	}{
		{"Name missing", `{"Type":"Public"}`, 10004},
		{"Name empty", `{"Type":"Public","Name":""}`, 10004},
		{"Name of 30 bytes", `{"Type":"Public","Name":"` + strings.Repeat("n", 30) + `"}`, 0},
		{"Name over 30 bytes", `{"Type":"Public","Name":"` + strings.Repeat("n", 31) + `"}`, 10004},
		{"Name of 11 CJK characters (33 bytes)", `{"Type":"Public","Name":"` + strings.Repeat("群", 11) + `"}`, 10004},
		{"Introduction over 240 bytes", `{"Type":"Public","Name":"x","Introduction":"` + strings.Repeat("i", 241) + `"}`, 10004},
		{"Type missing", `{"Name":"x"}`, 10004},
		{"Type unknown", `{"Type":"Bogus","Name":"x"}`, 10004},
		{"Type is case-sensitive", `{"Type":"public","Name":"x"}`, 10004},
		{"BChatRoom not creatable", `{"Type":"BChatRoom","Name":"x"}`, 10004},
		{"ApplyJoinOption unknown", `{"Type":"Public","Name":"x","ApplyJoinOption":"Anyone"}`, 10004},
		{"SupportTopic on a Public group", `{"Type":"Public","Name":"x","SupportTopic":1}`, 10004},
		{"SupportTopic 2", `{"Type":"Community","Name":"x","SupportTopic":2}`, 10004},
		{"MemberList on AVChatRoom", `{"Type":"AVChatRoom","Name":"x","MemberList":[{"Member_Account":"m0"}]}`, 10007},
		{"MemberList of 100", `{"Owner_Account":"owner","Type":"Public","Name":"x","MemberList":` + memberList(members[:100]) + `}`, 0},
		{"MemberList over 100", `{"Type":"Public","Name":"x","MemberList":` + memberList(members) + `}`, 10005},
		{"member not imported", `{"Type":"Public","Name":"x","MemberList":[{"Member_Account":"m0"},{"Member_Account":"ghost"}]}`, 10019},
		{"owner not imported", `{"Owner_Account":"ghost","Type":"Public","Name":"x"}`, 10019},
		{"AVChatRoom owner not imported", `{"Owner_Account":"ghost","Type":"AVChatRoom","Name":"x"}`, 10019},
		{"member without Member_Account", `{"Type":"Public","Name":"x","MemberList":[{"Role":"Admin"}]}`, 10004},
		{"members over MaxMemberCount", `{"Owner_Account":"owner","Type":"Public","Name":"x","MaxMemberCount":2,"MemberList":[{"Member_Account":"m0"},{"Member_Account":"m1"}]}`, 10038},
		{"members at MaxMemberCount", `{"Owner_Account":"owner","Type":"Public","Name":"x","MaxMemberCount":3,"MemberList":[{"Member_Account":"m0"},{"Member_Account":"m1"}]}`, 0},
		{"Admin on a Private group", `{"Type":"Private","Name":"x","MemberList":[{"Member_Account":"m0","Role":"Admin"}]}`, 10004},
		{"Admin on a Work group", `{"Type":"Work","Name":"x","MemberList":[{"Member_Account":"m0","Role":"Admin"}]}`, 10004},
		{"Owner role in MemberList", `{"Type":"Public","Name":"x","MemberList":[{"Member_Account":"m0","Role":"Owner"}]}`, 10004},
		{"Admin on a Public group", `{"Type":"Public","Name":"x","MemberList":[{"Member_Account":"m0","Role":"Admin"}]}`, 0},
		{"Admin on a Meeting group", `{"Type":"Meeting","Name":"x","MemberList":[{"Member_Account":"m0","Role":"Admin"}]}`, 0},
		{"AppDefinedData bad key", `{"Type":"Public","Name":"x","AppDefinedData":[{"Key":"bad-key","Value":"v"}]}`, 10004},
	}
	created := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.must(t, pathCreateGroup, tt.body, tt.want)
			if tt.want == 0 {
				created++
			}
		})
	}
	t.Run("rejected creates leave nothing", func(t *testing.T) {
		env := ts.appGroups(t, `{}`, 0)
		if n := num(t, env["TotalCount"]); n != int64(created) {
			t.Errorf("TotalCount %d, want %d", n, created)
		}
		joined := ts.must(t, pathJoined, `{"Member_Account":"m0","WithNoActiveGroups":1}`, 0)
		if n := num(t, joined["TotalCount"]); n != 4 {
			t.Errorf("m0 is in %d groups, want 4 (MemberList of 100, at MaxMemberCount, Public and Meeting admin)", n)
		}
	})
}

func TestDestroyGroup(t *testing.T) {
	ts := newTestServer(t)
	ts.importAccounts(t, "owner", "member")
	pub := ts.createGroup(t, `{"Owner_Account":"owner","Type":"Public","Name":"x","MemberList":[{"Member_Account":"member"}]}`)
	live := ts.createGroup(t, `{"Owner_Account":"owner","Type":"AVChatRoom","Name":"live"}`)
	tests := []struct {
		name, body string
		want       int
	}{
		{"Public group", `{"GroupId":"` + pub + `"}`, 0},
		{"already disbanded", `{"GroupId":"` + pub + `"}`, 10010},
		{"AVChatRoom", `{"GroupId":"` + live + `"}`, 0},
		{"never existed", `{"GroupId":"nope"}`, 10010},
		{"ID over 48 bytes", `{"GroupId":"` + strings.Repeat("g", 49) + `"}`, 10015},
		{"ID with a control character", `{"GroupId":"a\u0002"}`, 10015},
		{"GroupId missing", `{}`, 10004},
		{"GroupId empty", `{"GroupId":""}`, 10004},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.must(t, pathDestroy, tt.body, tt.want)
		})
	}
	env := ts.must(t, pathGroupInfo, `{"GroupIdList":["`+pub+`","`+live+`"]}`, 0)
	for _, g := range list(t, env["GroupInfo"]) {
		if num(t, g["ErrorCode"]) != 10010 {
			t.Errorf("get_group_info of disbanded %v: ErrorCode %v, want 10010", g["GroupId"], g["ErrorCode"])
		}
	}
	if n := num(t, ts.appGroups(t, `{}`, 0)["TotalCount"]); n != 0 {
		t.Errorf("TotalCount %d after disbanding everything", n)
	}
	joined := ts.must(t, pathJoined, `{"Member_Account":"member"}`, 0)
	if n := num(t, joined["TotalCount"]); n != 0 {
		t.Errorf("member still in %d groups", n)
	}
}

func TestAppGroupList(t *testing.T) {
	ts := newTestServer(t)
	var all []string
	for _, typ := range []string{"Public", "Private", "ChatRoom", "AVChatRoom", "Community", "Public", "Work"} {
		all = append(all, ts.createGroup(t, `{"Type":"`+typ+`","Name":"g"}`))
	}

	t.Run("paging", func(t *testing.T) {
		var got []string
		next := int64(0)
		for page, size := range []int{3, 3, 1} {
			env := ts.appGroups(t, fmt.Sprintf(`{"Limit":3,"Next":%d}`, next), 0)
			if n := num(t, env["TotalCount"]); n != 7 {
				t.Errorf("page %d: TotalCount %d, want 7", page, n)
			}
			ids := groupIDs(t, env["GroupIdList"])
			if len(ids) != size {
				t.Errorf("page %d: %d IDs, want %d", page, len(ids), size)
			}
			got = append(got, ids...)
			next = num(t, env["Next"])
			if (next == 0) != (page == 2) {
				t.Errorf("page %d: Next %d", page, next)
			}
		}
		if !reflect.DeepEqual(got, all) {
			t.Errorf("pages list %v, want %v in creation order", got, all)
		}
	})

	tests := []struct {
		name  string
		body  string
		want  []string
		total int64
		more  bool
	}{
		{"no paging fields", `{}`, all, 7, false},
		{"Limit equal to the count", `{"Limit":7}`, all, 7, false},
		{"Limit over the count", `{"Limit":10000}`, all, 7, false},
		{"Public", `{"GroupType":"Public"}`, []string{all[0], all[5]}, 2, false},
		{"Public, first page", `{"GroupType":"Public","Limit":1}`, all[:1], 2, true},
		{"Private includes Work", `{"GroupType":"Private"}`, []string{all[1], all[6]}, 2, false},
		{"ChatRoom", `{"GroupType":"ChatRoom"}`, all[2:3], 1, false},
		{"AVChatRoom", `{"GroupType":"AVChatRoom"}`, all[3:4], 1, false},
		{"Community", `{"GroupType":"Community"}`, all[4:5], 1, false},
		{"BChatRoom lists nothing", `{"GroupType":"BChatRoom"}`, []string{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := ts.appGroups(t, tt.body, 0)
			if got := groupIDs(t, env["GroupIdList"]); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("GroupIdList %v, want %v", got, tt.want)
			}
			if n := num(t, env["TotalCount"]); n != tt.total {
				t.Errorf("TotalCount %d, want %d", n, tt.total)
			}
			if next := num(t, env["Next"]); (next != 0) != tt.more {
				t.Errorf("Next %d, want more=%v", next, tt.more)
			}
		})
	}

	t.Run("filtered paging continues", func(t *testing.T) {
		env := ts.appGroups(t, `{"GroupType":"Public","Limit":1}`, 0)
		env = ts.appGroups(t, fmt.Sprintf(`{"GroupType":"Public","Limit":1,"Next":%d}`, num(t, env["Next"])), 0)
		if got := groupIDs(t, env["GroupIdList"]); !reflect.DeepEqual(got, all[5:6]) || num(t, env["Next"]) != 0 {
			t.Errorf("second Public page %v Next %v, want %v and 0", got, env["Next"], all[5:6])
		}
	})

	for _, body := range []string{`{"GroupType":"Bogus"}`, `{"GroupType":"public"}`, `{"Limit":10001}`, `{"Next":-1}`} {
		t.Run("bad "+body, func(t *testing.T) { ts.appGroups(t, body, 10004) })
	}

	t.Run("disbanded groups are not counted", func(t *testing.T) {
		ts.must(t, pathDestroy, `{"GroupId":"`+all[0]+`"}`, 0)
		env := ts.appGroups(t, `{}`, 0)
		if got := groupIDs(t, env["GroupIdList"]); !reflect.DeepEqual(got, all[1:]) || num(t, env["TotalCount"]) != 6 {
			t.Errorf("after disbanding %s: %v, TotalCount %v", all[0], got, env["TotalCount"])
		}
	})
}
