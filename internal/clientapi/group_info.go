package clientapi

import (
	"context"
	"errors"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

// Reads of the client's side of groups. Replies carry every field (the
// REST filters are not taken) and lists are paged by at most
// maxClientPage entries, which keeps a reply well under a megabyte.

// Limits of the group reads.
const (
	maxClientPage = 100
	maxInfoGroups = 50 // get_group_info's GroupIdList, as REST
)

// groupProfile is a group's profile (rest-groups.md S6) on the wire.
type groupProfile struct {
	Type            string  `json:"Type"`
	Name            string  `json:"Name"`
	Introduction    string  `json:"Introduction"`
	Notification    string  `json:"Notification"`
	FaceURL         string  `json:"FaceUrl"`
	Owner           string  `json:"Owner_Account"`
	CreateTime      int64   `json:"CreateTime"`
	InfoSeq         int64   `json:"InfoSeq"`
	LastInfoTime    int64   `json:"LastInfoTime"`
	LastMsgTime     int64   `json:"LastMsgTime"`
	NextMsgSeq      int64   `json:"NextMsgSeq"`
	MemberNum       int     `json:"MemberNum"`
	MaxMemberNum    int     `json:"MaxMemberNum"`
	ApplyJoinOption string  `json:"ApplyJoinOption"`
	MuteAllMember   string  `json:"MuteAllMember"`
	SupportTopic    *int    `json:"SupportTopic,omitempty"`
	AppDefinedData  []im.KV `json:"AppDefinedData"`
}

func profileOf(g *im.Group) *groupProfile {
	p := &groupProfile{
		Type: string(g.Type), Name: g.Name, Introduction: g.Introduction, Notification: g.Notification,
		FaceURL: g.FaceURL, Owner: g.Owner, CreateTime: g.CreateTime, InfoSeq: g.InfoSeq,
		LastInfoTime: g.LastInfoTime, LastMsgTime: g.LastMsgTime, NextMsgSeq: g.NextMsgSeq,
		MemberNum: g.MemberNum, MaxMemberNum: g.MaxMemberNum, ApplyJoinOption: g.ApplyJoinOption,
		MuteAllMember: group.OnOff(g.MuteAllMember), AppDefinedData: nonNil(g.AppDefinedData),
	}
	if g.Type == im.GroupCommunity {
		n := 0
		if g.SupportTopic {
			n = 1
		}
		p.SupportTopic = &n
	}
	return p
}

// memberInfo is a member (rest-groups.md S7) on the wire.
type memberInfo struct {
	Member               string  `json:"Member_Account"`
	Role                 string  `json:"Role"`
	JoinTime             int64   `json:"JoinTime"`
	MsgSeq               int64   `json:"MsgSeq"`
	MsgFlag              string  `json:"MsgFlag"`
	LastSendMsgTime      int64   `json:"LastSendMsgTime"`
	MuteUntil            int64   `json:"MuteUntil"`
	NameCard             string  `json:"NameCard"`
	AppMemberDefinedData []im.KV `json:"AppMemberDefinedData"`
}

func membersOf(ms []im.Member) []memberInfo {
	out := make([]memberInfo, len(ms))
	for i, m := range ms {
		out[i] = memberInfo{Member: m.UserID, Role: m.Role, JoinTime: m.JoinTime, MsgSeq: m.MsgSeq, MsgFlag: m.MsgFlag,
			LastSendMsgTime: m.LastSendMsgTime, MuteUntil: m.MuteUntil, NameCard: m.NameCard,
			AppMemberDefinedData: nonNil(m.AppMemberDefinedData)}
	}
	return out
}

type infoReq struct {
	GroupIDs []string `json:"GroupIdList"`
}

// infoItem is one group of get_group_info: its profile, or its error.
type infoItem struct {
	GroupID   string `json:"GroupId"`
	ErrorCode int    `json:"ErrorCode"`
	ErrorInfo string `json:"ErrorInfo"`
	*groupProfile
}

type infoResp struct {
	GroupInfo []infoItem `json:"GroupInfo"`
}

// info answers each group's profile as the user may see it, or the code
// why not, in request order.
func (g *groupClient) info(ctx context.Context, c groupCall, req *infoReq) (*infoResp, error) {
	if len(req.GroupIDs) == 0 || len(req.GroupIDs) > maxInfoGroups {
		return nil, im.Errorf(im.CodeGroupBadParam, "GroupIdList must hold 1 to %d group IDs", maxInfoGroups)
	}
	resp := &infoResp{GroupInfo: make([]infoItem, len(req.GroupIDs))}
	for i, id := range req.GroupIDs {
		resp.GroupInfo[i].GroupID = id
		p, err := g.svc.Profile(ctx, c.App.SDKAppID, c.By, id)
		var e *im.Error
		switch {
		case errors.As(err, &e):
			resp.GroupInfo[i].ErrorCode, resp.GroupInfo[i].ErrorInfo = e.Code, e.Info
		case err != nil:
			return nil, err
		default:
			resp.GroupInfo[i].groupProfile = profileOf(p)
		}
	}
	return resp, nil
}

type joinedReq struct {
	Offset int `json:"Offset"`
	Limit  int `json:"Limit"`
}

// joinedGroup is one of the user's groups with their own membership.
type joinedGroup struct {
	GroupID string `json:"GroupId"`
	*groupProfile
	SelfInfo memberInfo `json:"SelfInfo"`
}

type joinedResp struct {
	TotalCount int           `json:"TotalCount"`
	GroupList  []joinedGroup `json:"GroupIdList"`
}

// joined lists the user's stored groups in join order, without Work groups
// not activated yet (S2), like REST without WithNoActiveGroups.
func (g *groupClient) joined(ctx context.Context, c groupCall, req *joinedReq) (*joinedResp, error) {
	offset, limit, err := page(req.Offset, req.Limit)
	if err != nil {
		return nil, err
	}
	all, err := g.svc.Joined(ctx, c.App.SDKAppID, c.By.UserID)
	if err != nil {
		return nil, err
	}
	var active []im.JoinedGroup
	for _, j := range all {
		if group.Active(&j.Group) {
			active = append(active, j)
		}
	}
	resp := &joinedResp{TotalCount: len(active), GroupList: []joinedGroup{}}
	for i := offset; i < len(active) && i < offset+limit; i++ {
		j := &active[i]
		self := membersOf(group.ActiveMutes([]im.Member{j.Self}, c.Now))[0]
		resp.GroupList = append(resp.GroupList, joinedGroup{GroupID: j.Group.ID, groupProfile: profileOf(&j.Group), SelfInfo: self})
	}
	return resp, nil
}

// page checks an Offset and a Limit (0 meaning the largest page).
func page(offset, limit int) (int, int, error) {
	if offset < 0 || limit < 0 || limit > maxClientPage {
		return 0, 0, im.Errorf(im.CodeGroupBadParam, "Offset must not be negative and Limit must be 1 to %d", maxClientPage)
	}
	if limit == 0 {
		limit = maxClientPage
	}
	return offset, limit, nil
}

type membersReq struct {
	GroupID string   `json:"GroupId"`
	Roles   []string `json:"MemberRoleFilter"`
	Offset  *int     `json:"Offset"`
	Limit   int      `json:"Limit"`
	Next    string   `json:"Next"`
}

type membersResp struct {
	MemberNum  int          `json:"MemberNum"`
	MemberList []memberInfo `json:"MemberList"`
	Next       *string      `json:"Next,omitempty"`
}

// members pages through a group's members: by Offset, or for a Community
// by the Next cursor, as REST's get_group_member_info.
func (g *groupClient) members(ctx context.Context, c groupCall, req *membersReq) (*membersResp, error) {
	if _, _, err := page(0, req.Limit); err != nil {
		return nil, err
	}
	limit := req.Limit
	if limit == 0 {
		limit = maxClientPage
	}
	q := group.MemberQuery{Roles: req.Roles, Limit: &limit, Offset: req.Offset, Next: req.Next}
	grp, members, next, err := g.svc.MemberPage(ctx, c.App.SDKAppID, c.By, req.GroupID, q, c.Now)
	if err != nil {
		return nil, err
	}
	resp := &membersResp{MemberNum: grp.MemberNum, MemberList: membersOf(members)}
	if grp.Type == im.GroupCommunity {
		resp.Next = &next
	}
	return resp, nil
}

type specifiedReq struct {
	GroupID string   `json:"GroupId"`
	Members []string `json:"Member_List_Account"`
}

type specifiedResp struct {
	MemberList []memberInfo `json:"MemberList"`
}

func (g *groupClient) specifiedMembers(ctx context.Context, c groupCall, req *specifiedReq) (*specifiedResp, error) {
	members, err := g.svc.SpecifiedMembers(ctx, c.App.SDKAppID, c.By, req.GroupID, req.Members, nil, c.Now)
	if err != nil {
		return nil, err
	}
	return &specifiedResp{MemberList: membersOf(members)}, nil
}

type attrsResp struct {
	GroupAttrAry []im.Attr `json:"GroupAttrAry"`
}

func (g *groupClient) attrs(ctx context.Context, c groupCall, req *groupIDReq) (*attrsResp, error) {
	attrs, err := g.svc.Attrs(ctx, c.App, c.By, req.GroupID)
	if err != nil {
		return nil, err
	}
	return &attrsResp{GroupAttrAry: nonNil(attrs)}, nil
}

type countersReq struct {
	GroupID string   `json:"GroupId"`
	Keys    []string `json:"GroupCounterKeys"`
}

type countersResp struct {
	GroupCounter []im.Counter `json:"GroupCounter"`
}

func (g *groupClient) counters(ctx context.Context, c groupCall, req *countersReq) (*countersResp, error) {
	counters, err := g.svc.Counters(ctx, c.App, c.By, req.GroupID, req.Keys)
	if err != nil {
		return nil, err
	}
	return &countersResp{GroupCounter: nonNil(counters)}, nil
}

// nonNil makes an absent list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
