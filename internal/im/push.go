package im

import (
	"context"
	"encoding/json"
	"errors"
)

// Push to all users (rest-users.md S8): an app names up to ten user
// attributes by slot, its users carry attribute values and tags, and a
// push reaches every account or those matching a condition on them. A push
// is one entry in the app's push stream, whatever the number of its
// recipients: clients read the stream and each keeps what matches its user.

// PushAttrSlots is how many attribute slots an app has ("0" to "9").
const PushAttrSlots = 10

// PushCondition is a push's targeting with attribute names resolved to
// their slots, so that renaming a slot later changes nothing. An empty
// condition reaches everyone.
type PushCondition struct {
	AttrsAnd map[int]string `json:",omitempty"`
	AttrsOr  map[int]string `json:",omitempty"`
	TagsAnd  []string       `json:",omitempty"`
	TagsOr   []string       `json:",omitempty"`
}

// Empty reports whether the condition reaches every account.
func (c PushCondition) Empty() bool {
	return len(c.AttrsAnd) == 0 && len(c.AttrsOr) == 0 && len(c.TagsAnd) == 0 && len(c.TagsOr) == 0
}

// UsesTags reports whether the condition reads tags.
func (c PushCondition) UsesTags() bool { return len(c.TagsAnd) > 0 || len(c.TagsOr) > 0 }

// UsesAttrs reports whether the condition reads attributes.
func (c PushCondition) UsesAttrs() bool { return len(c.AttrsAnd) > 0 || len(c.AttrsOr) > 0 }

// Match reports whether a user with profile p is a recipient: every
// AttrsAnd pair and TagsAnd tag, and at least one AttrsOr pair and one
// TagsOr tag where those are given.
func (c PushCondition) Match(p PushProfile) bool {
	for slot, v := range c.AttrsAnd {
		if got, ok := p.Attrs[slot]; !ok || got != v {
			return false
		}
	}
	if len(c.AttrsOr) > 0 {
		hit := false
		for slot, v := range c.AttrsOr {
			if got, ok := p.Attrs[slot]; ok && got == v {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	for _, t := range c.TagsAnd {
		if !p.Tags[t] {
			return false
		}
	}
	if len(c.TagsOr) > 0 {
		for _, t := range c.TagsOr {
			if p.Tags[t] {
				return true
			}
		}
		return false
	}
	return true
}

// PushProfile is what a condition is matched against: a user's attribute
// values by slot and their tags.
type PushProfile struct {
	Attrs map[int]string
	Tags  map[string]bool
}

// UserPushAttrs are attribute values of one user, by slot.
type UserPushAttrs struct {
	UserID string
	Attrs  map[int]string
}

// UserPushSlots are attribute slots of one user.
type UserPushSlots struct {
	UserID string
	Slots  []int
}

// UserPushTags are tags of one user.
type UserPushTags struct {
	UserID string
	Tags   []string
}

// AllMemberPush is one entry of an app's push stream.
type AllMemberPush struct {
	AppID     uint64
	Seq       int64 // the app's PushSeq, from 1
	MsgRandom uint32
	TimeMs    int64 // when it was pushed, Unix milliseconds
	// ExpireAt is when clients that sync stop receiving it (MsgLifeTime);
	// an online-only push expires when it is made.
	ExpireAt        int64
	From            string
	Body            json.RawMessage // MsgBody, compact JSON
	OfflinePushInfo json.RawMessage // nil when absent
	Condition       PushCondition
}

// PushCommit is a push to record, with the limits it must respect.
type PushCommit struct {
	Push AllMemberPush // Seq is taken by the store
	// DedupSinceMs: a push of the same MsgRandom made at or after it is
	// this push sent again.
	DedupSinceMs int64
	// MinGapMs: a push less than this after the app's last one is refused
	// (ErrPushTooSoon).
	MinGapMs int64
	// DayStartMs and DailyLimit: an app that made DailyLimit pushes since
	// DayStartMs is refused (ErrPushQuota).
	DayStartMs int64
	DailyLimit int
}

// Errors of the push store besides the sentinels.
var (
	// ErrPushTooSoon: the app's last push is less than the minimum gap old.
	ErrPushTooSoon = errors.New("push: too soon after the last push")
	// ErrPushQuota: the app used up its pushes of the day.
	ErrPushQuota = errors.New("push: daily quota used up")
	// ErrTooManyTags: a user would hold more tags than allowed.
	ErrTooManyTags = errors.New("push: too many tags")
)

// PushStore persists attributes, tags and the push streams.
type PushStore interface {
	// SetPushAttrNames names slots of the app, keeping the others. It
	// returns ErrConflict when a name would then belong to two slots.
	SetPushAttrNames(ctx context.Context, appID uint64, names map[int]string) error
	// PushAttrNames returns the app's named slots.
	PushAttrNames(ctx context.Context, appID uint64) (map[int]string, error)
	// PushProfiles returns the attribute values and tags of the users that
	// have any; a user without either is absent.
	PushProfiles(ctx context.Context, appID uint64, userIDs []string) (map[string]PushProfile, error)
	// SetPushAttrs writes attribute values, keeping the user's others, all
	// or nothing: ErrNotFound when a user is not an account.
	SetPushAttrs(ctx context.Context, appID uint64, attrs []UserPushAttrs) error
	// RemovePushAttrs removes attribute values; absent ones are no error.
	RemovePushAttrs(ctx context.Context, appID uint64, slots []UserPushSlots) error
	// AddPushTags adds tags (a tag the user has is no error), all or
	// nothing: ErrNotFound when a user is not an account, ErrTooManyTags
	// when one would hold more than max.
	AddPushTags(ctx context.Context, appID uint64, tags []UserPushTags, max int) error
	// RemovePushTags removes tags; absent ones are no error.
	RemovePushTags(ctx context.Context, appID uint64, tags []UserPushTags) error
	// RemoveAllPushTags removes every tag of the users.
	RemoveAllPushTags(ctx context.Context, appID uint64, userIDs []string) error
	// CommitPush takes the app's next PushSeq for a push and stores it, or
	// returns the push of the same MsgRandom made since DedupSinceMs with
	// duplicate true (nothing written). It refuses with ErrPushTooSoon or
	// ErrPushQuota, and drops entries older than DedupSinceMs.
	CommitPush(ctx context.Context, c PushCommit) (p AllMemberPush, duplicate bool, err error)
	// ListPushes returns up to limit entries of the app's push stream with
	// Seq > after that have not expired at now (Unix seconds), in order,
	// and the stream's last Seq.
	ListPushes(ctx context.Context, appID uint64, after, now int64, limit int) ([]AllMemberPush, int64, error)
}
