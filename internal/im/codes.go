package im

// The wire codes chatd emits, named once. Values and meanings come from
// ../shared/spec (overview.md §5 for public codes, rest-*.md for private ones).
const (
	// REST layer (overview.md §5.1).
	CodeHTTPParse       = 60002 // URL/query unparsable, bad method, oversized body
	CodeBodyNotJSON     = 60003 // body empty or not valid JSON
	CodeBadSDKAppID     = 60006 // sdkappid not a number or not hosted here
	CodeAPIRateLimit    = 60007 // per-API rate exceeded
	CodeUnknownPath     = 60009 // not a known v4 route
	CodeNeedAdmin       = 60010 // identifier is not an app admin
	CodeAppRateLimit    = 60011 // app-wide rate exceeded
	CodeMissingSDKAppID = 60012 // sdkappid absent
	CodeAccountNotStr   = 60015 // an account field in the body is not a string
	CodeCommandDisabled = 60017 // API switched off for the app
	CodeBadURLParam     = 60025 // identifier/usersig missing, contenttype not json

	// UserSig (overview.md §4.9, §5.2).
	CodeSigExpired       = 70001
	CodeSigInvalid       = 70003
	CodeSigMismatch      = 70009
	CodeSigIdentifier    = 70013
	CodeSigSDKAppID      = 70014
	CodeSigInvalidated   = 70052
	CodeAccountNotFound  = 70107
	CodeAccountCap       = 70398
	CodeAccountCooldown  = 70399
	CodeAccountBadParam  = 70402
	CodeAccountInternal  = 70500
	CodeAccountDeleteOff = 71000

	// Profile (used by account import for nick/avatar limits).
	CodeProfileValueTooLong = 40601
	CodeProfileBadParam     = 40001
	CodeProfileNoTarget     = 40002 // portrait_get names no account
	CodeProfileNotFound     = 40003 // the account is not imported
	CodeProfileInternal     = 40006
	CodeProfileNoRead       = 40007 // the caller may not read the tag
	CodeProfileNoWrite      = 40008 // the caller may not write the tag
	CodeProfileUnknownTag   = 40009 // not a standard tag, nor a declared custom one
	CodeProfileBadValue     = 40605 // a value a standard field does not take
	CodeProfileValueType    = 40610 // a value of the wrong JSON kind

	// Relationships (rest-users.md, Friend management, Friend lists,
	// Blocklist; overview.md §5.4).
	CodeSNSBadParam        = 30001 // also: already a friend, not a friend, already blocked
	CodeSNSAccountNotFound = 30003
	CodeSNSInternal        = 30006
	CodeSNSConflict        = 30008 // a concurrent write to the same relationship data
	CodeSNSForbidSendOut   = 30009 // AdminForbid_Type_SendOut: may not send friend requests
	CodeSNSFriendLimit     = 30010 // the owner has 3,000 friends
	CodeSNSListLimit       = 30011 // the owner has 32 friend lists
	CodeSNSRequestLimit    = 30012 // 100 pending friend requests
	CodeSNSBlockLimit      = 30013 // the blocklist holds 1,000 users
	CodeSNSPeerFriendLimit = 30014 // the other side has 3,000 friends
	CodeSNSPeerBlocked     = 30515 // the target is on the requester's blocklist
	CodeSNSDenyAny         = 30516 // the target takes no friend requests
	CodeSNSBlockedByPeer   = 30525 // the requester is on the target's blocklist
	CodeSNSPending         = 30539 // a request awaits the target's confirmation
	CodeSNSNoRequest       = 30614 // no pending request to answer
	CodeSNSNotFriend       = 31704 // friend_delete: not a friend
	CodeSNSPolicyBlocked   = 30540 // a friend request refused by policy (a failed callback, fail-closed)

	// Groups (rest-groups.md S1 and per-endpoint tables).
	CodeGroupInternal        = 10002
	CodeGroupUnknownCommand  = 10003
	CodeGroupBadParam        = 10004
	CodeGroupTooMany         = 10005
	CodeGroupRateLimit       = 10006
	CodeGroupNotAllowed      = 10007
	CodeGroupNotFound        = 10010
	CodeGroupAccountNotFound = 10019 // an account named in the request is not imported
	CodeGroupAlreadyMember   = 10013
	CodeGroupFull            = 10014
	CodeGroupInvalidID       = 10015
	CodeGroupIDTaken         = 10021
	CodeGroupIDTakenByOwner  = 10025
	CodeGroupAVCount         = 10036
	CodeGroupJoinLimit       = 10037
	CodeGroupMemberLimit     = 10038
	CodeGroupSenderMuted     = 10017 // the sender is muted in the group
	CodeGroupTooManyAts      = 10053 // more than 30 @-mentions in one message
	CodeGroupReplyTooLarge   = 10018 // the reply would exceed 1 MB
	CodeGroupCommandOff      = 10026 // the command is switched off for the app
	CodeAttrKeyTooLong       = 10045 // a group attribute key over 32 bytes
	CodeAttrValueTooLong     = 10046 // a group attribute value over 4,000 bytes
	CodeAttrTooManyKeys      = 10047 // more than 16 group attribute keys
	CodeAttrTooLarge         = 10048 // group attribute values over 16,000 bytes in total
	CodeAttrRateLimit        = 10049 // more than 5 attribute writes per second on a group
	CodeAttrKeyNotFound      = 10050 // deleting a group attribute that does not exist
	CodeCounterUnavailable   = 10059 // group counters switched off for the app
	CodeCounterTooManyKeys   = 10063 // more than 20 group counter keys
	CodeTopicsUnavailable    = 11000 // not a topic-enabled community, or topics switched off
	CodeTopicDeleteFailed    = 110002
	CodeTopicNotFound        = 110003 // the topic does not exist (was deleted)
	CodeTopicInvalidID       = 110013
	CodeGroupOwnerCannotQuit = 10009 // the owner quitting a group type whose owner may not
	CodeGroupRequestHandled  = 10024 // the join application was handled already, or never made
	CodeGroupCallbackRefused = 10016 // refused by the app's before callback (webhooks.md)

	// Group messages (rest-messages.md, group endpoints).
	CodeGroupMsgImportTooLong = 10020 // import_group_msg content over 12 KB
	CodeGroupMsgRateLimit     = 10023 // the group's messages per second
	CodeGroupMsgNotFound      = 10030 // recall: no such message
	CodeGroupMsgTooOld        = 10031 // recall: outside the allowed time
	CodeGroupMsgNoRecall      = 10032 // recall: this message cannot be
	CodeGroupNoRecall         = 10033 // recall: not for this group type
	CodeGroupRecallOff        = 10041 // recall switched off for the app
	CodeGroupNoReceipt        = 10062 // no read-receipt record

	// One-to-one messages (rest-messages.md, openim endpoints).
	CodeC2CBadRequest     = 20001
	CodeC2CAccount        = 20003 // sender or recipient not imported
	CodeC2CInternal       = 20005
	CodeC2CMsgNotFound    = 20022 // recall: no such message
	CodeC2CMsgRecalled    = 20023 // recall: recalled already
	CodeMsgBodyNotJSON    = 90001
	CodeMsgBodyInvalid    = 90002 // MsgBody malformed
	CodeMsgToAccount      = 90003 // To_Account / the peer missing or not a string
	CodeMsgSeqInvalid     = 90004
	CodeMsgRandomInvalid  = 90005 // MsgRandom missing or not an integer
	CodeMsgTimeInvalid    = 90006 // MsgTimeStamp missing or not an integer
	CodeMsgBodyNotArray   = 90007
	CodeMsgFromAccount    = 90008 // From_Account / the operator missing or unknown
	CodeMsgTooManyTo      = 90011 // more than 500 recipients
	CodeMsgToNotFound     = 90012 // To_Account not imported
	CodeMsgLifeTime       = 90026 // MsgLifeTime cannot be interpreted
	CodeMsgSyncFromOld    = 90030 // SyncFromOldSystem missing or not an integer
	CodeMsgSyncOther      = 90031 // SyncOtherMachine not an integer
	CodeMsgLifeTimeType   = 90044 // MsgLifeTime not an integer
	CodeMsgKeyInvalid     = 90054
	CodeMsgInternal       = 91000
	CodeMsgRequestTooLong = 93000 // one-to-one request body over 12 KB
	CodeC2CRecallTooLate  = 20016 // a client's recall after the recall window
	CodeMsgTooManyPeers   = 90018 // more accounts asked for than allowed
	CodeMsgBatchToNoArray = 90028 // batchsendmsg To_Account not an array
	CodeMsgBatchToEmpty   = 90029 // batchsendmsg To_Account empty
	CodeMsgPushInfo       = 90043 // OfflinePushInfo malformed
	CodeMsgBatchQuota     = 90057 // batchsendmsg over its recipients per minute
	CodeC2CBlocked        = 20007 // the sender is on the recipient's blocklist
	CodeC2CSenderMuted    = 20012 // the sender is globally muted (setnospeaking)
	CodeC2CRefused        = 20006 // refused by the app's before-send callback (webhooks.md)

	// Message extensions (rest-messages.md S9).
	CodeExtNotAvailable = 10008
	CodeExtSeqConflict  = 23001
	CodeExtNotSupported = 23002 // the message was not sent with SupportMessageExtension 1
	CodeExtRateLimit    = 23003
	CodeExtMsgNotFound  = 23004
	CodeExtBadParam     = 10004 // the extension commands' invalid parameter
	CodeExtInternal     = 10002 // and internal error

	// Content (overview.md §5.3).
	CodeMsgTooLong = 80002 // message content over 12 KB
	// CodeCallbackFailed: a before-send callback failed and the app's
	// policy refuses the message (webhooks.md, fail-closed).
	CodeCallbackFailed = 80003

	// Operations (rest-users.md, Operations management; overview.md §5.4
	// "Operations statistics download").
	CodeStatsBadRequest = 130001 // getappinfo: the request cannot be used
	CodeStatsQuery      = 130011 // getappinfo: the statistics query failed
	CodeOpsBadRequest   = 1001   // illegal request (get_history)
	CodeOpsInternal     = 1003   // system error (get_history, GetIPList)
	CodeArchiveNotReady = 1004   // no archive for the hour (not made yet, or no messages)
	CodeArchiveExpired  = 1005   // the hour's archive is past its 7 days
	CodeRobotInvalid    = 10008  // chatbots: invalid request, bot limit reached
	CodeRobotInternal   = 10002  // chatbots: internal error
	CodePushBadElem     = 90010  // an im_push element breaks the element format
	CodePushTagTooLong  = 90020  // a tag over 50 bytes
	CodePushTagTwice    = 90022  // the same tag in TagsAnd and TagsOr
	CodePushTooSoon     = 90024  // a push less than 1 s after the last one
	CodePushTooManyTags = 90032  // over 10 tags in a condition or per user in a request; over 100 held
	CodePushBadAttr     = 90033  // an attribute not named by the app, or its value over 50 bytes
	CodePushMixedCond   = 90039  // attribute and tag conditions together
	CodePushEmptyTag    = 90040  // an empty tag
	CodePushDisabled    = 90045  // push to all users switched off for the app
	CodePushDailyQuota  = 90047  // the app's pushes of the day are used up
)

// Conversations (rest-messages.md S8): the recentcontact commands and the
// conversation-group and mark data.
const (
	CodeConvNoAccount     = 50001 // the UserID in the request has not been imported
	CodeConvBadParam      = 50002 // invalid request parameter
	CodeConvNeedAdmin     = 50003 // caller is not an app admin
	CodeConvInternal      = 50004 // internal error; retry
	CodeConvMarkCount     = 51006 // a mark update names zero conversations or more than 100
	CodeConvGroupGone     = 51007 // a group conversation's group cannot be resolved
	CodeConvTooManyData   = 51008 // over 1,000 conversations with group or mark data
	CodeConvNoSuchGroup   = 51009 // the conversation group does not exist
	CodeConvTooManyGroups = 51010 // over 20 conversation groups
	CodeConvGroupName     = 51011 // a conversation group name over 32 bytes
	CodeConvTooManyPinned = 51012 // too many pinned conversations
)
