package api

import (
	"context"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

// topicCommands are the Community management (topics) section of
// rest-groups.md and the community's online count. import_topic lives
// under group_open_http_svc.
func (a groupAPI) topicCommands() []Command {
	rows := []Command{
		command("v4/million_group_open_http_svc/create_topic", 200, groupDomain, a.createTopic),
		command("v4/million_group_open_http_svc/destroy_topic", 200, groupDomain, a.destroyTopics),
		command("v4/million_group_open_http_svc/get_topic", 200, groupDomain, a.topics),
		command("v4/million_group_open_http_svc/modify_topic", 200, groupDomain, a.modifyTopic),
	}
	for i := range rows {
		// These pages name 10006 for calling them too often.
		rows[i].LimitCode = im.CodeGroupRateLimit
	}
	return append(rows,
		command("v4/group_open_http_svc/import_topic", 200, groupDomain, a.importTopic),
		command("v4/million_group_open_http_svc/get_online_member_num", 200, groupDomain, a.communityOnline),
	)
}

// topicProfileReq is what create_topic and import_topic share.
type topicProfileReq struct {
	GroupId      string
	TopicId      string
	TopicName    *string
	From_Account string
	CustomString string
	FaceUrl      string
	Notification string
	Introduction string
}

func (r *topicProfileReq) input() group.TopicInput {
	return group.TopicInput{
		GroupID: r.GroupId, TopicID: r.TopicId, Name: r.TopicName, Creator: r.From_Account,
		CustomString: r.CustomString, FaceURL: r.FaceUrl, Notification: r.Notification, Introduction: r.Introduction,
	}
}

type topicIDResp struct {
	TopicId string
}

func (a groupAPI) createTopic(ctx context.Context, call *Call, req *topicProfileReq) (*topicIDResp, error) {
	t, err := a.svc.CreateTopic(ctx, call.App, group.AppAdmin(call.Identifier), req.input(), call.Now)
	if err != nil {
		return nil, err
	}
	return &topicIDResp{TopicId: t.ID}, nil
}

type importTopicReq struct {
	topicProfileReq
	Type       string
	CreateTime int64
}

func (a groupAPI) importTopic(ctx context.Context, call *Call, req *importTopicReq) (*topicIDResp, error) {
	if req.Type != "" && req.Type != string(im.GroupCommunity) {
		return nil, im.Errorf(im.CodeGroupBadParam, "Type must be Community, got %q", req.Type)
	}
	in := req.input()
	in.CreateTime = req.CreateTime
	t, err := a.svc.ImportTopic(ctx, call.App, group.AppAdmin(call.Identifier), in, call.Now)
	if err != nil {
		return nil, err
	}
	return &topicIDResp{TopicId: t.ID}, nil
}

type destroyTopicsReq struct {
	GroupId     string
	TopicIdList []string
}

type topicOutcome struct {
	TopicId   string
	ErrorCode int
	ErrorInfo string
}

type destroyTopicsResp struct {
	DestroyResultItem []topicOutcome
}

func (a groupAPI) destroyTopics(ctx context.Context, call *Call, req *destroyTopicsReq) (*destroyTopicsResp, error) {
	results, err := a.svc.DestroyTopics(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId, nonNil(req.TopicIdList))
	if err != nil {
		return nil, err
	}
	resp := &destroyTopicsResp{DestroyResultItem: make([]topicOutcome, len(results))}
	for i, r := range results {
		resp.DestroyResultItem[i] = topicOutcome{TopicId: r.TopicID}
		if r.Err != nil {
			resp.DestroyResultItem[i].ErrorCode, resp.DestroyResultItem[i].ErrorInfo = r.Err.Code, r.Err.Info
		}
	}
	return resp, nil
}

type topicsReq struct {
	GroupId        string
	From_Account   string
	TopicIdList    []string
	ResponseFilter []string
}

// topicSelfInfo is get_topic's SelfInfo. Read positions are not kept per
// topic, so MsgSeq is 0; ShutUpTime is when the user's mute in the topic
// ends, 0 when not muted.
type topicSelfInfo struct {
	MsgSeq     int64
	MsgFlag    string
	ShutUpTime int64
}

type topicItem struct {
	ErrorCode int
	ErrorInfo string
	TopicInfo fields
	SelfInfo  *topicSelfInfo `json:",omitempty"`
}

type topicsResp struct {
	TopicAndSelfInfo []topicItem
}

// topicFields returns every topic field of get_topic by wire name.
func topicFields(t *im.Topic) fields {
	info := group.NewTopicInfo(t)
	return fields{
		"TopicId": info.TopicId, "GroupID": info.GroupID, "TopicName": info.TopicName, "FaceUrl": info.FaceUrl,
		"Notification": info.Notification, "Introduction": info.Introduction, "CustomString": info.CustomString,
		"CreateTime": info.CreateTime, "LastMsgTime": info.LastMsgTime, "NextMsgSeq": info.NextMsgSeq,
		"MuteAllMember": info.MuteAllMember,
	}
}

func (a groupAPI) topics(ctx context.Context, call *Call, req *topicsReq) (*topicsResp, error) {
	results, self, err := a.svc.Topics(ctx, call.App, req.GroupId, req.TopicIdList, req.From_Account, call.Now)
	if err != nil {
		return nil, err
	}
	resp := &topicsResp{TopicAndSelfInfo: make([]topicItem, len(results))}
	for i, r := range results {
		item := topicItem{TopicInfo: fields{"TopicId": r.TopicID, "GroupID": req.GroupId}}
		if r.Err != nil {
			item.ErrorCode, item.ErrorInfo = r.Err.Code, r.Err.Info
			resp.TopicAndSelfInfo[i] = item
			continue
		}
		all := topicFields(r.Topic)
		if req.ResponseFilter == nil {
			item.TopicInfo = all
		} else {
			pick(item.TopicInfo, all, req.ResponseFilter)
		}
		if s, ok := self[r.TopicID]; ok {
			item.SelfInfo = &topicSelfInfo{MsgFlag: s.MsgFlag, ShutUpTime: s.MuteUntil}
		}
		resp.TopicAndSelfInfo[i] = item
	}
	return resp, nil
}

type modifyTopicReq struct {
	GroupId       string
	TopicId       string
	From_Account  string
	TopicName     *string
	FaceUrl       *string
	Notification  *string
	Introduction  *string
	CustomString  *string
	MuteAllMember *string
}

func (a groupAPI) modifyTopic(ctx context.Context, call *Call, req *modifyTopicReq) (*empty, error) {
	mute, err := onOffSwitch("MuteAllMember", req.MuteAllMember, nil)
	if err != nil {
		return nil, err
	}
	ch := group.TopicChange{
		Name: req.TopicName, FaceURL: req.FaceUrl, Notification: req.Notification, Introduction: req.Introduction,
		CustomString: req.CustomString, MuteAllMember: mute,
	}
	by := group.AppAdmin(call.Identifier)
	if err := a.svc.ModifyTopic(ctx, call.App, by, req.GroupId, req.TopicId, ch); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

func (a groupAPI) communityOnline(ctx context.Context, call *Call, req *groupIDReq) (*onlineNumResp, error) {
	n, err := a.svc.OnlineMemberNum(ctx, call.App.SDKAppID, req.GroupId)
	if err != nil {
		return nil, err
	}
	return &onlineNumResp{OnlineMemberNum: n}, nil
}
