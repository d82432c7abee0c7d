package group

import "github.com/chatd/chatd/internal/im"

// Types of the group events (docs/client-protocol.md, Group events).
const (
	EventGroupCreated      = "GroupCreated"
	EventMemberJoined      = "MemberJoined"
	EventMemberKicked      = "MemberKicked"
	EventMemberQuit        = "MemberQuit"
	EventGroupInfoChanged  = "GroupInfoChanged"
	EventMemberInfoChanged = "MemberInfoChanged"
	EventMembersMuted      = "MembersMuted"
	EventOwnerChanged      = "OwnerChanged"
	EventAttrChanged       = "AttrChanged"
	EventCounterChanged    = "CounterChanged"
	EventTopicCreated      = "TopicCreated"
	EventTopicChanged      = "TopicChanged"
	EventTopicDeleted      = "TopicDeleted"
	EventGroupDismissed    = "GroupDismissed"

	// Notices in users' own streams about join applications.
	EventJoinApplication        = "JoinApplication"
	EventJoinApplicationHandled = "JoinApplicationHandled"
)

// How members joined (MemberJoined's JoinType).
const (
	// JoinInvited: the operator added them (an invitation, add_group_member).
	JoinInvited = "Invited"
	// JoinApplied: they applied, and joined at once (FreeAccess; the
	// operator is the member) or were approved (the operator approved).
	JoinApplied = "Applied"
)

// Decisions on a join application.
const (
	DecisionApproved = "Approved"
	DecisionRejected = "Rejected"
)

// The event payloads. Field names are the REST API's, so a client reads
// the same vocabulary in replies and pushes. Operator_Account is who made
// the change: the calling admin for REST calls.

// GroupCreated goes to the initial members of a new group.
type GroupCreated struct {
	Type             string
	GroupId          string
	Operator_Account string
	GroupType        string
	Name             string
	Owner_Account    string
	Members_Account  []string
}

// MemberJoined tells the group (new members included) who joined, and how.
type MemberJoined struct {
	Type             string
	GroupId          string
	Operator_Account string
	Members_Account  []string
	JoinType         string
}

// MemberQuit tells the group, and the member, that a member left it.
type MemberQuit struct {
	Type             string
	GroupId          string
	Operator_Account string
	Member_Account   string
}

// JoinApplication tells a group's owner and admins that a user asks to
// join; they approve or reject it from a client.
type JoinApplication struct {
	Type              string
	GroupId           string
	Applicant_Account string
	ApplyMsg          string
	ApplyTime         int64
}

// JoinApplicationHandled tells the applicant and the group's approvers
// how an application was decided, and by whom.
type JoinApplicationHandled struct {
	Type              string
	GroupId           string
	Operator_Account  string
	Applicant_Account string
	Decision          string
	Reason            string `json:",omitempty"`
}

// MemberKicked tells the group and the removed members who was removed.
type MemberKicked struct {
	Type             string
	GroupId          string
	Operator_Account string
	Members_Account  []string
	Reason           string `json:",omitempty"`
}

// GroupInfoChanged carries the profile fields that changed, the group's
// new InfoSeq, and the custom fields set (a Value of "" was deleted).
type GroupInfoChanged struct {
	Type             string
	GroupId          string
	Operator_Account string
	InfoSeq          int64
	Name             *string `json:",omitempty"`
	Introduction     *string `json:",omitempty"`
	Notification     *string `json:",omitempty"`
	FaceUrl          *string `json:",omitempty"`
	MaxMemberNum     *int    `json:",omitempty"`
	ApplyJoinOption  *string `json:",omitempty"`
	MuteAllMember    *string `json:",omitempty"`
	AppDefinedData   []im.KV `json:",omitempty"`
}

// MemberInfoChanged carries the member fields that changed.
type MemberInfoChanged struct {
	Type                 string
	GroupId              string
	Operator_Account     string
	Member_Account       string
	Role                 *string `json:",omitempty"`
	NameCard             *string `json:",omitempty"`
	MsgFlag              *string `json:",omitempty"`
	AppMemberDefinedData []im.KV `json:",omitempty"`
}

// MutedAccount is one user's new mute end; 0 means unmuted.
type MutedAccount struct {
	Member_Account string
	MutedUntil     int64
}

// MembersMuted carries mutes set or lifted, group-wide or in one topic.
type MembersMuted struct {
	Type             string
	GroupId          string
	TopicId          string `json:",omitempty"`
	Operator_Account string
	MutedAccountList []MutedAccount
}

// OwnerChanged names the new owner and the previous one ("" for none).
type OwnerChanged struct {
	Type                  string
	GroupId               string
	Operator_Account      string
	Owner_Account         string
	PreviousOwner_Account string
}

// AttrChanged carries the whole attribute set after the change.
type AttrChanged struct {
	Type             string
	GroupId          string
	Operator_Account string
	GroupAttrAry     []im.Attr
}

// CounterValue is one counter in an event.
type CounterValue struct {
	Key   string
	Value int64
}

// CounterChanged carries the counters' new values, or the keys deleted.
type CounterChanged struct {
	Type             string
	GroupId          string
	Operator_Account string
	GroupCounter     []CounterValue `json:",omitempty"`
	DeletedKeys      []string       `json:",omitempty"`
}

// TopicInfo is a topic's profile as events and get_topic carry it.
type TopicInfo struct {
	TopicId       string
	GroupID       string
	TopicName     string
	FaceUrl       string
	Notification  string
	Introduction  string
	CustomString  string
	CreateTime    int64
	LastMsgTime   int64
	NextMsgSeq    int64
	MuteAllMember string
}

// NewTopicInfo converts a stored topic.
func NewTopicInfo(t *im.Topic) TopicInfo {
	return TopicInfo{
		TopicId: t.ID, GroupID: t.GroupID, TopicName: t.Name, FaceUrl: t.FaceURL, Notification: t.Notification,
		Introduction: t.Introduction, CustomString: t.CustomString, CreateTime: t.CreateTime,
		LastMsgTime: t.LastMsgTime, NextMsgSeq: t.NextMsgSeq, MuteAllMember: OnOff(t.MuteAllMember),
	}
}

// TopicEvent is TopicCreated or TopicChanged, with the topic's profile
// after the change.
type TopicEvent struct {
	Type             string
	GroupId          string
	Operator_Account string
	TopicInfo        TopicInfo
}

// TopicDeleted lists the topics deleted.
type TopicDeleted struct {
	Type             string
	GroupId          string
	Operator_Account string
	TopicIdList      []string
}

// GroupDismissed tells every member the group is gone.
type GroupDismissed struct {
	Type             string
	GroupId          string
	Operator_Account string
}

// OnOff is the wire form of a mute-all switch.
func OnOff(b bool) string {
	if b {
		return "On"
	}
	return "Off"
}

// ParseOnOff reads an On/Off switch (MuteAllMember); nil stays nil.
// Anything else is 10004.
func ParseOnOff(field string, v *string) (*bool, error) {
	if v == nil {
		return nil, nil
	}
	switch *v {
	case "On":
		return new(true), nil
	case "Off":
		return new(false), nil
	}
	return nil, im.Errorf(im.CodeGroupBadParam, "%s must be On or Off, got %q", field, *v)
}
