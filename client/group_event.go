package client

// Group events (docs/client-protocol.md §5 "Group events"): a group's
// changes, pushed to its online members with the group's GroupID and
// EventSeq, and the join-application notices in the user's own stream
// (with a Seq). Decode one with the Event method of its type.

// Types of the group events and notices.
const (
	TypeGroupCreated           = "GroupCreated"
	TypeMemberJoined           = "MemberJoined"
	TypeMemberKicked           = "MemberKicked"
	TypeMemberQuit             = "MemberQuit"
	TypeGroupInfoChanged       = "GroupInfoChanged"
	TypeMemberInfoChanged      = "MemberInfoChanged"
	TypeMembersMuted           = "MembersMuted"
	TypeOwnerChanged           = "OwnerChanged"
	TypeAttrChanged            = "AttrChanged"
	TypeCounterChanged         = "CounterChanged"
	TypeTopicCreated           = "TopicCreated"
	TypeTopicChanged           = "TopicChanged"
	TypeTopicDeleted           = "TopicDeleted"
	TypeGroupDismissed         = "GroupDismissed"
	TypeJoinApplication        = "JoinApplication"
	TypeJoinApplicationHandled = "JoinApplicationHandled"
)

// GroupChange is what every group event carries: the group, and who made
// the change (the app's admin for the backend's REST calls).
type GroupChange struct {
	GroupID  string `json:"GroupId"`
	Operator string `json:"Operator_Account"`
}

// GroupCreated tells the initial members of a new group.
type GroupCreated struct {
	GroupChange
	GroupType string   `json:"GroupType"`
	Name      string   `json:"Name"`
	Owner     string   `json:"Owner_Account"`
	Members   []string `json:"Members_Account"`
}

// MemberJoined: users became members. JoinType is Invited (the operator
// added them) or Applied (they applied: joined at once, the operator being
// the member, or were approved by the operator).
type MemberJoined struct {
	GroupChange
	Members  []string `json:"Members_Account"`
	JoinType string   `json:"JoinType"`
}

// MemberKicked: members were removed; they receive it too.
type MemberKicked struct {
	GroupChange
	Members []string `json:"Members_Account"`
	Reason  string   `json:"Reason"`
}

// MemberQuit: a member left the group.
type MemberQuit struct {
	GroupChange
	Member string `json:"Member_Account"`
}

// GroupInfoChanged carries the profile fields that changed (nil: not
// changed) and the group's new InfoSeq.
type GroupInfoChanged struct {
	GroupChange
	InfoSeq         int64   `json:"InfoSeq"`
	Name            *string `json:"Name"`
	Introduction    *string `json:"Introduction"`
	Notification    *string `json:"Notification"`
	FaceURL         *string `json:"FaceUrl"`
	MaxMemberNum    *int    `json:"MaxMemberNum"`
	ApplyJoinOption *string `json:"ApplyJoinOption"`
	MuteAllMember   *string `json:"MuteAllMember"`
	AppDefinedData  []KV    `json:"AppDefinedData"` // the keys set; a Value of "" was deleted
}

// MemberInfoChanged carries a member's fields that changed.
type MemberInfoChanged struct {
	GroupChange
	Member               string  `json:"Member_Account"`
	Role                 *string `json:"Role"`
	NameCard             *string `json:"NameCard"`
	MsgFlag              *string `json:"MsgFlag"`
	AppMemberDefinedData []KV    `json:"AppMemberDefinedData"`
}

// MembersMuted carries mutes set or lifted (MutedUntil 0), in the group or
// in one of its topics.
type MembersMuted struct {
	GroupChange
	TopicID string `json:"TopicId"`
	Mutes   []struct {
		Member     string `json:"Member_Account"`
		MutedUntil int64  `json:"MutedUntil"`
	} `json:"MutedAccountList"`
}

// OwnerChanged names the new owner and the previous one ("" for none).
type OwnerChanged struct {
	GroupChange
	Owner         string `json:"Owner_Account"`
	PreviousOwner string `json:"PreviousOwner_Account"`
}

// AttrChanged carries the group's whole attribute set after a write.
type AttrChanged struct {
	GroupChange
	Attrs []GroupAttr `json:"GroupAttrAry"`
}

// CounterChanged carries counters' new values, or the keys deleted.
type CounterChanged struct {
	GroupChange
	Counters    []GroupCounter `json:"GroupCounter"`
	DeletedKeys []string       `json:"DeletedKeys"`
}

// TopicChanged is TopicCreated or TopicChanged: a community topic's
// profile after the change.
type TopicChanged struct {
	GroupChange
	Topic struct {
		TopicID       string `json:"TopicId"`
		TopicName     string `json:"TopicName"`
		FaceURL       string `json:"FaceUrl"`
		Notification  string `json:"Notification"`
		Introduction  string `json:"Introduction"`
		CustomString  string `json:"CustomString"`
		CreateTime    int64  `json:"CreateTime"`
		LastMsgTime   int64  `json:"LastMsgTime"`
		NextMsgSeq    int64  `json:"NextMsgSeq"`
		MuteAllMember string `json:"MuteAllMember"`
	} `json:"TopicInfo"`
}

// TopicDeleted lists the topics deleted.
type TopicDeleted struct {
	GroupChange
	TopicIDs []string `json:"TopicIdList"`
}

// GroupDismissed: the group is gone; nothing more of it arrives.
type GroupDismissed struct {
	GroupChange
}

// JoinApplication, in an owner's or admin's own stream: a user asks to
// join (ApproveApplication or RejectApplication).
type JoinApplication struct {
	GroupID   string `json:"GroupId"`
	Applicant string `json:"Applicant_Account"`
	ApplyMsg  string `json:"ApplyMsg"`
	ApplyTime int64  `json:"ApplyTime"`
}

// JoinApplicationHandled, in the applicant's and the approvers' own
// streams: Decision is Approved or Rejected.
type JoinApplicationHandled struct {
	GroupChange
	Applicant string `json:"Applicant_Account"`
	Decision  string `json:"Decision"`
	Reason    string `json:"Reason"`
}

// GroupCreated decodes a GroupCreated event; ok is false for others.
func (e Event) GroupCreated() (*GroupCreated, bool) {
	return decodeEvent[GroupCreated](e, TypeGroupCreated)
}

// MemberJoined decodes a MemberJoined event.
func (e Event) MemberJoined() (*MemberJoined, bool) {
	return decodeEvent[MemberJoined](e, TypeMemberJoined)
}

// MemberKicked decodes a MemberKicked event.
func (e Event) MemberKicked() (*MemberKicked, bool) {
	return decodeEvent[MemberKicked](e, TypeMemberKicked)
}

// MemberQuit decodes a MemberQuit event.
func (e Event) MemberQuit() (*MemberQuit, bool) { return decodeEvent[MemberQuit](e, TypeMemberQuit) }

// GroupInfoChanged decodes a GroupInfoChanged event.
func (e Event) GroupInfoChanged() (*GroupInfoChanged, bool) {
	return decodeEvent[GroupInfoChanged](e, TypeGroupInfoChanged)
}

// MemberInfoChanged decodes a MemberInfoChanged event.
func (e Event) MemberInfoChanged() (*MemberInfoChanged, bool) {
	return decodeEvent[MemberInfoChanged](e, TypeMemberInfoChanged)
}

// MembersMuted decodes a MembersMuted event.
func (e Event) MembersMuted() (*MembersMuted, bool) {
	return decodeEvent[MembersMuted](e, TypeMembersMuted)
}

// OwnerChanged decodes an OwnerChanged event.
func (e Event) OwnerChanged() (*OwnerChanged, bool) {
	return decodeEvent[OwnerChanged](e, TypeOwnerChanged)
}

// AttrChanged decodes an AttrChanged event.
func (e Event) AttrChanged() (*AttrChanged, bool) {
	return decodeEvent[AttrChanged](e, TypeAttrChanged)
}

// CounterChanged decodes a CounterChanged event.
func (e Event) CounterChanged() (*CounterChanged, bool) {
	return decodeEvent[CounterChanged](e, TypeCounterChanged)
}

// TopicChanged decodes a TopicCreated or TopicChanged event.
func (e Event) TopicChanged() (*TopicChanged, bool) {
	if e.Type == TypeTopicCreated {
		return decodeEvent[TopicChanged](e, TypeTopicCreated)
	}
	return decodeEvent[TopicChanged](e, TypeTopicChanged)
}

// TopicDeleted decodes a TopicDeleted event.
func (e Event) TopicDeleted() (*TopicDeleted, bool) {
	return decodeEvent[TopicDeleted](e, TypeTopicDeleted)
}

// GroupDismissed decodes a GroupDismissed event.
func (e Event) GroupDismissed() (*GroupDismissed, bool) {
	return decodeEvent[GroupDismissed](e, TypeGroupDismissed)
}

// JoinApplication decodes a JoinApplication notice.
func (e Event) JoinApplication() (*JoinApplication, bool) {
	return decodeEvent[JoinApplication](e, TypeJoinApplication)
}

// JoinApplicationHandled decodes a JoinApplicationHandled notice.
func (e Event) JoinApplicationHandled() (*JoinApplicationHandled, bool) {
	return decodeEvent[JoinApplicationHandled](e, TypeJoinApplicationHandled)
}
