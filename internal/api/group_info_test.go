package api_test

import (
	"reflect"
	"strings"
	"testing"
)

// groupFixture makes the groups the profile and listing tests read:
// u_mei belongs to five of them, one an inactive Work group, and owns a live
// group, which stores no members.
func groupFixture(t *testing.T) *testServer {
	t.Helper()
	ts := newTestServer(t)
	ts.importAccounts(t, "u_ana", "u_ravi", "u_mei", "u_lone")
	ts.createGroup(t, `{"Owner_Account":"u_ana","Type":"Public","GroupId":"design_review","Name":"Design Review",
		"Introduction":"Weekly UI critique","Notification":"Fridays 10:00","FaceUrl":"https://img.example.org/dr.png",
		"ApplyJoinOption":"FreeAccess","MaxMemberCount":300,
		"AppDefinedData":[{"Key":"Tier","Value":"gold"},{"Key":"Color","Value":"blue"}],
		"MemberList":[{"Member_Account":"u_ravi","Role":"Admin"},
			{"Member_Account":"u_mei","AppMemberDefinedData":[{"Key":"Level","Value":"3"},{"Key":"Badge","Value":"star"}]},
			{"Member_Account":"u_ana"}]}`)
	ts.createGroup(t, `{"Owner_Account":"u_ana","Type":"Work","GroupId":"work","Name":"Work","MemberList":[{"Member_Account":"u_mei"}]}`)
	ts.createGroup(t, `{"Owner_Account":"u_ana","Type":"Meeting","GroupId":"meet","Name":"Meet","MemberList":[{"Member_Account":"u_mei"}]}`)
	ts.createGroup(t, `{"Owner_Account":"u_mei","Type":"AVChatRoom","GroupId":"live","Name":"Live"}`)
	ts.createGroup(t, `{"Owner_Account":"u_ana","Type":"Community","GroupId":"@TGS#_hub","Name":"Hub","MemberList":[{"Member_Account":"u_mei"}]}`)
	ts.createGroup(t, `{"Owner_Account":"u_mei","Type":"Community","GroupId":"@TGS#_topics","Name":"Topics","SupportTopic":1}`)
	return ts
}

// Field names of rest-groups.md S6 and S7 in unfiltered get_group_info.
var (
	fullGroupKeys = []string{"GroupId", "ErrorCode", "ErrorInfo", "Type", "Name", "Appid", "Introduction",
		"Notification", "FaceUrl", "Owner_Account", "CreateTime", "InfoSeq", "LastInfoTime", "LastMsgTime",
		"NextMsgSeq", "MemberNum", "MaxMemberNum", "ApplyJoinOption", "MuteAllMember", "AppDefinedData", "MemberList"}
	fullMemberKeys = []string{"Member_Account", "Role", "JoinTime", "MsgSeq", "MsgFlag", "LastSendMsgTime",
		"MuteUntil", "NameCard", "AppMemberDefinedData"}
	identityKeys = []string{"GroupId", "ErrorCode", "ErrorInfo"}
)

func TestGroupInfoFull(t *testing.T) {
	ts := groupFixture(t)
	env := ts.must(t, pathGroupInfo, `{"GroupIdList":["design_review"]}`, 0)
	golden(t, "get_group_info_full.json", env)

	g := list(t, env["GroupInfo"])[0]
	sameKeys(t, "group", g, fullGroupKeys...)
	members := list(t, g["MemberList"])
	var order []string
	for _, m := range members {
		sameKeys(t, "member "+m["Member_Account"].(string), m, fullMemberKeys...)
		order = append(order, m["Member_Account"].(string)+"/"+m["Role"].(string))
	}
	if want := []string{"u_ana/Owner", "u_ravi/Admin", "u_mei/Member"}; !reflect.DeepEqual(order, want) {
		t.Errorf("members %v, want %v (owner first, listed once)", order, want)
	}
	if num(t, g["Appid"]) != testAppID || num(t, g["CreateTime"]) != testEpoch.Unix() || num(t, g["MemberNum"]) != 3 ||
		num(t, g["MaxMemberNum"]) != 300 || num(t, g["NextMsgSeq"]) != 1 || g["MuteAllMember"] != "Off" || g["ApplyJoinOption"] != "FreeAccess" {
		t.Errorf("group fields %v", g)
	}

	t.Run("Community has SupportTopic", func(t *testing.T) {
		for id, want := range map[string]int64{"@TGS#_hub": 0, "@TGS#_topics": 1} {
			if g := ts.groupInfo(t, id); num(t, g["SupportTopic"]) != want {
				t.Errorf("%s SupportTopic %v, want %d", id, g["SupportTopic"], want)
			}
		}
	})
	t.Run("AVChatRoom has no MemberList", func(t *testing.T) {
		g := ts.groupInfo(t, "live")
		if _, ok := g["MemberList"]; ok || num(t, g["MemberNum"]) != 0 || g["Owner_Account"] != "u_mei" {
			t.Errorf("live group %v: want no MemberList, MemberNum 0, owner u_mei", g)
		}
		env := ts.must(t, pathGroupInfo, `{"GroupIdList":["live"],"ResponseFilter":{"MemberInfoFilter":["Role"]}}`, 0)
		sameKeys(t, "filtered live group", list(t, env["GroupInfo"])[0], identityKeys...)
	})
}

func TestGroupInfoFilters(t *testing.T) {
	ts := groupFixture(t)
	tests := []struct {
		name       string
		filter     string
		groupKeys  []string // besides the identity keys
		memberKeys []string // nil: no MemberList
		check      func(t *testing.T, g map[string]any)
	}{
		{"base fields only", `{"GroupBaseInfoFilter":["Type","Name","Owner_Account","MemberNum","NextMsgSeq"]}`,
			[]string{"Type", "Name", "Owner_Account", "MemberNum", "NextMsgSeq"}, nil,
			func(t *testing.T, g map[string]any) {
				if g["Type"] != "Public" || g["Name"] != "Design Review" || g["Owner_Account"] != "u_ana" || num(t, g["MemberNum"]) != 3 {
					t.Errorf("values %v", g)
				}
			}},
		{"member fields only", `{"MemberInfoFilter":["Role","NameCard"]}`,
			[]string{"MemberList"}, []string{"Member_Account", "Role", "NameCard"}, nil},
		{"group custom data only", `{"AppDefinedDataFilter_Group":["Tier"]}`,
			[]string{"AppDefinedData"}, nil,
			func(t *testing.T, g map[string]any) {
				want := []any{map[string]any{"Key": "Tier", "Value": "gold"}}
				if !reflect.DeepEqual(g["AppDefinedData"], want) {
					t.Errorf("AppDefinedData %v, want only Tier", g["AppDefinedData"])
				}
			}},
		{"member custom data only", `{"AppDefinedDataFilter_GroupMember":["Level"]}`,
			[]string{"MemberList"}, []string{"Member_Account", "AppMemberDefinedData"},
			func(t *testing.T, g map[string]any) {
				for _, m := range list(t, g["MemberList"]) {
					want := []any{}
					if m["Member_Account"] == "u_mei" {
						want = []any{map[string]any{"Key": "Level", "Value": "3"}}
					}
					if !reflect.DeepEqual(m["AppMemberDefinedData"], want) {
						t.Errorf("%v AppMemberDefinedData %v, want %v", m["Member_Account"], m["AppMemberDefinedData"], want)
					}
				}
			}},
		{"the spec's example", `{"GroupBaseInfoFilter":["Type","Name","Owner_Account","MemberNum","NextMsgSeq"],"MemberInfoFilter":["Role","NameCard"],"AppDefinedDataFilter_Group":["Tier"]}`,
			[]string{"Type", "Name", "Owner_Account", "MemberNum", "NextMsgSeq", "AppDefinedData", "MemberList"},
			[]string{"Member_Account", "Role", "NameCard"}, nil},
		{"empty filter object", `{}`, nil, nil, nil},
		{"empty filter lists", `{"GroupBaseInfoFilter":[],"MemberInfoFilter":[]}`, []string{"MemberList"}, []string{"Member_Account"}, nil},
		{"unknown names ignored", `{"GroupBaseInfoFilter":["Type","Bogus","type"],"MemberInfoFilter":["Role","Bogus"]}`,
			[]string{"Type", "MemberList"}, []string{"Member_Account", "Role"}, nil},
		{"legacy ShutUp names", `{"GroupBaseInfoFilter":["ShutUpAllMember"],"MemberInfoFilter":["ShutUpUntil"]}`,
			[]string{"ShutUpAllMember", "MemberList"}, []string{"Member_Account", "ShutUpUntil"},
			func(t *testing.T, g map[string]any) {
				if g["ShutUpAllMember"] != "Off" {
					t.Errorf("ShutUpAllMember %v", g["ShutUpAllMember"])
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := ts.must(t, pathGroupInfo, `{"GroupIdList":["design_review"],"ResponseFilter":`+tt.filter+`}`, 0)
			g := list(t, env["GroupInfo"])[0]
			if g["GroupId"] != "design_review" || num(t, g["ErrorCode"]) != 0 || g["ErrorInfo"] != "" {
				t.Errorf("identity fields %v", g)
			}
			sameKeys(t, "group", g, append(append([]string{}, identityKeys...), tt.groupKeys...)...)
			if tt.memberKeys != nil {
				members := list(t, g["MemberList"])
				if len(members) != 3 {
					t.Errorf("%d members, want 3", len(members))
				}
				for _, m := range members {
					sameKeys(t, "member", m, tt.memberKeys...)
				}
			}
			if tt.check != nil {
				tt.check(t, g)
			}
		})
	}
}

func TestGroupInfoPerGroupErrors(t *testing.T) {
	ts := groupFixture(t)
	long := strings.Repeat("g", 49)
	env := ts.must(t, pathGroupInfo, `{"GroupIdList":["design_review","missing","bad\u0001id","`+long+`","live"],
		"ResponseFilter":{"GroupBaseInfoFilter":["Type"]}}`, 0)
	want := []struct {
		id   string
		code int64
	}{{"design_review", 0}, {"missing", 10010}, {"bad\x01id", 10015}, {long, 10015}, {"live", 0}}
	got := list(t, env["GroupInfo"])
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g["GroupId"] != w.id || num(t, g["ErrorCode"]) != w.code {
			t.Errorf("entry %d: GroupId %q ErrorCode %v, want %q %d", i, g["GroupId"], g["ErrorCode"], w.id, w.code)
		}
		if w.code != 0 {
			sameKeys(t, "failed entry", g, identityKeys...)
			if info, _ := g["ErrorInfo"].(string); info == "" {
				t.Errorf("entry %d: empty ErrorInfo", i)
			}
		}
	}

	fifty := `"` + strings.Join(ids("g", 50), `","`) + `"`
	tests := []struct {
		name, body string
		want       int
	}{
		{"50 IDs", `{"GroupIdList":[` + fifty + `]}`, 0},
		{"51 IDs", `{"GroupIdList":[` + fifty + `,"design_review"]}`, 10004},
		{"GroupIdList missing", `{}`, 10004},
		{"GroupIdList empty", `{"GroupIdList":[]}`, 10004},
		{"ResponseFilter not an object", `{"GroupIdList":["design_review"],"ResponseFilter":["Type"]}`, 10004},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := ts.must(t, pathGroupInfo, tt.body, tt.want)
			if tt.want == 0 {
				if n := len(list(t, env["GroupInfo"])); n != 50 {
					t.Errorf("%d entries, want 50", n)
				}
			}
		})
	}
}

func TestJoinedGroupList(t *testing.T) {
	ts := groupFixture(t)
	tests := []struct {
		name  string
		body  string
		want  []string
		total int64
	}{
		{"active groups only", `{"Member_Account":"u_mei"}`, []string{"design_review", "meet", "@TGS#_hub", "@TGS#_topics"}, 4},
		{"WithNoActiveGroups", `{"Member_Account":"u_mei","WithNoActiveGroups":1}`, []string{"design_review", "work", "meet", "@TGS#_hub", "@TGS#_topics"}, 5},
		{"WithHugeGroups: live groups keep no members", `{"Member_Account":"u_mei","WithHugeGroups":1}`, []string{"design_review", "meet", "@TGS#_hub", "@TGS#_topics"}, 4},
		{"Limit", `{"Member_Account":"u_mei","Limit":2}`, []string{"design_review", "meet"}, 4},
		{"Limit and Offset", `{"Member_Account":"u_mei","Limit":2,"Offset":2}`, []string{"@TGS#_hub", "@TGS#_topics"}, 4},
		{"last partial page", `{"Member_Account":"u_mei","Limit":3,"Offset":3}`, []string{"@TGS#_topics"}, 4},
		{"Offset past the end", `{"Member_Account":"u_mei","Offset":10}`, []string{}, 4},
		{"GroupType Public", `{"Member_Account":"u_mei","GroupType":"Public"}`, []string{"design_review"}, 1},
		{"GroupType Private, inactive", `{"Member_Account":"u_mei","GroupType":"Private"}`, []string{}, 0},
		{"GroupType Private with inactive", `{"Member_Account":"u_mei","GroupType":"Private","WithNoActiveGroups":1}`, []string{"work"}, 1},
		{"GroupType AVChatRoom", `{"Member_Account":"u_mei","GroupType":"AVChatRoom","WithHugeGroups":1}`, []string{}, 0},
		{"communities with topics", `{"Member_Account":"u_mei","GroupType":"Community","SupportTopic":1}`, []string{"@TGS#_topics"}, 1},
		{"communities without topics", `{"Member_Account":"u_mei","GroupType":"Community","SupportTopic":0}`, []string{"@TGS#_hub"}, 1},
		{"owner", `{"Member_Account":"u_ana"}`, []string{"design_review", "meet", "@TGS#_hub"}, 3},
		{"user in no group", `{"Member_Account":"u_lone"}`, []string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := ts.must(t, pathJoined, tt.body, 0)
			items := list(t, env["GroupIdList"])
			got := []string{}
			for _, it := range items {
				sameKeys(t, "unfiltered item", it, "GroupId")
				got = append(got, it["GroupId"].(string))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("GroupIdList %v, want %v", got, tt.want)
			}
			if n := num(t, env["TotalCount"]); n != tt.total {
				t.Errorf("TotalCount %d, want %d", n, tt.total)
			}
		})
	}

	bad := []struct{ name, body string }{
		{"Member_Account missing", `{}`},
		{"Member_Account empty", `{"Member_Account":""}`},
		{"SupportTopic without GroupType", `{"Member_Account":"u_mei","SupportTopic":1}`},
		{"SupportTopic with GroupType Public", `{"Member_Account":"u_mei","GroupType":"Public","SupportTopic":0}`},
		{"GroupType unknown", `{"Member_Account":"u_mei","GroupType":"Bogus"}`},
		{"Limit over 5000", `{"Member_Account":"u_mei","Limit":5001}`},
		{"Offset negative", `{"Member_Account":"u_mei","Offset":-1}`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) { ts.must(t, pathJoined, tt.body, 10004) })
	}
}

func TestJoinedGroupListFilters(t *testing.T) {
	ts := groupFixture(t)
	env := ts.must(t, pathJoined, `{"Member_Account":"u_mei","Limit":20,"Offset":0,"ResponseFilter":{
		"GroupBaseInfoFilter":["Type","Name","MemberNum","MuteAllMember"],
		"SelfInfoFilter":["Role","JoinTime","MsgFlag","MsgSeq"]}}`, 0)
	golden(t, "get_joined_group_list_filtered.json", env)
	for _, it := range list(t, env["GroupIdList"]) {
		sameKeys(t, "item", it, "GroupId", "Type", "Name", "MemberNum", "MuteAllMember", "SelfInfo")
		self, ok := it["SelfInfo"].(map[string]any)
		if !ok {
			t.Fatalf("SelfInfo %#v is not an object", it["SelfInfo"])
		}
		sameKeys(t, "SelfInfo", self, "Role", "JoinTime", "MsgFlag", "MsgSeq")
		role := "Member"
		if it["GroupId"] == "@TGS#_topics" {
			role = "Owner"
		}
		if self["Role"] != role || num(t, self["JoinTime"]) != testEpoch.Unix() {
			t.Errorf("%v SelfInfo %v", it["GroupId"], self)
		}
	}

	t.Run("SelfInfoFilter only", func(t *testing.T) {
		env := ts.must(t, pathJoined, `{"Member_Account":"u_ana","GroupType":"Public","ResponseFilter":{"SelfInfoFilter":["Role","NameCard"]}}`, 0)
		items := list(t, env["GroupIdList"])
		if len(items) != 1 {
			t.Fatalf("items %v", items)
		}
		sameKeys(t, "item", items[0], "GroupId", "SelfInfo")
		want := map[string]any{"Role": "Owner", "NameCard": ""}
		if !reflect.DeepEqual(items[0]["SelfInfo"], want) {
			t.Errorf("SelfInfo %v, want %v", items[0]["SelfInfo"], want)
		}
	})
	t.Run("GroupBaseInfoFilter only", func(t *testing.T) {
		env := ts.must(t, pathJoined, `{"Member_Account":"u_mei","GroupType":"Community","ResponseFilter":{"GroupBaseInfoFilter":["Owner_Account","Bogus"]}}`, 0)
		for _, it := range list(t, env["GroupIdList"]) {
			sameKeys(t, "item", it, "GroupId", "Owner_Account")
		}
	})
}
