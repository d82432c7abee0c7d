package api

import (
	"context"
	"errors"
	"time"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

// responseFilter is the ResponseFilter object of rest-groups.md S10.
type responseFilter struct {
	GroupBaseInfoFilter              []string
	MemberInfoFilter                 []string
	SelfInfoFilter                   []string
	AppDefinedDataFilter_Group       []string
	AppDefinedDataFilter_GroupMember []string
}

// fields is one JSON object of the response, built field by field so that
// filters can pick exactly the names they list.
type fields map[string]any

// groupFields returns every S6 field of g by wire name.
func groupFields(g *im.Group) fields {
	f := fields{
		"Type": string(g.Type), "Name": g.Name, "Introduction": g.Introduction,
		"Notification": g.Notification, "FaceUrl": g.FaceURL, "Owner_Account": g.Owner,
		"CreateTime": g.CreateTime, "InfoSeq": g.InfoSeq, "LastInfoTime": g.LastInfoTime,
		"LastMsgTime": g.LastMsgTime, "NextMsgSeq": g.NextMsgSeq, "MemberNum": g.MemberNum,
		"MaxMemberNum": g.MaxMemberNum, "ApplyJoinOption": g.ApplyJoinOption,
		"MuteAllMember": group.OnOff(g.MuteAllMember), "Appid": g.AppID,
	}
	if g.Type == im.GroupCommunity {
		f["SupportTopic"] = boolInt(g.SupportTopic)
	}
	return f
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// memberFields returns every S7 field of m by wire name.
func memberFields(m *im.Member) fields {
	return fields{
		"Member_Account": m.UserID, "Role": m.Role, "JoinTime": m.JoinTime, "MsgSeq": m.MsgSeq,
		"MsgFlag": m.MsgFlag, "LastSendMsgTime": m.LastSendMsgTime, "MuteUntil": m.MuteUntil,
		"NameCard": m.NameCard,
	}
}

// pick copies the named fields of all into dst; names are matched exactly,
// unknown names are ignored (S10), and the legacy ShutUp* spellings are
// answered under the name the caller used.
func pick(dst, all fields, names []string) {
	for _, n := range names {
		key := n
		switch n {
		case "ShutUpAllMember":
			key = "MuteAllMember"
		case "ShutUpUntil":
			key = "MuteUntil"
		case "Account":
			key = "Member_Account"
		}
		if v, ok := all[key]; ok {
			dst[n] = v
		}
	}
}

// memberEntry is one member object (S7) of a reply: every field when info
// is nil, else Member_Account and the fields info names; the custom fields
// (restricted to the keys of data, when given) when all fields are wanted,
// when info names AppMemberDefinedData, or when data is given.
func memberEntry(m *im.Member, info, data []string) fields {
	all := memberFields(m)
	out := all
	if info != nil {
		out = fields{"Member_Account": m.UserID}
		pick(out, all, info)
	}
	if info == nil || data != nil || contains(info, "AppMemberDefinedData") {
		out["AppMemberDefinedData"] = customData(m.AppMemberDefinedData, data)
	}
	return out
}

// customData returns kvs restricted to keys (all of them when keys is nil).
func customData(kvs []im.KV, keys []string) []im.KV {
	out := []im.KV{}
	for _, kv := range kvs {
		if keys == nil || contains(keys, kv.Key) {
			out = append(out, kv)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type groupInfoReq struct {
	GroupIdList    []string
	ResponseFilter *responseFilter
}

type groupInfoResp struct {
	GroupInfo []fields
}

func (a groupAPI) info(ctx context.Context, call *Call, req *groupInfoReq) (*groupInfoResp, error) {
	if len(req.GroupIdList) == 0 || len(req.GroupIdList) > maxGroupInfoIDs {
		return nil, im.Errorf(im.CodeGroupBadParam, "GroupIdList must hold 1 to %d group IDs", maxGroupInfoIDs)
	}
	resp := &groupInfoResp{GroupInfo: make([]fields, 0, len(req.GroupIdList))}
	entries := 0 // members listed, for the reply size cap
	for _, id := range req.GroupIdList {
		item, err := a.oneGroupInfo(ctx, call.App.SDKAppID, id, req.ResponseFilter, call.Now)
		if err != nil {
			var e *im.Error
			if !errors.As(err, &e) {
				return nil, err
			}
			item = fields{"GroupId": id, "ErrorCode": e.Code, "ErrorInfo": e.Info}
		}
		resp.GroupInfo = append(resp.GroupInfo, item)
		if list, ok := item["MemberList"].([]fields); ok {
			entries += len(list)
		}
	}
	return resp, checkReplySize(resp, entries)
}

func (a groupAPI) oneGroupInfo(ctx context.Context, appID uint64, id string, f *responseFilter, now time.Time) (fields, error) {
	g, err := a.svc.Info(ctx, appID, id)
	if err != nil {
		return nil, err
	}
	out := fields{"GroupId": g.ID, "ErrorCode": 0, "ErrorInfo": ""}
	all := groupFields(g)
	if f == nil {
		for k, v := range all {
			out[k] = v
		}
		out["AppDefinedData"] = customData(g.AppDefinedData, nil)
	} else {
		pick(out, all, f.GroupBaseInfoFilter)
		if f.AppDefinedDataFilter_Group != nil {
			out["AppDefinedData"] = customData(g.AppDefinedData, f.AppDefinedDataFilter_Group)
		}
	}
	wantMembers := f == nil || f.MemberInfoFilter != nil || f.AppDefinedDataFilter_GroupMember != nil
	if !wantMembers || g.Type == im.GroupAVChatRoom {
		return out, nil // live groups keep no member list
	}
	members, err := a.svc.Members(ctx, appID, g.ID)
	if err != nil {
		return nil, err
	}
	members = group.ActiveMutes(members, now)
	info, data := []string(nil), []string(nil)
	if f != nil {
		info, data = nonNil(f.MemberInfoFilter), f.AppDefinedDataFilter_GroupMember
	}
	list := make([]fields, len(members))
	for i := range members {
		list[i] = memberEntry(&members[i], info, data)
	}
	out["MemberList"] = list
	return out, nil
}

type joinedReq struct {
	Member_Account     string
	WithHugeGroups     int
	WithNoActiveGroups int
	Limit              *int
	Offset             int
	GroupType          string
	ResponseFilter     *responseFilter
	SupportTopic       *int
}

type joinedResp struct {
	TotalCount  int
	GroupIdList []fields
}

func (a groupAPI) joined(ctx context.Context, call *Call, req *joinedReq) (*joinedResp, error) {
	if req.Member_Account == "" {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "Member_Account is required"}
	}
	limit := -1
	if req.Limit != nil {
		limit = *req.Limit
		if limit <= 0 || limit > maxJoinedGroupPage {
			return nil, im.Errorf(im.CodeGroupBadParam, "Limit must be 1 to %d", maxJoinedGroupPage)
		}
	}
	if req.Offset < 0 {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "Offset must not be negative"}
	}
	var t im.GroupType
	if req.GroupType != "" {
		var ok bool
		if t, ok = group.ParseType(req.GroupType); !ok {
			return nil, im.Errorf(im.CodeGroupBadParam, "GroupType %q is not a group type", req.GroupType)
		}
	}
	if req.SupportTopic != nil && t != im.GroupCommunity {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "SupportTopic needs GroupType Community"}
	}
	joined, err := a.svc.Joined(ctx, call.App.SDKAppID, req.Member_Account)
	if err != nil {
		return nil, err
	}
	var matching []im.JoinedGroup
	for _, j := range joined {
		g := &j.Group
		switch {
		case t != "" && g.Type != t,
			g.Type == im.GroupAVChatRoom && req.WithHugeGroups != 1,
			!group.Active(g) && req.WithNoActiveGroups != 1,
			req.SupportTopic != nil && boolInt(g.SupportTopic) != *req.SupportTopic:
			continue
		}
		matching = append(matching, j)
	}
	resp := &joinedResp{TotalCount: len(matching), GroupIdList: []fields{}}
	page := matching[min(req.Offset, len(matching)):]
	if limit >= 0 && len(page) > limit {
		page = page[:limit]
	}
	for i := range page {
		j := &page[i]
		item := fields{"GroupId": j.Group.ID}
		if f := req.ResponseFilter; f != nil {
			pick(item, groupFields(&j.Group), f.GroupBaseInfoFilter)
			if f.SelfInfoFilter != nil {
				self := fields{}
				pick(self, memberFields(&group.ActiveMutes([]im.Member{j.Self}, call.Now)[0]), f.SelfInfoFilter)
				item["SelfInfo"] = self
			}
		}
		resp.GroupIdList = append(resp.GroupIdList, item)
	}
	return resp, nil
}
