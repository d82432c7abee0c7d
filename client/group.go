package client

import (
	"context"
	"time"
)

// Groups from a client (docs/client-protocol.md §4 "Groups" and §5 "Group
// events"). Each method is the server's operation of the same name with
// the logged-in user as the operator: the same checks and error codes as
// the REST API (10007 not allowed, 10010 no such group, 10013 already a
// member, 10014 full, 10037 too many groups, ...). Changes reach the
// group's members as events on Events, with their EventSeq.

// KV is one custom field (AppDefinedData, AppMemberDefinedData).
type KV struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// NewGroup describes a group to create; the creator becomes its owner.
type NewGroup struct {
	// Type is Private (Work), Public, ChatRoom (Meeting), AVChatRoom or
	// Community; "Work" and "Meeting" are accepted.
	Type            string      `json:"Type"`
	Name            string      `json:"Name"`
	Introduction    string      `json:"Introduction,omitempty"`
	Notification    string      `json:"Notification,omitempty"`
	FaceURL         string      `json:"FaceUrl,omitempty"`
	MaxMemberCount  int         `json:"MaxMemberCount,omitempty"`
	ApplyJoinOption string      `json:"ApplyJoinOption,omitempty"` // FreeAccess, NeedPermission, DisableApply
	AppDefinedData  []KV        `json:"AppDefinedData,omitempty"`
	SupportTopic    int         `json:"SupportTopic,omitempty"` // 1: a Community with topics
	Members         []NewMember `json:"MemberList,omitempty"`   // initial members besides the owner
}

// NewMember is an initial member of a new group.
type NewMember struct {
	UserID               string `json:"Member_Account"`
	Role                 string `json:"Role,omitempty"` // Member (default) or Admin
	AppMemberDefinedData []KV   `json:"AppMemberDefinedData,omitempty"`
}

// CreateGroup creates a group owned by the user and returns its ID. The
// initial members receive a GroupCreated event.
func (c *Client) CreateGroup(ctx context.Context, g NewGroup) (string, error) {
	var out struct {
		GroupID string `json:"GroupId"`
	}
	err := c.request(ctx, "create_group", g, &out)
	return out.GroupID, err
}

// DismissGroup disbands a group (its owner may, except a Work group's):
// every member online receives GroupDismissed.
func (c *Client) DismissGroup(ctx context.Context, groupID string) error {
	return c.request(ctx, "destroy_group", groupRef{groupID}, nil)
}

type groupRef struct {
	GroupID string `json:"GroupId"`
}

// ApplyToJoin asks to join a Public, Meeting or Community group. joined is
// true when the user is a member now (FreeAccess); false when the owner or
// an admin must approve (NeedPermission): a JoinApplicationHandled event
// tells the decision. Work groups, live groups (see JoinGroup) and groups
// with DisableApply refuse with 10007.
func (c *Client) ApplyToJoin(ctx context.Context, groupID, msg string) (joined bool, err error) {
	var out struct {
		Result string `json:"Result"`
	}
	err = c.request(ctx, "apply_join_group", map[string]any{"GroupId": groupID, "ApplyMsg": msg}, &out)
	return out.Result == "Joined", err
}

// Application is a pending request to join a group.
type Application struct {
	Applicant string `json:"Applicant_Account"`
	ApplyMsg  string `json:"ApplyMsg"`
	ApplyTime int64  `json:"ApplyTime"`
}

// JoinApplications lists a group's pending applications, oldest first, for
// its owner and admins: up to limit (at most 100; 0 for 100) from offset.
// next is the offset of the following page, 0 on the last.
func (c *Client) JoinApplications(ctx context.Context, groupID string, offset, limit int) (list []Application, next int, err error) {
	var out struct {
		ApplicationList []Application `json:"ApplicationList"`
		Next            int           `json:"Next"`
	}
	err = c.request(ctx, "get_join_applications", map[string]any{"GroupId": groupID, "Offset": offset, "Limit": limit}, &out)
	return out.ApplicationList, out.Next, err
}

// ApproveApplication lets an applicant in (owner or admin). 10024: the
// application was handled already.
func (c *Client) ApproveApplication(ctx context.Context, groupID, applicant string) error {
	return c.request(ctx, "approve_join_application", map[string]any{"GroupId": groupID, "Applicant_Account": applicant}, nil)
}

// RejectApplication turns an applicant down, with an optional reason the
// applicant receives.
func (c *Client) RejectApplication(ctx context.Context, groupID, applicant, reason string) error {
	return c.request(ctx, "reject_join_application",
		map[string]any{"GroupId": groupID, "Applicant_Account": applicant, "Reason": reason}, nil)
}

// MemberResult is what happened to one invited user: 1 added, 2 already a
// member, 0 failed (at their group limit).
type MemberResult struct {
	UserID string `json:"Member_Account"`
	Result int    `json:"Result"`
}

// InviteMembers adds users to a group where members may invite (a Work
// group, a Community); they join at once.
func (c *Client) InviteMembers(ctx context.Context, groupID string, userIDs ...string) ([]MemberResult, error) {
	list := make([]map[string]string, len(userIDs))
	for i, u := range userIDs {
		list[i] = map[string]string{"Member_Account": u}
	}
	var out struct {
		MemberList []MemberResult `json:"MemberList"`
	}
	err := c.request(ctx, "add_group_member", map[string]any{"GroupId": groupID, "MemberList": list}, &out)
	return out.MemberList, err
}

// KickMembers removes members (an owner or admin removes those below
// them); they receive MemberKicked, then nothing more of the group.
func (c *Client) KickMembers(ctx context.Context, groupID, reason string, userIDs ...string) error {
	return c.request(ctx, "delete_group_member",
		map[string]any{"GroupId": groupID, "MemberToDel_Account": userIDs, "Reason": reason}, nil)
}

// LeaveGroup ends the user's membership of a stored group (QuitGroup
// leaves a live group). An owner may leave only a Work group (10009).
func (c *Client) LeaveGroup(ctx context.Context, groupID string) error {
	return c.request(ctx, "leave_group", groupRef{groupID}, nil)
}

// MuteMembers keeps members from sending for d (whole seconds; 0 unmutes).
func (c *Client) MuteMembers(ctx context.Context, groupID string, d time.Duration, userIDs ...string) error {
	return c.request(ctx, "forbid_send_msg",
		map[string]any{"GroupId": groupID, "Members_Account": userIDs, "MuteTime": int64(d / time.Second)}, nil)
}

// UnmuteMembers lifts mutes.
func (c *Client) UnmuteMembers(ctx context.Context, groupID string, userIDs ...string) error {
	return c.MuteMembers(ctx, groupID, 0, userIDs...)
}

// ChangeGroupOwner hands the group to another member (its owner may); the
// user becomes a Member.
func (c *Client) ChangeGroupOwner(ctx context.Context, groupID, newOwner string) error {
	return c.request(ctx, "change_group_owner", map[string]any{"GroupId": groupID, "NewOwner_Account": newOwner}, nil)
}

// SetMemberRole makes a member an Admin or a Member again (the owner may).
func (c *Client) SetMemberRole(ctx context.Context, groupID, userID, role string) error {
	return c.ModifyMemberInfo(ctx, groupID, userID, MemberInfoChange{Role: &role})
}

// MemberInfoChange is a change of a member's profile; nil fields stay.
// Users change their own NameCard, MsgFlag and custom fields; others'
// need a higher role.
type MemberInfoChange struct {
	Role                 *string `json:"Role,omitempty"`
	MsgFlag              *string `json:"MsgFlag,omitempty"` // AcceptAndNotify, AcceptNotNotify, Discard
	NameCard             *string `json:"NameCard,omitempty"`
	AppMemberDefinedData []KV    `json:"AppMemberDefinedData,omitempty"` // a Value of "" deletes the key
	MuteTime             *int64  `json:"MuteTime,omitempty"`             // seconds; 0 unmutes
}

// ModifyMemberInfo changes a member's profile.
func (c *Client) ModifyMemberInfo(ctx context.Context, groupID, userID string, ch MemberInfoChange) error {
	return c.request(ctx, "modify_group_member_info", struct {
		GroupID string `json:"GroupId"`
		UserID  string `json:"Member_Account"`
		MemberInfoChange
	}{groupID, userID, ch}, nil)
}

// GroupInfoChange is a change of a group's profile; nil fields stay.
type GroupInfoChange struct {
	Name            *string `json:"Name,omitempty"`
	Introduction    *string `json:"Introduction,omitempty"`
	Notification    *string `json:"Notification,omitempty"`
	FaceURL         *string `json:"FaceUrl,omitempty"`
	MaxMemberNum    *int    `json:"MaxMemberNum,omitempty"`
	ApplyJoinOption *string `json:"ApplyJoinOption,omitempty"`
	MuteAllMember   *string `json:"MuteAllMember,omitempty"` // On or Off
	AppDefinedData  []KV    `json:"AppDefinedData,omitempty"`
}

// ModifyGroupInfo changes a group's profile: the members receive
// GroupInfoChanged.
func (c *Client) ModifyGroupInfo(ctx context.Context, groupID string, ch GroupInfoChange) error {
	return c.request(ctx, "modify_group_base_info", struct {
		GroupID string `json:"GroupId"`
		GroupInfoChange
	}{groupID, ch}, nil)
}

// GroupProfile is a group's profile.
type GroupProfile struct {
	Type            string `json:"Type"`
	Name            string `json:"Name"`
	Introduction    string `json:"Introduction"`
	Notification    string `json:"Notification"`
	FaceURL         string `json:"FaceUrl"`
	Owner           string `json:"Owner_Account"`
	CreateTime      int64  `json:"CreateTime"`
	InfoSeq         int64  `json:"InfoSeq"`
	LastInfoTime    int64  `json:"LastInfoTime"`
	LastMsgTime     int64  `json:"LastMsgTime"`
	NextMsgSeq      int64  `json:"NextMsgSeq"`
	MemberNum       int    `json:"MemberNum"`
	MaxMemberNum    int    `json:"MaxMemberNum"`
	ApplyJoinOption string `json:"ApplyJoinOption"`
	MuteAllMember   string `json:"MuteAllMember"`
	SupportTopic    int    `json:"SupportTopic"`
	AppDefinedData  []KV   `json:"AppDefinedData"`
}

// GroupInfo is one group of GroupsInfo: its profile, or the code why it
// cannot be read (10010 no such group, 10007 a Work group of others).
type GroupInfo struct {
	GroupID   string `json:"GroupId"`
	ErrorCode int    `json:"ErrorCode"`
	ErrorInfo string `json:"ErrorInfo"`
	GroupProfile
}

// GroupsInfo reads up to 50 groups' profiles, in the order asked. Non-
// members see no AppDefinedData.
func (c *Client) GroupsInfo(ctx context.Context, groupIDs ...string) ([]GroupInfo, error) {
	var out struct {
		GroupInfo []GroupInfo `json:"GroupInfo"`
	}
	err := c.request(ctx, "get_group_info", map[string]any{"GroupIdList": groupIDs}, &out)
	return out.GroupInfo, err
}

// GroupMember is a member's profile in a group.
type GroupMember struct {
	UserID               string `json:"Member_Account"`
	Role                 string `json:"Role"` // Owner, Admin or Member
	JoinTime             int64  `json:"JoinTime"`
	MsgSeq               int64  `json:"MsgSeq"`
	MsgFlag              string `json:"MsgFlag"`
	LastSendMsgTime      int64  `json:"LastSendMsgTime"`
	MuteUntil            int64  `json:"MuteUntil"` // 0 when not muted
	NameCard             string `json:"NameCard"`
	AppMemberDefinedData []KV   `json:"AppMemberDefinedData"`
}

// JoinedGroup is one of the user's groups, with their membership.
type JoinedGroup struct {
	GroupID string `json:"GroupId"`
	GroupProfile
	Self GroupMember `json:"SelfInfo"`
}

// JoinedGroups lists the user's groups in join order, up to limit (at most
// 100; 0 for 100) from offset, and how many there are.
func (c *Client) JoinedGroups(ctx context.Context, offset, limit int) (groups []JoinedGroup, total int, err error) {
	var out struct {
		TotalCount  int           `json:"TotalCount"`
		GroupIdList []JoinedGroup `json:"GroupIdList"`
	}
	err = c.request(ctx, "get_joined_group_list", map[string]any{"Offset": offset, "Limit": limit}, &out)
	return out.GroupIdList, out.TotalCount, err
}

// MemberQuery selects a page of a group's members.
type MemberQuery struct {
	Roles  []string `json:"MemberRoleFilter,omitempty"` // Owner, Admin, Member
	Limit  int      `json:"Limit,omitempty"`            // at most 100; 0 for 100
	Offset *int     `json:"Offset,omitempty"`           // not for a Community
	Next   string   `json:"Next,omitempty"`             // a Community's cursor
}

// MemberPage is a page of members; Next is a Community's next cursor (""
// on the last page).
type MemberPage struct {
	MemberNum int           `json:"MemberNum"`
	Members   []GroupMember `json:"MemberList"`
	Next      string        `json:"Next"`
}

// GroupMembers pages through the members of one of the user's groups.
func (c *Client) GroupMembers(ctx context.Context, groupID string, q MemberQuery) (*MemberPage, error) {
	var out MemberPage
	err := c.request(ctx, "get_group_member_info", struct {
		GroupID string `json:"GroupId"`
		MemberQuery
	}{groupID, q}, &out)
	return &out, err
}

// GroupMembersInfo reads the listed members (at most 50) of one of the
// user's groups; users who are not members are left out.
func (c *Client) GroupMembersInfo(ctx context.Context, groupID string, userIDs ...string) ([]GroupMember, error) {
	var out struct {
		MemberList []GroupMember `json:"MemberList"`
	}
	err := c.request(ctx, "get_specified_group_member_info", map[string]any{"GroupId": groupID, "Member_List_Account": userIDs}, &out)
	return out.MemberList, err
}

// GroupAttr is a group custom attribute.
type GroupAttr struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// GroupAttrs reads the custom attributes of one of the user's groups, or
// of a live group. Only the app's backend writes them.
func (c *Client) GroupAttrs(ctx context.Context, groupID string) ([]GroupAttr, error) {
	var out struct {
		GroupAttrAry []GroupAttr `json:"GroupAttrAry"`
	}
	err := c.request(ctx, "get_group_attr", groupRef{groupID}, &out)
	return out.GroupAttrAry, err
}

// GroupCounter is a group counter.
type GroupCounter struct {
	Key   string `json:"Key"`
	Value int64  `json:"Value"`
}

// GroupCounters reads the listed counters of one of the user's groups, or
// of a live group (all of them when no key is given).
func (c *Client) GroupCounters(ctx context.Context, groupID string, keys ...string) ([]GroupCounter, error) {
	req := map[string]any{"GroupId": groupID}
	if len(keys) > 0 {
		req["GroupCounterKeys"] = keys
	}
	var out struct {
		GroupCounter []GroupCounter `json:"GroupCounter"`
	}
	err := c.request(ctx, "get_group_counter", req, &out)
	return out.GroupCounter, err
}
