package webhook

// The callback command words of webhooks.md, one constant each.
const (
	AlertRequestOverLimit = "Alert.RequestOverLimit"
	StateChange           = "State.StateChange"

	ProfilePortraitSet = "Profile.CallbackPortraitSet"

	SnsPrevFriendAdd      = "Sns.CallbackPrevFriendAdd"
	SnsPrevFriendResponse = "Sns.CallbackPrevFriendResponse"
	SnsFriendAdd          = "Sns.CallbackFriendAdd"
	SnsFriendDelete       = "Sns.CallbackFriendDelete"
	SnsBlackListAdd       = "Sns.CallbackBlackListAdd"
	SnsBlackListDelete    = "Sns.CallbackBlackListDelete"

	C2CBeforeSendMsg    = "C2C.CallbackBeforeSendMsg"
	C2CAfterSendMsg     = "C2C.CallbackAfterSendMsg"
	C2CAfterMsgReport   = "C2C.CallbackAfterMsgReport"
	C2CAfterMsgWithDraw = "C2C.CallbackAfterMsgWithDraw"

	GroupBeforeCreateGroup      = "Group.CallbackBeforeCreateGroup"
	GroupAfterCreateGroup       = "Group.CallbackAfterCreateGroup"
	GroupBeforeApplyJoinGroup   = "Group.CallbackBeforeApplyJoinGroup"
	GroupBeforeInviteJoinGroup  = "Group.CallbackBeforeInviteJoinGroup"
	GroupAfterNewMemberJoin     = "Group.CallbackAfterNewMemberJoin"
	GroupAfterMemberExit        = "Group.CallbackAfterMemberExit"
	GroupBeforeSendMsg          = "Group.CallbackBeforeSendMsg"
	GroupAfterSendMsg           = "Group.CallbackAfterSendMsg"
	GroupAfterGroupFull         = "Group.CallbackAfterGroupFull"
	GroupAfterGroupDestroyed    = "Group.CallbackAfterGroupDestroyed"
	GroupAfterGroupInfoChanged  = "Group.CallbackAfterGroupInfoChanged"
	GroupAfterRecallMsg         = "Group.CallbackAfterRecallMsg"
	GroupOnMemberStateChange    = "Group.CallbackOnMemberStateChange"
	GroupSendMsgException       = "Group.CallbackSendMsgException"
	GroupBeforeCreateTopic      = "Group.CallbackBeforeCreateTopic"
	GroupAfterCreateTopic       = "Group.CallbackAfterCreateTopic"
	GroupAfterTopicDestroyed    = "Group.CallbackAfterTopicDestroyed"
	GroupAfterTopicInfoChanged  = "Group.CallbackAfterTopicInfoChanged"
	GroupAfterMemberFieldChange = "Group.CallbackAfterMemberFieldChanged"
	GroupAfterGroupAttrChanged  = "Group.CallbackAfterGroupAttrChanged"
	GroupAfterReadReceipt       = "Group.CallbackAfterReadReceipt"
	GroupAfterChangeGroupOwner  = "Group.CallbackAfterChangeGroupOwner"

	ChatbotOnC2CSignalMessage = "Chatbot.OnC2CSignalMessage"
)

// Commands are the 36 command words chatd sends, in the order of the
// spec's table; before marks the callbacks whose answer decides. A config
// naming anything else is refused at start-up.
var Commands = []struct {
	Name   string
	Before bool
}{
	{AlertRequestOverLimit, false},
	{StateChange, false},
	{ProfilePortraitSet, false},
	{SnsPrevFriendAdd, true},
	{SnsPrevFriendResponse, true},
	{SnsFriendAdd, false},
	{SnsFriendDelete, false},
	{SnsBlackListAdd, false},
	{SnsBlackListDelete, false},
	{C2CBeforeSendMsg, true},
	{C2CAfterSendMsg, false},
	{C2CAfterMsgReport, false},
	{C2CAfterMsgWithDraw, false},
	{GroupBeforeCreateGroup, true},
	{GroupAfterCreateGroup, false},
	{GroupBeforeApplyJoinGroup, true},
	{GroupBeforeInviteJoinGroup, true},
	{GroupAfterNewMemberJoin, false},
	{GroupAfterMemberExit, false},
	{GroupBeforeSendMsg, true},
	{GroupAfterSendMsg, false},
	{GroupAfterGroupFull, false},
	{GroupAfterGroupDestroyed, false},
	{GroupAfterGroupInfoChanged, false},
	{GroupAfterRecallMsg, false},
	{GroupOnMemberStateChange, false},
	{GroupSendMsgException, false},
	{GroupBeforeCreateTopic, true},
	{GroupAfterCreateTopic, false},
	{GroupAfterTopicDestroyed, false},
	{GroupAfterTopicInfoChanged, false},
	{GroupAfterMemberFieldChange, false},
	{GroupAfterGroupAttrChanged, false},
	{GroupAfterReadReceipt, false},
	{GroupAfterChangeGroupOwner, false},
	{ChatbotOnC2CSignalMessage, true},
}

// known reports whether name is one of Commands.
func known(name string) bool {
	for _, c := range Commands {
		if c.Name == name {
			return true
		}
	}
	return false
}
