package relation

import (
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// Event types of the relationship chain in users' streams
// (docs/client-protocol.md, Relationship events).
const (
	// TypeFriendAdded: To_Account entered From_Account's friend table;
	// From_Account receives it.
	TypeFriendAdded = "FriendAdded"
	// TypeFriendDeleted: To_Account left From_Account's friend table;
	// From_Account receives it.
	TypeFriendDeleted = "FriendDeleted"
	// TypeFriendUpdated: the owner changed what they keep about friends.
	TypeFriendUpdated = "FriendUpdated"
	// TypeFriendRequest: a request awaits To_Account's answer; both
	// receive it.
	TypeFriendRequest = "FriendRequest"
	// TypeFriendRequestAccepted and TypeFriendRequestRejected: the target
	// answered; both receive it.
	TypeFriendRequestAccepted = "FriendRequestAccepted"
	TypeFriendRequestRejected = "FriendRequestRejected"
	// TypeFriendListsAdded and TypeFriendListsDeleted: the owner's friend
	// lists changed.
	TypeFriendListsAdded   = "FriendListsAdded"
	TypeFriendListsDeleted = "FriendListsDeleted"
	// TypeBlocklistAdded and TypeBlocklistDeleted: the owner's blocklist
	// changed.
	TypeBlocklistAdded   = "BlocklistAdded"
	TypeBlocklistDeleted = "BlocklistDeleted"
)

// PairItem is one direction of a friendship: To in From's table.
type PairItem struct {
	From string `json:"From_Account"`
	To   string `json:"To_Account"`
}

// PairsEvent is FriendAdded or FriendDeleted: the entries of the
// receiving user's table one call changed, as in the webhooks' PairList.
type PairsEvent struct {
	Type     string     `json:"Type"`
	PairList []PairItem `json:"PairList"`
}

// change collects what one call decides: the rows to write, the versions
// to advance and the events each user gets, in the order they happened.
type change struct {
	w       im.RelationWrite
	advance map[string]im.RelationSeqs
	events  map[string][]any
	users   []string // recipients in the order they first got an event
}

func newChange() *change {
	return &change{advance: map[string]im.RelationSeqs{}, events: map[string][]any{}}
}

// touch marks parts of an owner's data changed: each version moves on by
// one per call, however many entries changed.
func (c *change) touch(ownerID string, parts im.RelationSeqs) {
	a := c.advance[ownerID]
	a.Friends, a.Custom = max(a.Friends, parts.Friends), max(a.Custom, parts.Custom)
	a.Lists, a.Blocks = max(a.Lists, parts.Lists), max(a.Blocks, parts.Blocks)
	c.advance[ownerID] = a
}

// friendParts are the versions an entry's presence or absence moves.
func friendParts(f im.Friend) im.RelationSeqs {
	p := im.RelationSeqs{Friends: 1}
	if len(f.Custom) > 0 {
		p.Custom = 1
	}
	if len(f.Lists) > 0 {
		p.Lists = 1
	}
	return p
}

// putFriend writes an entry of ownerID's table without telling anyone:
// the caller announces it.
func (c *change) putFriend(ownerID string, f im.Friend, parts im.RelationSeqs) {
	c.w.PutFriends = append(c.w.PutFriends, im.OwnedFriend{Owner: ownerID, Friend: f})
	c.touch(ownerID, parts)
}

// addFriend writes a new entry and announces it to the owner.
func (c *change) addFriend(ownerID string, f im.Friend) {
	c.putFriend(ownerID, f, friendParts(f))
	c.pair(TypeFriendAdded, ownerID, f.UserID)
}

// deleteFriend removes an entry and announces it to the owner.
func (c *change) deleteFriend(ownerID string, f im.Friend) {
	c.dropFriend(ownerID, f.UserID, friendParts(f))
}

// dropFriend removes peer from ownerID's table, moving the given versions,
// and announces it to the owner.
func (c *change) dropFriend(ownerID, peer string, parts im.RelationSeqs) {
	c.w.DeleteFriends = append(c.w.DeleteFriends, im.Pair{Owner: ownerID, Peer: peer})
	c.touch(ownerID, parts)
	c.pair(TypeFriendDeleted, ownerID, peer)
}

// pair adds a FriendAdded or FriendDeleted entry to the event of that
// type the owner of the table gets in this call. The other user is not
// told: their own table did not change (a two-way change writes both).
func (c *change) pair(typ, from, to string) {
	var ev *PairsEvent
	for _, e := range c.events[from] {
		if p, ok := e.(*PairsEvent); ok && p.Type == typ {
			ev = p
		}
	}
	if ev == nil {
		ev = &PairsEvent{Type: typ}
		c.notify(from, ev)
	}
	ev.PairList = append(ev.PairList, PairItem{From: from, To: to})
}

// notify gives userID an event.
func (c *change) notify(userID string, ev any) {
	if _, seen := c.events[userID]; !seen {
		c.users = append(c.users, userID)
	}
	c.events[userID] = append(c.events[userID], ev)
}

// write is the store's write: the rows, the versions, and every event as
// one stream write.
func (c *change) write(appID uint64, now time.Time) *im.RelationWrite {
	w := c.w
	w.Advance = c.advance
	if len(c.users) == 0 {
		return &w
	}
	sw := im.StreamWrite{AppID: appID, Time: now.Unix()}
	for _, u := range c.users {
		for _, ev := range c.events[u] {
			sw.UserEvents = append(sw.UserEvents, im.UserEventAppend{UserID: u, Payload: stream.Encode(ev), ExpireAt: stream.Expiry(now, stream.DefaultLifetime)})
		}
	}
	w.Streams = []im.StreamWrite{sw}
	return &w
}
