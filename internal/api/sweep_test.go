package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/account"
	"github.com/chatd/chatd/internal/api"
	"github.com/chatd/chatd/internal/bot"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
	"github.com/chatd/chatd/internal/ops"
	"github.com/chatd/chatd/internal/profile"
	"github.com/chatd/chatd/internal/push"
	"github.com/chatd/chatd/internal/relation"
	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/stream"
	"github.com/chatd/chatd/internal/usersig"
)

// The command-table sweep sends every command of api.Commands malformed
// and hostile bodies derived from the command's request type, so a command
// added later is swept without anyone listing it. Every answer must be
// HTTP 200 with a well-formed envelope, a documented code, no panic, and
// the same code on both engines.

// sweepSamples are valid bodies of the commands, over the fixture of
// sweepFixture. The sweep mutates them field by field, and the store
// failure sweep sends them as they are to a closed store, where each must
// reach the store and fail with its domain's internal code: a new command
// needs its sample here.
var sweepSamples = map[string]string{
	"v4/im_open_login_svc/account_import":                    `{"UserID":"sw_new","Nick":"New","FaceUrl":"http://x/y.png"}`,
	"v4/im_open_login_svc/multiaccount_import":               `{"AccountList":[{"UserID":"sw_new2","Nick":"Two"}]}`,
	"v4/im_open_login_svc/account_delete":                    `{"DeleteItem":[{"UserID":"sw_gone"}]}`,
	"v4/im_open_login_svc/account_check":                     `{"CheckItem":[{"UserID":"sw_owner"},{"UserID":"nobody"}]}`,
	"v4/im_open_login_svc/kick":                              `{"UserID":"sw_member"}`,
	"v4/openim/query_online_status":                          `{"To_Account":["sw_owner","nobody"],"IsNeedDetail":1,"IsReturnCustomStatus":1}`,
	"v4/group_open_http_svc/get_appid_group_list":            `{"Limit":10,"Next":0,"GroupType":"Public"}`,
	"v4/group_open_http_svc/create_group":                    `{"Owner_Account":"sw_owner","Type":"Public","Name":"Swept","Introduction":"i","Notification":"n","FaceUrl":"http://x","MaxMemberCount":100,"ApplyJoinOption":"FreeAccess","AppDefinedData":[{"Key":"k","Value":"v"}],"MemberList":[{"Member_Account":"sw_member","Role":"Admin","AppMemberDefinedData":[{"Key":"m","Value":"v"}]}]}`,
	"v4/group_open_http_svc/destroy_group":                   `{"GroupId":"sw_doomed"}`,
	"v4/group_open_http_svc/get_joined_group_list":           `{"Member_Account":"sw_member","WithHugeGroups":1,"WithNoActiveGroups":1,"Limit":10,"Offset":0,"GroupType":"Public","ResponseFilter":{"GroupBaseInfoFilter":["Name"],"SelfInfoFilter":["Role"]}}`,
	"v4/group_open_http_svc/get_group_info":                  `{"GroupIdList":["sw_pub","nope"],"ResponseFilter":{"GroupBaseInfoFilter":["Name"],"MemberInfoFilter":["Role"],"AppDefinedDataFilter_Group":["k"],"AppDefinedDataFilter_GroupMember":["m"]}}`,
	"v4/group_open_http_svc/get_online_member_num":           `{"GroupId":"sw_live"}`,
	"v4/group_open_avchatroom_http_svc/get_members":          `{"GroupId":"sw_live","Timestamp":0,"Mark":0}`,
	"v4/group_open_avchatroom_http_svc/modify_user_info":     `{"GroupId":"sw_live","CommandType":1,"MemberList":[{"Member_Account":"sw_member","Marks":[1001]}]}`,
	"v4/group_open_http_svc/ban_group_member":                `{"GroupId":"sw_live","Members_Account":["sw_member"],"Duration":60,"Description":"spam"}`,
	"v4/group_open_http_svc/unban_group_member":              `{"GroupId":"sw_live","Members_Account":["sw_member"]}`,
	"v4/group_open_http_svc/get_group_ban_member":            `{"GroupId":"sw_live","Limit":10,"Offset":0}`,
	"v4/group_open_http_svc/send_group_msg":                  `{"GroupId":"sw_pub","Random":7,"MsgPriority":"Normal","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}],"From_Account":"sw_owner","CloudCustomData":"c","GroupAtInfo":[{"GroupAtAllFlag":0,"GroupAt_Account":"sw_member"}]}`,
	"v4/group_open_http_svc/group_msg_get_simple":            `{"GroupId":"sw_pub","ReqMsgNumber":5,"ReqMsgSeq":10}`,
	"v4/openim/batchsendmsg":                                 `{"From_Account":"sw_owner","To_Account":["sw_member"],"MsgRandom":1,"MsgSeq":2,"MsgLifeTime":60,"SyncOtherMachine":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}],"CloudCustomData":"c","OfflinePushInfo":{"Desc":"d"},"SendMsgControl":["NoUnread"]}`,
	"v4/openim/importmsg":                                    `{"SyncFromOldSystem":5,"From_Account":"sw_owner","To_Account":"sw_member","MsgSeq":9,"MsgRandom":9,"MsgTimeStamp":1700000000,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}],"CloudCustomData":"c"}`,
	"v4/openim/admin_getroammsg":                             `{"Operator_Account":"sw_owner","Peer_Account":"sw_member","MaxCnt":10,"MinTime":0,"MaxTime":2000000000,"LastMsgKey":"3_3_1700000001"}`,
	"v4/openim/admin_msgwithdraw":                            `{"From_Account":"sw_owner","To_Account":"sw_member","MsgKey":"1_1_1700000000"}`,
	"v4/openim/modify_c2c_msg":                               `{"From_Account":"sw_owner","To_Account":"sw_member","MsgKey":"2_2_1700000000","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}],"CloudCustomData":"c"}`,
	"v4/openim/admin_set_msg_read":                           `{"Report_Account":"sw_member","Peer_Account":"sw_owner","MsgReadTime":"1700000000"}`,
	"v4/openim/get_c2c_unread_msg_num":                       `{"To_Account":"sw_member","Peer_Account":["sw_owner","nobody"]}`,
	"v4/recentcontact/get_list":                              `{"From_Account":"sw_member","TimeStamp":0,"StartIndex":0,"TopTimeStamp":0,"TopStartIndex":0,"AssistFlags":7}`,
	"v4/recentcontact/delete":                                `{"From_Account":"sw_member","Type":1,"To_Account":"sw_owner","ClearRamble":1}`,
	"v4/group_open_http_svc/set_unread_msg_num":              `{"GroupId":"sw_pub","Member_Account":"sw_member","UnreadMsgNum":3}`,
	"v4/recentcontact/create_contact_group":                  `{"From_Account":"sw_member","GroupContactItem":[{"GroupName":"work","ContactItem":[{"Type":1,"To_Account":"sw_owner"},{"Type":2,"ToGroupId":"sw_pub"}]}]}`,
	"v4/recentcontact/update_contact_group":                  `{"From_Account":"sw_member","UpdateType":1,"UpdateGroup":{"UpdateGroupType":2,"OldGroupName":"work","ContactUpdateItem":[{"ContactOptType":2,"ContactItem":{"Type":1,"To_Account":"sw_owner"}}]}}`,
	"v4/recentcontact/del_contact_group":                     `{"From_Account":"sw_member","GroupName":["work"]}`,
	"v4/recentcontact/mark_contact":                          `{"From_Account":"sw_member","MarkItem":[{"OptType":3,"ContactItem":{"Type":1,"To_Account":"sw_owner"},"SetMark":[1],"ClearMark":[2],"CustomMark":"vip"}]}`,
	"v4/recentcontact/search_contact_group":                  `{"From_Account":"sw_member","ContactItem":[{"Type":1,"To_Account":"sw_owner"}]}`,
	"v4/recentcontact/get_contact_group":                     `{"From_Account":"sw_member","StartIndex":0}`,
	"v4/group_open_http_svc/send_group_system_notification":  `{"GroupId":"sw_pub","Content":"c","ToMembers_Account":["sw_member"]}`,
	"v4/group_open_http_svc/send_broadcast_msg":              `{"From_Account":"sw_owner","Random":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"b"}}],"CloudCustomData":"c"}`,
	"v4/group_open_http_svc/import_group_msg":                `{"GroupId":"sw_doomed","MsgList":[{"From_Account":"sw_owner","SendTime":1717000000,"Random":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"old"}}]}]}`,
	"v4/group_open_http_svc/group_msg_recall":                `{"GroupId":"sw_pub","MsgSeqList":[{"MsgSeq":1}],"Reason":"r"}`,
	"v4/group_open_http_svc/delete_group_msg_by_sender":      `{"GroupId":"sw_pub","Sender_Account":"sw_member"}`,
	"v4/openim/modify_group_msg":                             `{"GroupId":"sw_pub","MsgSeq":1,"CloudCustomData":"c","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"new"}}]}`,
	"v4/group_open_http_svc/get_group_msg_receipt":           `{"GroupId":"sw_pub","MsgSeqList":[{"MsgSeq":1}]}`,
	"v4/group_open_http_svc/get_group_msg_receipt_detail":    `{"GroupId":"sw_pub","MsgSeq":1,"Filter":1,"Cursor":"","Count":10}`,
	"v4/openim_msg_ext_http_svc/get_key_values":              `{"From_Account":"sw_owner","To_Account":"sw_member","MsgKey":"3_3_1700000000","StartSeq":0}`,
	"v4/openim_msg_ext_http_svc/set_key_values":              `{"From_Account":"sw_owner","To_Account":"sw_member","MsgKey":"3_3_1700000000","OperateType":1,"ExtensionList":[{"Key":"k","Value":"v","Seq":0}]}`,
	"v4/openim_msg_ext_http_svc/group_get_key_values":        `{"GroupId":"sw_pub","MsgSeq":1,"StartSeq":0}`,
	"v4/openim_msg_ext_http_svc/group_set_key_values":        `{"GroupId":"sw_pub","MsgSeq":1,"OperateType":1,"ExtensionList":[{"Key":"k","Value":"v","Seq":0}]}`,
	"v4/profile/portrait_set":                                `{"From_Account":"sw_owner","ProfileItem":[{"Tag":"Tag_Profile_IM_Nick","Value":"n"},{"Tag":"Tag_Profile_IM_Level","Value":3}]}`,
	"v4/profile/portrait_get":                                `{"To_Account":["sw_owner","nobody"],"TagList":["Tag_Profile_IM_Nick","Tag_Profile_IM_Level"]}`,
	"v4/sns/friend_add":                                      `{"From_Account":"sw_member","AddType":"Add_Type_Both","ForceAddFlags":1,"AddFriendItem":[{"To_Account":"sw_gone","Remark":"r","GroupName":"g","AddSource":"AddSource_Type_T","AddWording":"hi"}]}`,
	"v4/sns/friend_import":                                   `{"From_Account":"sw_owner","AddFriendItem":[{"To_Account":"sw_member","Remark":"r","GroupName":["g"],"AddSource":"AddSource_Type_T","AddTime":1700000000}]}`,
	"v4/sns/friend_update":                                   `{"From_Account":"sw_owner","UpdateItem":[{"To_Account":"sw_member","SnsItem":[{"Tag":"Tag_SNS_IM_Remark","Value":"x"}]}]}`,
	"v4/sns/friend_delete":                                   `{"From_Account":"sw_owner","To_Account":["sw_member"],"DeleteType":"Delete_Type_Single"}`,
	"v4/sns/friend_delete_all":                               `{"From_Account":"sw_gone","DeleteType":"Delete_Type_Both"}`,
	"v4/sns/friend_check":                                    `{"From_Account":"sw_owner","To_Account":["sw_member"],"CheckType":"CheckResult_Type_Both"}`,
	"v4/sns/friend_get":                                      `{"From_Account":"sw_owner","StartIndex":0,"StandardSequence":0,"CustomSequence":0}`,
	"v4/sns/friend_get_list":                                 `{"From_Account":"sw_owner","To_Account":["sw_member"],"TagList":["Tag_SNS_IM_Remark","Tag_Profile_IM_Nick"]}`,
	"v4/sns/group_add":                                       `{"From_Account":"sw_owner","GroupName":["g2"],"To_Account":["sw_member"]}`,
	"v4/sns/group_delete":                                    `{"From_Account":"sw_owner","GroupName":["g2"]}`,
	"v4/sns/group_get":                                       `{"From_Account":"sw_owner","LastSequence":0,"NeedFriend":"Need_Friend_Type_Yes"}`,
	"v4/sns/black_list_add":                                  `{"From_Account":"sw_owner","To_Account":["sw_gone"]}`,
	"v4/sns/black_list_delete":                               `{"From_Account":"sw_owner","To_Account":["sw_gone"]}`,
	"v4/sns/black_list_get":                                  `{"From_Account":"sw_owner","StartIndex":0,"MaxLimited":10,"LastSequence":0}`,
	"v4/sns/black_list_check":                                `{"From_Account":"sw_owner","To_Account":["sw_gone"],"CheckType":"BlackCheckResult_Type_Both"}`,
	"v4/openconfigsvr/setnospeaking":                         `{"Set_Account":"sw_gone","C2CmsgNospeakingTime":60,"GroupmsgNospeakingTime":60}`,
	"v4/openconfigsvr/getnospeaking":                         `{"Get_Account":"sw_owner"}`,
	"v4/openim/sendmsg":                                      `{"From_Account":"sw_owner","To_Account":"sw_member","MsgRandom":1,"MsgSeq":2,"MsgLifeTime":60,"SyncOtherMachine":1,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}],"CloudCustomData":"c","OfflinePushInfo":{"Desc":"d"}}`,
	"v4/group_open_http_svc/modify_group_base_info":          `{"GroupId":"sw_pub","Name":"Renamed","Introduction":"i","Notification":"n","MaxMemberNum":200,"ApplyJoinOption":"NeedPermission","MuteAllMember":"Off","AppDefinedData":[{"Key":"k","Value":"v"}]}`,
	"v4/group_open_http_svc/import_group":                    `{"Owner_Account":"sw_owner","Type":"Public","Name":"Imported","CreateTime":1600000000}`,
	"v4/group_open_http_svc/add_group_member":                `{"GroupId":"sw_pub","Silence":0,"MemberList":[{"Member_Account":"sw_gone"}]}`,
	"v4/group_open_http_svc/delete_group_member":             `{"GroupId":"sw_pub","Silence":0,"Reason":"r","MemberToDel_Account":["sw_member"]}`,
	"v4/group_open_http_svc/change_group_owner":              `{"GroupId":"sw_pub","NewOwner_Account":"sw_member"}`,
	"v4/group_open_http_svc/get_role_in_group":               `{"GroupId":"sw_pub","User_Account":["sw_owner","nobody"]}`,
	"v4/group_open_http_svc/import_group_member":             `{"GroupId":"sw_pub","MemberList":[{"Member_Account":"sw_gone","Role":"Member","JoinTime":1600000000,"UnreadMsgNum":0}]}`,
	"v4/group_open_http_svc/get_group_member_info":           `{"GroupId":"sw_pub","Limit":10,"Offset":0,"MemberInfoFilter":["Role"],"MemberRoleFilter":["Owner"]}`,
	"v4/group_open_http_svc/get_specified_group_member_info": `{"GroupId":"sw_pub","Member_List_Account":["sw_member"]}`,
	"v4/group_open_http_svc/modify_group_member_info":        `{"GroupId":"sw_pub","Member_Account":"sw_member","NameCard":"nc","MsgFlag":"AcceptAndNotify"}`,
	"v4/group_open_http_svc/forbid_send_msg":                 `{"GroupId":"sw_pub","Members_Account":["sw_member"],"MuteTime":60}`,
	"v4/group_open_http_svc/get_group_muted_account":         `{"GroupId":"sw_pub"}`,
	"v4/group_open_http_svc/get_group_shutted_uin":           `{"GroupId":"sw_pub"}`,
	"v4/group_open_attr_http_svc/get_group_attr":             `{"GroupId":"sw_pub"}`,
	"v4/group_open_http_svc/modify_group_attr":               `{"GroupId":"sw_pub","GroupAttr":[{"key":"k","value":"v"}]}`,
	"v4/group_open_http_svc/clear_group_attr":                `{"GroupId":"sw_pub"}`,
	"v4/group_open_http_svc/set_group_attr":                  `{"GroupId":"sw_pub","GroupAttr":[{"key":"k","value":"v"}]}`,
	"v4/group_open_http_svc/delete_group_attr":               `{"GroupId":"sw_pub","GroupAttr":[{"key":"k"}]}`,
	"v4/group_open_http_svc/get_group_counter":               `{"GroupId":"sw_pub","GroupCounterKeys":["c"]}`,
	"v4/group_open_http_svc/update_group_counter":            `{"GroupId":"sw_pub","GroupCounter":[{"Key":"c","Value":1}],"Mode":"Increase"}`,
	"v4/group_open_http_svc/delete_group_counter":            `{"GroupId":"sw_pub","GroupCounterKeys":["c"]}`,
	"v4/million_group_open_http_svc/create_topic":            `{"GroupId":"@TGS#_sw_comm","TopicName":"more","From_Account":"sw_owner","CustomString":"c","FaceUrl":"http://x","Notification":"n","Introduction":"i"}`,
	"v4/million_group_open_http_svc/destroy_topic":           `{"GroupId":"@TGS#_sw_comm","TopicIdList":["@TGS#_sw_comm@TOPIC#_t1"]}`,
	"v4/million_group_open_http_svc/get_topic":               `{"GroupId":"@TGS#_sw_comm","From_Account":"sw_owner","TopicIdList":["@TGS#_sw_comm@TOPIC#_t1"]}`,
	"v4/million_group_open_http_svc/modify_topic":            `{"GroupId":"@TGS#_sw_comm","TopicId":"@TGS#_sw_comm@TOPIC#_t1","TopicName":"t1b","MuteAllMember":"Off"}`,
	"v4/group_open_http_svc/import_topic":                    `{"Type":"Community","GroupId":"@TGS#_sw_comm","TopicName":"imported","CreateTime":1600000000}`,
	"v4/million_group_open_http_svc/get_online_member_num":   `{"GroupId":"@TGS#_sw_comm"}`,
	"v4/openconfigsvr/getappinfo":                            `{"RequestField":["ChainIncrease","UpMsgNum"]}`,
	"v4/open_msg_svc/get_history":                            `{"ChatType":"C2C","MsgTime":"2024052923"}`,
	"v4/ConfigSvc/GetIPList":                                 `{}`,
	"v4/openim_robot_http_svc/get_all_robots":                `{}`,
	"v4/openim_robot_http_svc/create_robot":                  `{"UserID":"@RBT#sw_new","Nick":"Bot","FaceUrl":"http://x/b.png","SelfSignature":"hi"}`,
	"v4/openim_robot_http_svc/delete_robot":                  `{"Robot_Account":"@RBT#sw_bot"}`,
	"v4/all_member_push/im_push":                             `{"From_Account":"sw_owner","MsgRandom":1,"MsgLifeTime":60,"Condition":{"TagsOr":["vip"],"TagsAnd":["beta"]},"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"all"}}],"OfflinePushInfo":{"Desc":"d"}}`,
	"v4/all_member_push/im_set_attr_name":                    `{"AttrNames":{"0":"plan","1":"region"}}`,
	"v4/all_member_push/im_get_attr_name":                    `{}`,
	"v4/all_member_push/im_get_attr":                         `{"To_Account":["sw_owner","nobody"]}`,
	"v4/all_member_push/im_set_attr":                         `{"UserAttrs":[{"To_Account":"sw_owner","Attrs":{"plan":"pro"}}]}`,
	"v4/all_member_push/im_remove_attr":                      `{"UserAttrs":[{"To_Account":"sw_owner","Attrs":["region"]}]}`,
	"v4/all_member_push/im_get_tag":                          `{"To_Account":["sw_owner","nobody"]}`,
	"v4/all_member_push/im_add_tag":                          `{"UserTags":[{"To_Account":"sw_owner","Tags":["vip","beta"]}]}`,
	"v4/all_member_push/im_remove_tag":                       `{"UserTags":[{"To_Account":"sw_owner","Tags":["beta"]}]}`,
	"v4/all_member_push/im_remove_all_tags":                  `{"To_Account":["sw_member"]}`,
}

// sweepFixture imports the accounts and creates the groups the samples
// name.
func sweepFixture(t *testing.T, ts *testServer) {
	t.Helper()
	ts.importAccounts(t, "sw_owner", "sw_member", "sw_gone")
	ts.createGroup(t, `{"Owner_Account":"sw_owner","Type":"Public","GroupId":"sw_pub","Name":"Pub","MemberList":[{"Member_Account":"sw_member"}]}`)
	ts.createGroup(t, `{"Owner_Account":"sw_owner","Type":"AVChatRoom","GroupId":"sw_live","Name":"Live"}`)
	ts.createGroup(t, `{"Owner_Account":"sw_owner","Type":"Public","GroupId":"sw_doomed","Name":"Doomed"}`)
	ts.createGroup(t, `{"Owner_Account":"sw_owner","Type":"Community","GroupId":"@TGS#_sw_comm","Name":"Comm","SupportTopic":1}`)
	ts.must(t, "/v4/million_group_open_http_svc/create_topic", `{"GroupId":"@TGS#_sw_comm","TopicId":"@TGS#_sw_comm@TOPIC#_t1","TopicName":"t1"}`, 0)
	// The chatbot the samples delete, and the attribute names they use.
	ts.importAccounts(t, "@RBT#sw_bot")
	if err := ts.db.MarkRobot(t.Context(), testAppID, "@RBT#sw_bot", testEpoch.Unix(), 20); err != nil {
		t.Fatal(err)
	}
	if err := ts.db.SetPushAttrNames(t.Context(), testAppID, map[int]string{0: "plan", 1: "region"}); err != nil {
		t.Fatal(err)
	}
	// MsgSeq 1 of sw_pub, which the samples recall, modify, extend and read.
	g := im.GroupMessage{AppID: testAppID, GroupID: "sw_pub", From: "sw_member", Time: testEpoch.Unix(), Random: 1,
		Priority: im.PriorityNormal, Body: json.RawMessage(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"MsgSeq 1"}}]`),
		NeedReadReceipt: true, SupportExtension: true}
	if _, err := ts.db.CommitStream(t.Context(), []im.StreamWrite{{AppID: testAppID, Time: g.Time, Group: &im.GroupAppend{Msg: g, Keep: true}}}); err != nil {
		t.Fatal(err)
	}
	// The one-to-one messages the samples recall, modify and extend.
	for _, seq := range []uint32{1, 2, 3} {
		m := im.C2CMessage{AppID: testAppID, From: "sw_owner", To: "sw_member", Seq: seq, Random: seq, Time: 1700000000,
			Body: json.RawMessage(`[{"MsgType":"TIMTextElem","MsgContent":{"Text":"hi"}}]`), SupportExtension: true}
		if _, err := ts.db.CommitStream(t.Context(), []im.StreamWrite{{AppID: testAppID, Time: m.Time, C2C: &im.C2CAppend{Msg: m, Keep: true}}}); err != nil {
			t.Fatal(err)
		}
	}
}

// sweepServer serves every command over db with logs kept in logs, on a
// clock that stands still and without rate limits (the sweep calls each
// command thousands of times). Its services are new, so nothing is cached.
func sweepServer(t *testing.T, db *store.DB, logs io.Writer) *testServer {
	t.Helper()
	clk := &clock{t: testEpoch}
	cfg := config.Default()
	cfg.Apps = []config.App{{SDKAppID: testAppID, SecretKey: testKey, Admins: []string{testAdmin}}}
	cfg.RateLimit = 0
	groups := group.NewService(db, db, nil)
	srv, err := api.NewServer(api.Options{
		Config: cfg, Verifier: usersig.NewVerifier(config.DefaultSigCache, clk.Now), Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	}, sweepCommands(db, groups))
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{
		clock: clk, cfg: cfg,
		http: httptest.NewServer(api.Handler(srv, nil, func() bool { return true })),
		sig:  usersig.Generate(testKey, testAppID, testAdmin, sigLifetime, clk.Now()),
	}
	t.Cleanup(ts.http.Close)
	return ts
}

// sweepCommands is the whole command table over db.
func sweepCommands(db *store.DB, groups *group.Service) []api.Command {
	streams := stream.New(context.Background(), stream.Deps{Store: db, Deliver: &pushRecorder{}, Groups: groups.Get})
	// The sweep's app declares no custom profile fields, which cannot fail.
	profiles, _ := profile.NewService(profile.Deps{Store: db, Friends: db, Streams: streams})
	relations, _ := relation.NewService(relation.Deps{Store: db, Profiles: profiles, Streams: streams})
	accounts := account.NewService(db)
	// The pushes' 1 s spacing on a clock that stands still: every push
	// after the first valid one is refused alike on both engines.
	still := func() time.Time { return testEpoch }
	messages := message.NewService(message.Deps{Store: db, Groups: groups, Streams: streams})
	return api.Commands(api.Services{
		Accounts:      accounts,
		Conversations: newConversations(db, streams, groups, messages, nil),
		Groups:        groups,
		Messages:      messages,
		Profiles:      profiles,
		Relations:     relations,
		Store:         db,
		Ops:           ops.NewService(ops.Deps{Store: db, Addrs: []string{"127.0.0.1"}, BaseURL: "http://127.0.0.1", Now: still}),
		Bots:          bot.NewService(db, accounts, profiles),
		Push:          push.NewService(push.Deps{Store: db, Now: still}),
	})
}

// sweepCase is one request of the sweep.
type sweepCase struct {
	name string
	body []byte
}

// hostileStrings replace a string field. They are JSON texts: some are not
// valid UTF-8, which encoding/json would not write.
var hostileStrings = []string{
	`""`, `"a\u0000b"`, "\"\xff\xfe\"", `"\ud800"`, `"\u0001\u001f"`, `"é😀"`,
	`"` + strings.Repeat("u", 33) + `"`, `"` + strings.Repeat("g", 49) + `"`,
	`"` + strings.Repeat("x", 600<<10) + `"`,
}

// hostileNumbers replace a number field.
var hostileNumbers = []string{
	`-1`, `-0`, `1.5`, `4294967296`, `9007199254740993`, `9223372036854775807`, `9223372036854775808`,
	`-9223372036854775809`, `18446744073709551616`, `1e400`, `-1e400`,
}

// wrongTypes are values of every JSON type; a field gets those that are
// not its own.
var wrongTypes = map[string]string{"string": `"x"`, "number": `123`, "bool": `true`, "object": `{}`, "array": `[]`}

// jsonKind is the JSON type a Go type decodes from; "" accepts any.
func jsonKind(t reflect.Type) string {
	t = derefType(t)
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return "" // json.RawMessage
		}
		return "array"
	case reflect.Array:
		return "array"
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return ""
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// fieldPath is a place in a request: object keys, "[]" for the first
// element of an array.
type fieldPath struct {
	steps []string
	t     reflect.Type
}

func (p fieldPath) String() string {
	return strings.ReplaceAll(strings.Join(p.steps, "."), ".[]", "[]")
}

// requestPaths lists every field of a request type, nested ones included,
// with their JSON names as encoding/json matches them.
func requestPaths(t reflect.Type) []fieldPath {
	var out []fieldPath
	var walk func(t reflect.Type, prefix []string, depth int)
	walk = func(t reflect.Type, prefix []string, depth int) {
		t = derefType(t)
		if depth > 6 {
			return
		}
		switch {
		case t.Kind() == reflect.Struct:
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if f.Anonymous && name == "" {
					walk(f.Type, prefix, depth) // promoted fields
					continue
				}
				if name == "-" || !f.IsExported() {
					continue
				}
				if name == "" {
					name = f.Name
				}
				steps := append(slices.Clone(prefix), name)
				out = append(out, fieldPath{steps, f.Type})
				walk(f.Type, steps, depth+1)
			}
		case jsonKind(t) == "array":
			steps := append(slices.Clone(prefix), "[]")
			out = append(out, fieldPath{steps, t.Elem()})
			walk(t.Elem(), steps, depth+1)
		}
	}
	walk(t, nil, 0)
	return out
}

// setPath returns node with the value at steps replaced by v, creating
// the objects and arrays on the way; node itself is not changed.
func setPath(node any, steps []string, v any) any {
	if len(steps) == 0 {
		return v
	}
	if steps[0] == "[]" {
		arr, _ := node.([]any)
		var first any
		if len(arr) > 0 {
			first = arr[0]
		}
		out := []any{setPath(first, steps[1:], v)}
		if len(arr) > 1 {
			out = append(out, arr[1:]...)
		}
		return out
	}
	obj, _ := node.(map[string]any)
	out := make(map[string]any, len(obj)+1)
	for k, x := range obj {
		out[k] = x
	}
	out[steps[0]] = setPath(obj[steps[0]], steps[1:], v)
	return out
}

// decodeSample parses a sample body, numbers kept as written.
func decodeSample(t *testing.T, text string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("sample %s: %v", text, err)
	}
	return doc
}

// encodeDoc writes a document whose leaves may be raw JSON texts.
func encodeDoc(t *testing.T, doc any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatalf("encode %v: %v", doc, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// nested is a JSON text of depth levels: arrays inside an object.
func nested(depth int) string {
	return `{"Deep":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
}

// sweepCasesFor derives the requests of one command from its sample and
// its request type.
func sweepCasesFor(t *testing.T, cmd api.Command, sample string, maxBody int64) []sweepCase {
	t.Helper()
	doc := decodeSample(t, sample)
	plain := encodeDoc(t, doc)
	cases := []sweepCase{
		{"sample", plain},
		{"empty body", nil},
		{"not JSON", []byte("GroupId=x&UserID=y")},
		{"JSON array", []byte("[" + string(plain) + "]")},
		{"JSON null", []byte("null")},
		{"JSON string", []byte(`"x"`)},
		{"two objects", []byte(string(plain) + string(plain))},
		{"truncated", plain[:len(plain)/2]},
		{"not UTF-8 outside strings", []byte("{\xff}")},
		{"10,000-deep nesting", []byte(nested(10000))},
		{"10,001-deep nesting", []byte(nested(10001))},
		{"body at the limit", padTo(plain, maxBody)},
		{"body over the limit", padTo(plain, maxBody+1)},
	}
	add := func(name string, v any) {
		cases = append(cases, sweepCase{name, encodeDoc(t, v)})
	}
	for _, p := range requestPaths(cmd.Request) {
		kind := jsonKind(p.t)
		values := []string{`null`}
		for k, v := range wrongTypes {
			if k != kind {
				values = append(values, v)
			}
		}
		slices.Sort(values) // map order would change the cases between runs
		switch kind {
		case "string":
			values = append(values, hostileStrings...)
		case "number":
			values = append(values, hostileNumbers...)
		case "":
			values = append(values, "{\"k\":\"\xff\"}", `{"k":"\u0000"}`, `[[[[]]]]`)
		}
		values = append(values, strings.Repeat("[", 9998)+strings.Repeat("]", 9998))
		for _, v := range values {
			name := v
			if len(name) > 24 {
				name = fmt.Sprintf("%.16s...(%d bytes)", v, len(v))
			}
			add(p.String()+" = "+name, setPath(doc, p.steps, json.RawMessage(v)))
		}
		if len(p.steps) == 1 {
			// Duplicate keys: encoding/json keeps the last, and the first
			// must not confuse the case-sensitive key filter either.
			rest := encodeDoc(t, setPath(doc, nil, withoutKey(doc, p.steps[0])))
			sep := ","
			if string(rest) == "{}" {
				sep = ""
			}
			for _, pair := range [][2]string{{`null`, `"x"`}, {`"x"`, `123`}, {`{}`, `[]`}} {
				body := fmt.Sprintf(`{%q:%s,%q:%s%s%s`, p.steps[0], pair[0], p.steps[0], pair[1], sep, rest[1:])
				cases = append(cases, sweepCase{fmt.Sprintf("%s twice: %s then %s", p.steps[0], pair[0], pair[1]), []byte(body)})
			}
			lower := strings.ToLower(p.steps[0])
			if lower != p.steps[0] {
				add(p.steps[0]+" also in lower case", setPath(doc, []string{lower}, json.RawMessage(`123`)))
			}
		}
	}
	return cases
}

func withoutKey(doc map[string]any, key string) map[string]any {
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// padTo adds an unknown string field so the body is exactly n bytes.
func padTo(body []byte, n int64) []byte {
	head := `{"Pad":"`
	tail := `",` + string(body[1:])
	if string(body) == "{}" {
		tail = `"}`
	}
	fill := int(n) - len(head) - len(tail)
	return []byte(head + strings.Repeat("p", max(fill, 0)) + tail)
}

// sweepReply is what one request got.
type sweepReply struct {
	code    int
	problem string // empty when the reply is well formed
}

// sweepCall sends one request and checks the reply's form: HTTP 200, one
// JSON object with the envelope's fields in agreement, within 2 s.
func (ts *testServer) sweepCall(path string, body []byte) sweepReply {
	q := url.Values{"sdkappid": {strconv.Itoa(testAppID)}, "identifier": {testAdmin}, "usersig": {ts.sig}, "contenttype": {"json"}}
	client := &http.Client{Timeout: waitTimeout}
	start := time.Now()
	res, err := client.Post(ts.http.URL+"/"+path+"?"+q.Encode(), "application/json", bytes.NewReader(body))
	if err != nil {
		return sweepReply{problem: fmt.Sprintf("no reply: %v", err)}
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return sweepReply{problem: fmt.Sprintf("reply cut: %v", err)}
	}
	var env struct {
		ActionStatus *string
		ErrorCode    *int
		ErrorInfo    *string
		RequestId    *string
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	switch {
	case res.StatusCode != http.StatusOK:
		return sweepReply{problem: fmt.Sprintf("HTTP %d: %.200s", res.StatusCode, raw)}
	case dec.Decode(&env) != nil || dec.More() || env.ActionStatus == nil || env.ErrorCode == nil || env.ErrorInfo == nil || env.RequestId == nil:
		return sweepReply{problem: fmt.Sprintf("not an envelope: %.200s", raw)}
	}
	r := sweepReply{code: *env.ErrorCode}
	ok := *env.ErrorCode == 0
	switch {
	case ok && (*env.ActionStatus != "OK" || *env.ErrorInfo != ""), !ok && (*env.ActionStatus != "FAIL" || *env.ErrorInfo == ""):
		r.problem = fmt.Sprintf("envelope disagrees with itself: %.200s", raw)
	case !requestIDPattern.MatchString(*env.RequestId):
		r.problem = fmt.Sprintf("RequestId %q", *env.RequestId)
	case elapsed > 2*time.Second:
		r.problem = fmt.Sprintf("answered after %v", elapsed)
	}
	return r
}

// specDir holds the API reference: beside the repository (DEVELOPERS.md),
// or where CHATD_SPEC_DIR says (a checkout elsewhere, a git worktree).
func specDir() string {
	if dir := os.Getenv("CHATD_SPEC_DIR"); dir != "" {
		return dir
	}
	return "../../../shared/spec"
}

// codePattern matches codes of 4 to 6 digits: the operations download
// codes of overview.md §5.4 (1001-1005) have four.
var codePattern = regexp.MustCompile(`\b[1-9][0-9]{3,5}\b`)

// documentedCodes returns, per command path, the codes its documentation
// names: the public codes of overview.md §5 and every code of its area's
// file (endpoints.tsv says which). nil when the reference is not there.
func documentedCodes(t *testing.T) map[string]map[int]bool {
	t.Helper()
	overview, err := os.ReadFile(filepath.Join(specDir(), "overview.md"))
	if err != nil {
		t.Logf("spec not found beside the repository (%v): codes are not checked against it", err)
		return nil
	}
	public := string(overview)
	if i := strings.Index(public, "## 5. Public error codes"); i >= 0 {
		public = public[i:]
	}
	if i := strings.Index(public, "## 6."); i >= 0 {
		public = public[:i]
	}
	codesIn := func(text string, into map[int]bool) {
		for _, m := range codePattern.FindAllString(text, -1) {
			n, _ := strconv.Atoi(m)
			into[n] = true
		}
	}
	f, err := os.Open(filepath.Join(specDir(), "endpoints.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	areas := map[string]map[int]bool{}
	out := map[string]map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 5 || cols[0] == "path" {
			continue
		}
		area := areas[cols[4]]
		if area == nil {
			text, err := os.ReadFile(filepath.Join(specDir(), cols[4]))
			if err != nil {
				t.Fatal(err)
			}
			area = map[int]bool{}
			codesIn(string(text), area)
			codesIn(public, area)
			areas[cols[4]] = area
		}
		out[cols[0]] = area
	}
	return out
}

// sweepCodesFile is where the SQLite run leaves its codes for the
// PostgreSQL run, which TestMain starts as its child: the parent's process
// ID names it in both.
func sweepCodesFile(pid int) string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("chatd-api-sweep-%d.json", pid))
}

// TestCommandSweep sends every command of the table the cases of
// sweepCasesFor and checks every answer. The SQLite run writes the codes
// it got; the PostgreSQL run (a child process, see TestMain) must get the
// same ones.
func TestCommandSweep(t *testing.T) {
	logs := &syncBuffer{}
	first := newTestServer(t, withRateLimit(0))
	sweepFixture(t, first)
	ts := sweepServer(t, first.db, logs)
	maxBody := ts.cfg.MaxBodyBytes
	documented := documentedCodes(t)
	codes := map[string]int{}
	for _, cmd := range sweepCommands(first.db, group.NewService(first.db, first.db, nil)) {
		sample, ok := sweepSamples[cmd.Path]
		if !ok {
			sample = `{}`
		}
		for _, c := range sweepCasesFor(t, cmd, sample, maxBody) {
			name := cmd.Path + ": " + c.name
			if _, dup := codes[name]; dup {
				t.Fatalf("two sweep cases are named %q", name)
			}
			r := ts.sweepCall(cmd.Path, c.body)
			codes[name] = r.code
			switch {
			case r.problem != "":
				t.Errorf("%s: %s", name, r.problem)
			case documented != nil && r.code != 0 && !documented[cmd.Path][r.code]:
				t.Errorf("%s: code %d is not documented for this command", name, r.code)
			}
		}
	}
	if strings.Contains(logs.String(), "panicked") {
		t.Errorf("the sweep made a command panic:\n%s", logs.String())
	}
	compareEngines(t, codes)
}

// compareEngines hands the codes from the SQLite run to the PostgreSQL run
// and fails the latter where they differ.
func compareEngines(t *testing.T, codes map[string]int) {
	t.Helper()
	if os.Getenv(engineEnv) == "" {
		data, err := json.Marshal(codes)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sweepCodesFile(os.Getpid()), data, 0o600); err != nil {
			t.Fatal(err)
		}
		return
	}
	path := sweepCodesFile(os.Getppid())
	data, err := os.ReadFile(path)
	if err != nil {
		t.Logf("no codes from a SQLite run to compare with (%v)", err)
		return
	}
	_ = os.Remove(path)
	var want map[string]int
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range codes {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range names {
		if w, ok := want[n]; ok && w != codes[n] {
			t.Errorf("%s: %d on PostgreSQL, %d on SQLite", n, codes[n], w)
		}
	}
}

// TestStoreFailureSweep closes the real store under a server whose caches
// are cold and calls every command of the table with its sample: each must
// answer its domain's internal-error code in the envelope, without a panic.
func TestStoreFailureSweep(t *testing.T) {
	first := newTestServer(t, withRateLimit(0))
	sweepFixture(t, first)
	logs := &syncBuffer{}
	ts := sweepServer(t, first.db, logs)
	commands := sweepCommands(first.db, group.NewService(first.db, first.db, nil))
	if err := first.db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range commands {
		sample, ok := sweepSamples[cmd.Path]
		if !ok {
			t.Errorf("%s has no sample body in sweepSamples: add a valid one", cmd.Path)
			continue
		}
		r := ts.sweepCall(cmd.Path, []byte(sample))
		switch {
		case r.problem != "":
			t.Errorf("%s on a closed store: %s", cmd.Path, r.problem)
		case r.code != cmd.Domain.Internal:
			t.Errorf("%s on a closed store: code %d, want the internal error %d", cmd.Path, r.code, cmd.Domain.Internal)
		}
	}
	if strings.Contains(logs.String(), "panicked") {
		t.Errorf("a command panicked on a closed store:\n%s", logs.String())
	}
}
