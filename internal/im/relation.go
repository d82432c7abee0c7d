package im

import "context"

// Friend is one entry of an owner's friend table (rest-users.md S5): the
// friend UserID and what the owner keeps about them.
type Friend struct {
	UserID     string
	AddSource  string
	AddWording string
	AddTime    int64
	Remark     string
	RemarkTime int64
	// Lists are the owner's friend lists the friend is in.
	Lists []string
	// Custom are the Tag_SNS_Custom_* fields that are set.
	Custom []TagValue
}

// Block is one entry of an owner's blocklist.
type Block struct {
	UserID string
	Time   int64 // when it was added (AddBlackTimeStamp)
}

// FriendRequest is a pending friend request: From asked To, whose
// AllowType needs confirmation. Remark, List and Both are what From asked
// for its own side and whether To should be added back.
type FriendRequest struct {
	From       string
	To         string
	AddSource  string
	AddWording string
	Remark     string
	List       string
	Both       bool
	Time       int64
}

// Pair names one direction of a relationship: Peer in Owner's friend
// table or blocklist, or a request from Owner to Peer.
type Pair struct {
	Owner string
	Peer  string
}

// OwnedFriend is a friend entry with the table it belongs to.
type OwnedFriend struct {
	Owner string
	Friend
}

// OwnedBlock is a blocklist entry with the blocklist it belongs to.
type OwnedBlock struct {
	Owner string
	Block
}

// OwnedList is a friend list with its owner.
type OwnedList struct {
	Owner string
	Name  string
}

// RelationSeqs are the versions of one owner's relationship data, each
// advanced by every change of its part: standard friend data
// (StandardSequence), custom friend data (CustomSequence), friend lists
// and the blocklist (CurrentSequence).
type RelationSeqs struct {
	Friends int64
	Custom  int64
	Lists   int64
	Blocks  int64
}

// RelationReader reads relationship data. Lists of UserIDs are in byte
// order unless said otherwise; a nil filter means everything.
type RelationReader interface {
	// Friends returns owner's friend entries for peers (all of them when
	// peers is nil), in UserID order.
	Friends(ctx context.Context, appID uint64, owner string, peers []string) ([]Friend, error)
	// FriendOwners returns the users among owners (everyone when owners
	// is nil) whose friend table holds userID.
	FriendOwners(ctx context.Context, appID uint64, userID string, owners []string) ([]string, error)
	// CountFriends returns how many friends each of owners has; owners
	// without any are absent.
	CountFriends(ctx context.Context, appID uint64, owners []string) (map[string]int, error)
	// FriendLists returns owner's friend list names in creation order.
	FriendLists(ctx context.Context, appID uint64, owner string) ([]string, error)
	// Blocks returns owner's blocklist entries for peers (all of them when
	// peers is nil), oldest first, then in UserID order.
	Blocks(ctx context.Context, appID uint64, owner string, peers []string) ([]Block, error)
	// Blockers returns the users among owners whose blocklist holds
	// userID.
	Blockers(ctx context.Context, appID uint64, userID string, owners []string) ([]string, error)
	// FriendRequests returns the pending requests from or to userID,
	// oldest first.
	FriendRequests(ctx context.Context, appID uint64, userID string) ([]FriendRequest, error)
	// RelationSeqs returns owner's versions, or ErrNotFound when owner is
	// not an account.
	RelationSeqs(ctx context.Context, appID uint64, owner string) (RelationSeqs, error)
}

// RelationWrite is a set of relationship changes applied together, with
// the events about them.
type RelationWrite struct {
	// PutFriends writes whole entries, replacing existing ones.
	PutFriends    []OwnedFriend
	DeleteFriends []Pair
	PutLists      []OwnedList
	DeleteLists   []OwnedList
	PutBlocks     []OwnedBlock
	DeleteBlocks  []Pair
	// PutRequests writes requests, replacing one of the same direction.
	PutRequests []FriendRequest
	// DeleteRequests names requests by their From (Owner) and To (Peer).
	DeleteRequests []Pair
	// Advance moves owners' versions on by the amounts given; the owners
	// are among the users UpdateRelations locks.
	Advance map[string]RelationSeqs
	// Streams are the events, committed with the changes.
	Streams []StreamWrite
}

// RelationStore persists friends, friend lists, blocklists and pending
// friend requests. Its reads run outside any transaction.
type RelationStore interface {
	RelationReader
	// BlockPairs returns the pairs (Owner blocks Peer) among pairs that
	// are blocklist entries, read outside any transaction.
	BlockPairs(ctx context.Context, appID uint64, pairs []Pair) ([]Pair, error)
	// UpdateRelations runs one read-decide-write transaction. It first
	// locks the accounts of users (in byte order, so that transactions
	// over overlapping users never deadlock), then calls decide with a
	// reader inside the transaction and the set of users that are
	// accounts, applies the write decide returns and commits its Streams,
	// and answers one result per stream write. decide must use only the
	// reader it is given; its error rolls everything back and is returned
	// as it is. A write naming a user that is not an account fails with
	// ErrNotFound; a concurrent change to the same rows may fail with
	// ErrConflict.
	UpdateRelations(ctx context.Context, appID uint64, users []string,
		decide func(r RelationReader, accounts map[string]bool) (*RelationWrite, error)) ([]StreamResult, error)
}
