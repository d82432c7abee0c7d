package client

// Event types of profiles and relationships, in the user's stream (each
// with a Seq).
const (
	TypeProfileChanged        = "ProfileChanged"
	TypeFriendAdded           = "FriendAdded"
	TypeFriendDeleted         = "FriendDeleted"
	TypeFriendUpdated         = "FriendUpdated"
	TypeFriendRequest         = "FriendRequest"
	TypeFriendRequestAccepted = "FriendRequestAccepted"
	TypeFriendRequestRejected = "FriendRequestRejected"
	TypeFriendListsAdded      = "FriendListsAdded"
	TypeFriendListsDeleted    = "FriendListsDeleted"
	TypeBlocklistAdded        = "BlocklistAdded"
	TypeBlocklistDeleted      = "BlocklistDeleted"
)

// ProfileChange is a "ProfileChanged" event: From changed these fields of
// their profile (the user's own, or a user whose friend table holds them).
type ProfileChange struct {
	From        string     `json:"From_Account"`
	ProfileItem []TagValue `json:"ProfileItem"`
}

// FriendPair is one direction of a friendship: To in From's table.
type FriendPair struct {
	From string `json:"From_Account"`
	To   string `json:"To_Account"`
}

// FriendPairs is a "FriendAdded" or "FriendDeleted" event: the entries of
// the user's friend table one change wrote or removed (From is the user).
type FriendPairs struct {
	PairList []FriendPair `json:"PairList"`
}

// FriendUpdate is a "FriendUpdated" event: what the user changed about
// friends, from another device or the app's backend.
type FriendUpdate struct {
	UpdateItem []struct {
		To      string     `json:"To_Account"`
		SnsItem []TagValue `json:"SnsItem"`
	} `json:"UpdateItem"`
}

// FriendAnswer is a "FriendRequestAccepted" or "FriendRequestRejected"
// event: To answered the request From sent.
type FriendAnswer struct {
	From           string `json:"From_Account"`
	To             string `json:"To_Account"`
	ResponseAction string `json:"ResponseAction"`
}

// FriendListsChange is a "FriendListsAdded" or "FriendListsDeleted"
// event: lists created or deleted, the friends put into new lists, and the
// lists' new version.
type FriendListsChange struct {
	GroupName       []string `json:"GroupName"`
	To              []string `json:"To_Account"`
	CurrentSequence int64    `json:"CurrentSequence"`
}

// BlocklistChange is a "BlocklistAdded" or "BlocklistDeleted" event.
type BlocklistChange struct {
	To []string `json:"To_Account"`
}

// ProfileChanged decodes a "ProfileChanged" event; ok is false for others.
func (e Event) ProfileChanged() (*ProfileChange, bool) {
	return decodeEvent[ProfileChange](e, TypeProfileChanged)
}

// FriendAdded decodes a "FriendAdded" event.
func (e Event) FriendAdded() (*FriendPairs, bool) {
	return decodeEvent[FriendPairs](e, TypeFriendAdded)
}

// FriendDeleted decodes a "FriendDeleted" event.
func (e Event) FriendDeleted() (*FriendPairs, bool) {
	return decodeEvent[FriendPairs](e, TypeFriendDeleted)
}

// FriendUpdated decodes a "FriendUpdated" event.
func (e Event) FriendUpdated() (*FriendUpdate, bool) {
	return decodeEvent[FriendUpdate](e, TypeFriendUpdated)
}

// FriendRequest decodes a "FriendRequest" event.
func (e Event) FriendRequest() (*FriendRequest, bool) {
	return decodeEvent[FriendRequest](e, TypeFriendRequest)
}

// FriendRequestAccepted decodes a "FriendRequestAccepted" event.
func (e Event) FriendRequestAccepted() (*FriendAnswer, bool) {
	return decodeEvent[FriendAnswer](e, TypeFriendRequestAccepted)
}

// FriendRequestRejected decodes a "FriendRequestRejected" event.
func (e Event) FriendRequestRejected() (*FriendAnswer, bool) {
	return decodeEvent[FriendAnswer](e, TypeFriendRequestRejected)
}

// FriendListsAdded decodes a "FriendListsAdded" event.
func (e Event) FriendListsAdded() (*FriendListsChange, bool) {
	return decodeEvent[FriendListsChange](e, TypeFriendListsAdded)
}

// FriendListsDeleted decodes a "FriendListsDeleted" event.
func (e Event) FriendListsDeleted() (*FriendListsChange, bool) {
	return decodeEvent[FriendListsChange](e, TypeFriendListsDeleted)
}

// BlocklistAdded decodes a "BlocklistAdded" event.
func (e Event) BlocklistAdded() (*BlocklistChange, bool) {
	return decodeEvent[BlocklistChange](e, TypeBlocklistAdded)
}

// BlocklistDeleted decodes a "BlocklistDeleted" event.
func (e Event) BlocklistDeleted() (*BlocklistChange, bool) {
	return decodeEvent[BlocklistChange](e, TypeBlocklistDeleted)
}
