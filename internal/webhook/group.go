package webhook

import (
	"context"
	"errors"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

// Groups are the group domain's callbacks (group.Hooks).
type Groups struct{ s *Sender }

// Groups returns the group domain's callbacks.
func (s *Sender) Groups() Groups { return Groups{s} }

var _ group.Hooks = Groups{}

// groupKey orders a group's callbacks.
func groupKey(g *im.Group) string { return "group " + g.ID }

// decide reads the answer of a group before callback: 0 allows, a code in
// [10100, 10200] refuses with the app's ErrorInfo, anything else refuses
// with 10016; a failure under fail-closed refuses with 10016 too.
func decide(ans *answer, err error) error {
	switch {
	case errors.Is(err, errFailedClosed):
		return &im.Error{Code: im.CodeGroupCallbackRefused, Info: "the app's callback failed and its policy refuses the operation"}
	case ans == nil || ans.ErrorCode == answerAllow:
		return nil
	}
	return refusal(ans, groupCodeLo, groupCodeHi, im.CodeGroupCallbackRefused)
}

// initialMembers are the MemberList of a new group: its members but the
// owner.
func initialMembers(g *im.Group, ms []im.Member) []member {
	out := []member{}
	for _, m := range ms {
		if m.UserID != g.Owner {
			out = append(out, member{m.UserID})
		}
	}
	return out
}

type createBeforeBody struct {
	CallbackCommand  string
	Operator_Account string
	Owner_Account    string
	Type             string
	Name             string
	MemberList       []member
	EventTime        int64
}

// BeforeCreate sends Group.CallbackBeforeCreateGroup.
func (h Groups) BeforeCreate(ctx context.Context, by group.Operator, g *im.Group, ms []im.Member) error {
	ans, err := h.s.before(ctx, g.AppID, GroupBeforeCreateGroup, createBeforeBody{CallbackCommand: GroupBeforeCreateGroup,
		Operator_Account: by.UserID, Owner_Account: g.Owner, Type: string(g.Type), Name: g.Name,
		MemberList: initialMembers(g, ms), EventTime: h.s.eventTime()})
	return decide(ans, err)
}

type keyValue struct {
	Key   string
	Value string
}

type createAfterBody struct {
	CallbackCommand     string
	GroupId             string
	Operator_Account    string
	Owner_Account       string
	Type                string
	Name                string
	MemberList          []member
	UserDefinedDataList []keyValue `json:",omitempty"`
	EventTime           int64
}

// AfterCreate queues Group.CallbackAfterCreateGroup.
func (h Groups) AfterCreate(ctx context.Context, by group.Operator, g *im.Group, ms []im.Member) {
	body := &createAfterBody{CallbackCommand: GroupAfterCreateGroup, GroupId: g.ID, Operator_Account: by.UserID,
		Owner_Account: g.Owner, Type: string(g.Type), Name: g.Name, MemberList: initialMembers(g, ms), EventTime: h.s.eventTime()}
	for _, kv := range g.AppDefinedData {
		body.UserDefinedDataList = append(body.UserDefinedDataList, keyValue{kv.Key, kv.Value})
	}
	h.s.after(ctx, g.AppID, GroupAfterCreateGroup, groupKey(g), job{value: body})
}

type applyBody struct {
	CallbackCommand   string
	GroupId           string
	Type              string
	Requestor_Account string
	EventTime         int64
}

// BeforeApply sends Group.CallbackBeforeApplyJoinGroup.
func (h Groups) BeforeApply(ctx context.Context, g *im.Group, userID string) error {
	ans, err := h.s.before(ctx, g.AppID, GroupBeforeApplyJoinGroup, applyBody{CallbackCommand: GroupBeforeApplyJoinGroup,
		GroupId: g.ID, Type: string(g.Type), Requestor_Account: userID, EventTime: h.s.eventTime()})
	return decide(ans, err)
}

type inviteBody struct {
	CallbackCommand    string
	GroupId            string
	Type               string
	Operator_Account   string
	DestinationMembers []member
	EventTime          int64
}

// BeforeInvite sends Group.CallbackBeforeInviteJoinGroup; with ErrorCode
// 0 the users in RefusedMembers_Account are refused alone.
func (h Groups) BeforeInvite(ctx context.Context, by group.Operator, g *im.Group, userIDs []string) ([]string, error) {
	ans, err := h.s.before(ctx, g.AppID, GroupBeforeInviteJoinGroup, inviteBody{CallbackCommand: GroupBeforeInviteJoinGroup,
		GroupId: g.ID, Type: string(g.Type), Operator_Account: by.UserID, DestinationMembers: members(userIDs), EventTime: h.s.eventTime()})
	if err := decide(ans, err); err != nil || ans == nil {
		return nil, err
	}
	return ans.RefusedMembers_Account, nil
}

type joinBody struct {
	CallbackCommand  string
	GroupId          string
	Type             string
	JoinType         string
	Operator_Account string
	NewMemberList    []member
	EventTime        int64
}

// JoinType values of Group.CallbackAfterNewMemberJoin.
const (
	joinApply   = "Apply"
	joinInvited = "Invited"
)

// AfterJoin queues Group.CallbackAfterNewMemberJoin.
func (h Groups) AfterJoin(ctx context.Context, g *im.Group, operator string, userIDs []string, invited bool) {
	how := joinApply
	if invited {
		how = joinInvited
	}
	h.s.after(ctx, g.AppID, GroupAfterNewMemberJoin, groupKey(g), job{value: &joinBody{CallbackCommand: GroupAfterNewMemberJoin,
		GroupId: g.ID, Type: string(g.Type), JoinType: how, Operator_Account: operator, NewMemberList: members(userIDs), EventTime: h.s.eventTime()}})
}

type exitBody struct {
	CallbackCommand  string
	GroupId          string
	Type             string
	ExitType         string
	Operator_Account string
	ExitMemberList   []member
	EventTime        int64
}

// ExitType values of Group.CallbackAfterMemberExit.
const (
	exitKicked = "Kicked"
	exitQuit   = "Quit"
)

// AfterLeave queues Group.CallbackAfterMemberExit.
func (h Groups) AfterLeave(ctx context.Context, g *im.Group, operator string, userIDs []string, kicked bool) {
	how := exitQuit
	if kicked {
		how = exitKicked
	}
	h.s.after(ctx, g.AppID, GroupAfterMemberExit, groupKey(g), job{value: &exitBody{CallbackCommand: GroupAfterMemberExit,
		GroupId: g.ID, Type: string(g.Type), ExitType: how, Operator_Account: operator, ExitMemberList: members(userIDs), EventTime: h.s.eventTime()}})
}

type fullBody struct {
	CallbackCommand string
	GroupId         string
	EventTime       int64
}

// AfterFull queues Group.CallbackAfterGroupFull.
func (h Groups) AfterFull(ctx context.Context, g *im.Group) {
	h.s.after(ctx, g.AppID, GroupAfterGroupFull, groupKey(g), job{value: &fullBody{CallbackCommand: GroupAfterGroupFull, GroupId: g.ID, EventTime: h.s.eventTime()}})
}

type destroyBody struct {
	CallbackCommand string
	GroupId         string
	Type            string
	Owner_Account   string
	Name            string
	MemberList      []member `json:",omitempty"`
	EventTime       int64
}

// AfterDestroy queues Group.CallbackAfterGroupDestroyed; a Community's
// has no MemberList.
func (h Groups) AfterDestroy(ctx context.Context, g *im.Group, ms []im.Member) {
	body := &destroyBody{CallbackCommand: GroupAfterGroupDestroyed, GroupId: g.ID, Type: string(g.Type), Owner_Account: g.Owner, Name: g.Name, EventTime: h.s.eventTime()}
	if g.Type != im.GroupCommunity {
		body.MemberList = []member{}
		for _, m := range ms {
			body.MemberList = append(body.MemberList, member{m.UserID})
		}
	}
	h.s.after(ctx, g.AppID, GroupAfterGroupDestroyed, groupKey(g), job{value: body})
}

// profileChange is the four profile fields the info callbacks report, each
// only when it changed.
type profileChange struct {
	Name         *string `json:",omitempty"`
	Introduction *string `json:",omitempty"`
	Notification *string `json:",omitempty"`
	FaceUrl      *string `json:",omitempty"`
}

type infoBody struct {
	CallbackCommand  string
	GroupId          string
	Type             string
	Operator_Account string
	profileChange
	EventTime int64
}

// AfterInfoChange queues Group.CallbackAfterGroupInfoChanged.
func (h Groups) AfterInfoChange(ctx context.Context, g *im.Group, ev group.GroupInfoChanged) {
	h.s.after(ctx, g.AppID, GroupAfterGroupInfoChanged, groupKey(g), job{value: &infoBody{CallbackCommand: GroupAfterGroupInfoChanged,
		GroupId: g.ID, Type: string(g.Type), Operator_Account: ev.Operator_Account,
		profileChange: profileChange{Name: ev.Name, Introduction: ev.Introduction, Notification: ev.Notification, FaceUrl: ev.FaceUrl},
		EventTime:     h.s.eventTime()}})
}

type memberFieldBody struct {
	CallbackCommand  string
	GroupId          string
	Type             string
	Operator_Account string
	Modified_Account string
	// Member_Account repeats Modified_Account: the English and older
	// vendor docs name the field so.
	Member_Account string
	Role           *string `json:",omitempty"`
	NameCard       *string `json:",omitempty"`
	EventTime      int64
}

// AfterMemberChange queues Group.CallbackAfterMemberFieldChanged.
func (h Groups) AfterMemberChange(ctx context.Context, g *im.Group, ev group.MemberInfoChanged) {
	h.s.after(ctx, g.AppID, GroupAfterMemberFieldChange, groupKey(g), job{value: &memberFieldBody{CallbackCommand: GroupAfterMemberFieldChange,
		GroupId: g.ID, Type: string(g.Type), Operator_Account: ev.Operator_Account, Modified_Account: ev.Member_Account,
		Member_Account: ev.Member_Account, Role: ev.Role, NameCard: ev.NameCard, EventTime: h.s.eventTime()}})
}

type ownerBody struct {
	CallbackCommand  string
	GroupId          string
	Type             string
	Operator_Account string
	OldOwner_Account string
	NewOwner_Account string
	EventTime        int64
}

// AfterOwnerChange queues Group.CallbackAfterChangeGroupOwner.
func (h Groups) AfterOwnerChange(ctx context.Context, g *im.Group, ev group.OwnerChanged) {
	h.s.after(ctx, g.AppID, GroupAfterChangeGroupOwner, groupKey(g), job{value: &ownerBody{CallbackCommand: GroupAfterChangeGroupOwner,
		GroupId: g.ID, Type: string(g.Type), Operator_Account: ev.Operator_Account, OldOwner_Account: ev.PreviousOwner_Account,
		NewOwner_Account: ev.Owner_Account, EventTime: h.s.eventTime()}})
}

// attrOptions are the OptionType of each attribute write.
var attrOptions = map[group.AttrOp]string{group.AttrModify: "modify", group.AttrSet: "set", group.AttrClear: "clear", group.AttrDelete: "delete"}

type attrPair struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type attrBody struct {
	CallbackCommand  string
	GroupId          string
	Type             string
	Operator_Account string
	OptionType       string
	GroupAttr        []attrPair
	EventTime        int64
}

// AfterAttrChange queues Group.CallbackAfterGroupAttrChanged.
func (h Groups) AfterAttrChange(ctx context.Context, g *im.Group, operator string, op group.AttrOp, attrs []im.Attr) {
	body := &attrBody{CallbackCommand: GroupAfterGroupAttrChanged, GroupId: g.ID, Type: string(g.Type), Operator_Account: operator,
		OptionType: attrOptions[op], GroupAttr: make([]attrPair, len(attrs)), EventTime: h.s.eventTime()}
	for i, a := range attrs {
		body.GroupAttr[i] = attrPair{a.Key, a.Value}
	}
	h.s.after(ctx, g.AppID, GroupAfterGroupAttrChanged, groupKey(g), job{value: body})
}

type topicBeforeBody struct {
	CallbackCommand  string
	Operator_Account string
	Type             string
	Name             string
}

// BeforeCreateTopic sends Group.CallbackBeforeCreateTopic (the vendor
// documents no GroupId in it).
func (h Groups) BeforeCreateTopic(ctx context.Context, by group.Operator, g *im.Group, name string) error {
	ans, err := h.s.before(ctx, g.AppID, GroupBeforeCreateTopic, topicBeforeBody{CallbackCommand: GroupBeforeCreateTopic,
		Operator_Account: by.UserID, Type: string(g.Type), Name: name})
	return decide(ans, err)
}

type topicAfterBody struct {
	CallbackCommand  string
	GroupId          string
	TopicId          string
	Operator_Account string
	Owner_Account    string
	Type             string
	Name             string
}

// AfterCreateTopic queues Group.CallbackAfterCreateTopic.
func (h Groups) AfterCreateTopic(ctx context.Context, by group.Operator, g *im.Group, t *im.Topic) {
	h.s.after(ctx, g.AppID, GroupAfterCreateTopic, groupKey(g), job{value: &topicAfterBody{CallbackCommand: GroupAfterCreateTopic,
		GroupId: g.ID, TopicId: t.ID, Operator_Account: by.UserID, Owner_Account: g.Owner, Type: string(g.Type), Name: t.Name}})
}

type topicsGoneBody struct {
	CallbackCommand string
	GroupId         string
	Type            string
	TopicIdList     []string
}

// AfterDestroyTopics queues Group.CallbackAfterTopicDestroyed.
func (h Groups) AfterDestroyTopics(ctx context.Context, g *im.Group, topicIDs []string) {
	h.s.after(ctx, g.AppID, GroupAfterTopicDestroyed, groupKey(g), job{value: &topicsGoneBody{CallbackCommand: GroupAfterTopicDestroyed,
		GroupId: g.ID, Type: string(g.Type), TopicIdList: topicIDs}})
}

type topicInfoBody struct {
	CallbackCommand  string
	GroupId          string
	Type             string
	Operator_Account string
	profileChange
	// TopicId names the topic, which the vendor's body does not (an
	// addition receivers written against the vendor ignore).
	TopicId string
}

// AfterTopicChange queues Group.CallbackAfterTopicInfoChanged.
func (h Groups) AfterTopicChange(ctx context.Context, by group.Operator, g *im.Group, topicID string, ch group.TopicChange) {
	h.s.after(ctx, g.AppID, GroupAfterTopicInfoChanged, groupKey(g), job{value: &topicInfoBody{CallbackCommand: GroupAfterTopicInfoChanged,
		GroupId: g.ID, Type: string(g.Type), Operator_Account: by.UserID,
		profileChange: profileChange{Name: ch.Name, Introduction: ch.Introduction, Notification: ch.Notification, FaceUrl: ch.FaceURL},
		TopicId:       topicID}})
}
