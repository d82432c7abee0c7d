package im

import "context"

// Conversation types (rest-messages.md S8, ContactItem.Type).
const (
	ConvC2C   = 1
	ConvGroup = 2
)

// ConvKey names one of a user's conversations: a peer UserID (ConvC2C)
// or a GroupId (ConvGroup).
type ConvKey struct {
	Type int
	Peer string
}

// Conversation is one entry of a user's recent-conversation list.
//
// One-to-one conversations are rows kept by traffic: every stored message
// upserts the rows of its two sides (time, last message, the recipient's
// unread count) in the transaction that stores it. A group conversation is
// derived from the membership: the group's head (its last MsgSeq and
// message time) and the member's read position (the member's MsgSeq), so
// a group message writes no row per member.
type Conversation struct {
	ConvKey
	// MsgTime is the time of the latest message (0: none yet, an "empty"
	// conversation).
	MsgTime int64
	Pinned  bool
	// Unread is the owner's unread count; always 0 in AVChatRoom and
	// Meeting groups.
	Unread int64
	// LastMsgKey and LastFrom name the latest one-to-one message (its
	// MsgKey and sender); LastSeq is a group's latest MsgSeq.
	LastMsgKey string
	LastFrom   string
	LastSeq    int64
}

// ConvCursor is a position in a time-ordered list of conversations: the
// time of the last conversation returned and how many of those with that
// same time were returned. The zero cursor is the start.
type ConvCursor struct {
	Time  int64
	Index int
}

// ConvListQuery selects one source of a conversation list page.
type ConvListQuery struct {
	AppID uint64
	Owner string
	// After is where the page starts; Limit bounds what is returned.
	After ConvCursor
	Limit int
	// WithEmpty includes conversations without messages.
	WithEmpty bool
	// WithPinned includes pinned conversations in the ordinary list (when
	// the caller does not page them separately).
	WithPinned bool
}

// ContactGroup is one of a user's named conversation groups.
type ContactGroup struct {
	ID   int64
	Name string
}

// ContactData is the group and mark data of one conversation
// (search_contact_group, get_contact_group).
type ContactData struct {
	ConvKey
	StandardMark uint64
	CustomMark   string
	Groups       []int64 // conversation group IDs, ascending
	Time         int64   // last change
}

// ContactMark is one change of mark_contact.
type ContactMark struct {
	ConvKey
	Set, Clear uint64  // standard mark bits to set and to clear
	Custom     *string // the new custom mark; nil keeps it
}

// ContactGroupChange is one membership change of a conversation group.
type ContactGroupChange struct {
	ConvKey
	Add bool // false removes
}

// Limits of conversation group and mark data (rest-messages.md S8).
const (
	MaxContactData    = 1000
	MaxContactGroups  = 20
	MaxContactNameLen = 32
	MaxCustomMarkLen  = 256
)

// ConversationStore keeps conversations (the one-to-one rows, pins and
// deletions), conversation groups and marks.
type ConversationStore interface {
	// ListPinnedConversations returns the owner's pinned conversations
	// (groups they are still members of), newest first.
	ListPinnedConversations(ctx context.Context, appID uint64, owner string, withEmpty bool) ([]Conversation, error)
	// ListConversations returns up to q.Limit conversations of one type
	// that are not deleted, with MsgTime <= q.After.Time when the cursor
	// is set, newest first (then by type and peer), including those at the
	// cursor's time that q.After.Index skips: the caller skips them.
	ListConversations(ctx context.Context, q ConvListQuery, convType int) ([]Conversation, error)
	// GetConversation returns one conversation, ErrNotFound when the
	// owner has no such conversation (no messages, not pinned; or not a
	// member of the group).
	GetConversation(ctx context.Context, appID uint64, owner string, key ConvKey) (Conversation, error)
	// PinConversation pins or unpins a conversation; pinning one beyond
	// maxPinned returns an *Error with CodeConvTooManyPinned.
	PinConversation(ctx context.Context, appID uint64, owner string, key ConvKey, pinned bool, maxPinned int) error
	// DeleteConversation removes a conversation from the owner's list and
	// clears its unread count; clearHistory also hides the owner's copy
	// of a one-to-one history.
	DeleteConversation(ctx context.Context, appID uint64, owner string, key ConvKey, clearHistory bool) error
	// SetGroupUnread sets a member's unread count of a group by moving the
	// member's read position (a count over the group's messages is
	// clamped). It returns ErrNotFound for a missing membership.
	SetGroupUnread(ctx context.Context, appID uint64, groupID, userID string, unread int64) error
	// ListC2CUnread returns the peers of the owner's one-to-one
	// conversations with unread messages and their counts.
	ListC2CUnread(ctx context.Context, appID uint64, owner string) (map[string]int64, error)

	// CreateContactGroup creates a named conversation group holding keys;
	// ErrConflict when the name is taken; *Error 51010, 51008 over the
	// limits.
	CreateContactGroup(ctx context.Context, appID uint64, owner, name string, keys []ConvKey, now int64) (int64, error)
	// UpdateContactGroup renames the group (newName != "") and applies
	// changes; ErrNotFound (51009) for an unknown group.
	UpdateContactGroup(ctx context.Context, appID uint64, owner, name, newName string, changes []ContactGroupChange, now int64) (int64, error)
	// DeleteContactGroup deletes a group and returns its ID; ErrNotFound
	// for an unknown name.
	DeleteContactGroup(ctx context.Context, appID uint64, owner, name string, now int64) (int64, error)
	// MarkContacts applies mark changes; *Error 51008 over the limit.
	MarkContacts(ctx context.Context, appID uint64, owner string, marks []ContactMark, now int64) error
	// ContactData returns the data of the given conversations (those with
	// any) or, with keys nil, a page of all of them from offset start, and
	// the owner's groups. next is -1 when the page is the last.
	ContactData(ctx context.Context, appID uint64, owner string, keys []ConvKey, start, limit int) (data []ContactData, groups []ContactGroup, next int, err error)
}
