package api_test

import (
	"strings"
	"testing"
)

// TestIDsAndNUL: IDs that break overview.md §6 and NUL bytes in free text
// get the area's parameter code, the same on both engines (this package
// runs on SQLite and PostgreSQL); message content keeps its NUL.
func TestIDsAndNUL(t *testing.T) {
	ts, _ := newMessageServer(t)
	ts.importAccounts(t, "host", "ann")
	ts.createGroup(t, `{"Owner_Account":"host","Type":"AVChatRoom","GroupId":"live","Name":"Live"}`)
	ts.createGroup(t, `{"Owner_Account":"host","Type":"Public","GroupId":"pub","Name":"Pub","MemberList":[{"Member_Account":"ann"}]}`)
	nul := `a\u0000b`
	long := strings.Repeat("u", 33)
	huge := strings.Repeat("u", 900<<10)
	tests := []struct {
		name, path, body string
		want             int
	}{
		{"import: UserID with NUL", pathImport, `{"UserID":"` + nul + `"}`, 70402},
		{"import: UserID with a control byte", pathImport, `{"UserID":"a\u0001b"}`, 70402},
		{"import: UserID of 33 bytes", pathImport, `{"UserID":"` + long + `"}`, 70402},
		{"import: UserID not ASCII", pathImport, `{"UserID":"é"}`, 70402},
		{"import: Nick with NUL", pathImport, `{"UserID":"x","Nick":"` + nul + `"}`, 70402},
		{"import: FaceUrl with NUL", pathImport, `{"UserID":"x","FaceUrl":"` + nul + `"}`, 70402},
		{"import: Nick with other control bytes", pathImport, `{"UserID":"x","Nick":"a\tb\u0001"}`, 0},
		{"multi import: Accounts with NUL", pathMultiImport, `{"Accounts":["` + nul + `"]}`, 70402},
		{"multi import: AccountList Nick with NUL", pathMultiImport, `{"AccountList":[{"UserID":"x","Nick":"` + nul + `"}]}`, 70402},
		{"check: UserID with NUL", pathCheck, `{"CheckItem":[{"UserID":"` + nul + `"}]}`, 70402},
		{"check: UserID of 33 bytes", pathCheck, `{"CheckItem":[{"UserID":"` + long + `"}]}`, 70402},
		{"delete: UserID with NUL", pathDelete, `{"DeleteItem":[{"UserID":"` + nul + `"}]}`, 70402},
		{"delete: UserID of 900 KB", pathDelete, `{"DeleteItem":[{"UserID":"` + huge + `"}]}`, 70402},
		{"kick: UserID with NUL", "/v4/im_open_login_svc/kick", `{"UserID":"` + nul + `"}`, 70402},
		{"online status: To_Account with NUL", "/v4/openim/query_online_status", `{"To_Account":["` + nul + `"]}`, 70402},
		{"online status: To_Account of 33 bytes", "/v4/openim/query_online_status", `{"To_Account":["` + long + `"]}`, 70402},
		{"create: Owner with NUL", pathCreateGroup, `{"Owner_Account":"` + nul + `","Type":"Public","Name":"x"}`, 10004},
		{"create: member with NUL", pathCreateGroup, `{"Owner_Account":"host","Type":"Public","Name":"x","MemberList":[{"Member_Account":"` + nul + `"}]}`, 10004},
		{"create: Name with NUL", pathCreateGroup, `{"Owner_Account":"host","Type":"Public","Name":"` + nul + `"}`, 10004},
		{"create: Introduction with NUL", pathCreateGroup, `{"Owner_Account":"host","Type":"Public","Name":"x","Introduction":"` + nul + `"}`, 10004},
		{"create: AppDefinedData value with NUL", pathCreateGroup, `{"Owner_Account":"host","Type":"Public","Name":"x","AppDefinedData":[{"Key":"k","Value":"` + nul + `"}]}`, 10004},
		{"create: GroupId with NUL", pathCreateGroup, `{"Owner_Account":"host","Type":"Public","Name":"x","GroupId":"` + nul + `"}`, 10015},
		{"joined: Member_Account with NUL", pathJoined, `{"Member_Account":"` + nul + `"}`, 10004},
		{"joined: Member_Account of 33 bytes", pathJoined, `{"Member_Account":"` + long + `"}`, 10004},
		{"ban: member with NUL", pathBan, `{"GroupId":"live","Members_Account":["` + nul + `"],"Duration":60}`, 10004},
		{"ban: member of 33 bytes", pathBan, `{"GroupId":"live","Members_Account":["` + long + `"],"Duration":60}`, 10004},
		{"ban: member of 900 KB", pathBan, `{"GroupId":"live","Members_Account":["` + huge + `"],"Duration":60}`, 10004},
		{"ban: Description with NUL", pathBan, `{"GroupId":"live","Members_Account":["ann"],"Duration":60,"Description":"` + nul + `"}`, 10004},
		{"unban: member with NUL", pathUnban, `{"GroupId":"live","Members_Account":["` + nul + `"]}`, 10004},
		{"unban: member of 33 bytes", pathUnban, `{"GroupId":"live","Members_Account":["` + long + `"]}`, 10004},
		{"online count: GroupId with NUL", pathOnlineNum, `{"GroupId":"` + nul + `"}`, 10015},
		{"send: From_Account with NUL", pathSendGroupMsg, `{"GroupId":"pub","Random":1,"From_Account":"` + nul + `","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, 10004},
		{"send: To_Account with NUL", pathSendGroupMsg, `{"GroupId":"pub","Random":2,"To_Account":["` + nul + `"],"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, 10004},
		{"send: GroupId with NUL", pathSendGroupMsg, `{"GroupId":"` + nul + `","Random":3,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, 10015},
		{"send: TopicId with NUL", pathSendGroupMsg, `{"GroupId":"pub","Random":4,"TopicId":"` + nul + `","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"x"}}]}`, 10004},
		{"send: OfflinePushInfo not UTF-8", pathSendGroupMsg, "{\"GroupId\":\"pub\",\"Random\":5,\"OfflinePushInfo\":{\"Title\":\"\xff\"},\"MsgBody\":[{\"MsgType\":\"TIMTextElem\",\"MsgContent\":{\"Text\":\"x\"}}]}", 10004},
		{"send: NUL in MsgBody and CloudCustomData is kept", pathSendGroupMsg, `{"GroupId":"pub","Random":6,"CloudCustomData":"` + nul + `","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"` + nul + `"}}]}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.must(t, tt.path, tt.body, tt.want)
		})
	}
}
