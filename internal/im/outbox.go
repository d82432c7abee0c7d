package im

import "context"

// Callback is one after callback in the durable outbox (webhooks.md,
// "go beyond the vendor" in docs/webhooks.md): written in the transaction
// of the action it reports, or before the action is answered, and deleted
// once it is sent (or finally given up). Request is the sender's own
// encoding of the request; the store does not read it.
type Callback struct {
	// Key is the callback's idempotency key, unique in the cluster; a
	// receiver sees it again only when the callback is sent again.
	Key string
	// Owner is the node that sends it: the node that wrote it, or the one
	// that took it over from a dead node.
	Owner string
	// Seq orders one owner's callbacks: they are sent in Seq order.
	Seq   int64
	AppID uint64
	// Lane is the order key (a conversation, a group, a user).
	Lane    string
	Request []byte
	// MsgSeq and MsgTime are what the transaction assigned to the group
	// message the callback reports (0 otherwise); the store fills them
	// from the write's result, the sender puts them into the body.
	MsgSeq, MsgTime int64
	// UnreadOf names the user whose unread one-to-one total the body
	// reports (UnreadMsgNum of C2C.CallbackAfterSendMsg); a commit through
	// the streams may count it as it leaves it (StreamResult.Unread), so
	// the sender reads nothing. Not stored: the request names the user too.
	UnreadOf string
}

// OutboxStore persists the after callbacks not sent yet, and the leases
// that tell which nodes are alive to send theirs.
type OutboxStore interface {
	// AppendCallbacks stores callbacks, in one transaction.
	AppendCallbacks(ctx context.Context, cbs []Callback) error
	// DeleteCallbacks deletes callbacks by key; unknown keys are ignored.
	DeleteCallbacks(ctx context.Context, keys []string) error
	// RenewOutboxLease records that node is alive until the Unix
	// millisecond until.
	RenewOutboxLease(ctx context.Context, node string, until int64) error
	// ReleaseOutboxLease forgets node's lease (it stopped cleanly).
	ReleaseOutboxLease(ctx context.Context, node string) error
	// TakeOverCallbacks gives node the callbacks of every other owner
	// without a lease valid at now (Unix milliseconds), forgets the
	// expired leases, and returns the callbacks taken, in Seq order.
	TakeOverCallbacks(ctx context.Context, node string, now int64) ([]Callback, error)
}
