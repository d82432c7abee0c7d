package im

import (
	"context"
	"encoding/json"
	"math"
)

// TagValue is one field of a profile or of a friend entry (rest-users.md
// S2): its tag and its value as JSON, a number or a string (for
// Tag_SNS_IM_Group an array of strings), kept as it will be sent.
type TagValue struct {
	Tag   string          `json:"Tag"`
	Value json.RawMessage `json:"Value"`
}

// The two profile fields that account import seeds: they are the
// account's Nick and FaceURL.
const (
	TagNick  = "Tag_Profile_IM_Nick"
	TagImage = "Tag_Profile_IM_Image"
)

// GlobalMute is an account's app-wide mute (setnospeaking): the Unix
// second each mute ends, 0 when not muted, MuteForever when permanent.
type GlobalMute struct {
	C2CUntil   int64
	GroupUntil int64
}

// MuteForever is the end of a permanent global mute.
const MuteForever = math.MaxInt64

// ProfileStore persists profiles and global mutes.
type ProfileStore interface {
	// SetProfile writes fields of userID's profile (replacing values
	// already set; TagNick and TagImage are the account's Nick and
	// FaceURL) and commits writes, the events about the change, in the
	// same transaction, answering one result per write. It returns
	// ErrNotFound when the account does not exist.
	SetProfile(ctx context.Context, appID uint64, userID string, fields []TagValue, writes []StreamWrite) ([]StreamResult, error)
	// GetProfiles returns, for each account among userIDs that exists,
	// its fields among tags that are set, in the order of tags; accounts
	// that do not exist are absent from the map. An empty Nick or FaceURL
	// counts as not set.
	GetProfiles(ctx context.Context, appID uint64, userIDs, tags []string) (map[string][]TagValue, error)
	// SetGlobalMute sets when userID's one-to-one and group mutes end; a
	// nil end leaves that mute as it is. It returns ErrNotFound when the
	// account does not exist.
	SetGlobalMute(ctx context.Context, appID uint64, userID string, c2cUntil, groupUntil *int64) error
	// GetGlobalMute returns userID's global mute, or ErrNotFound.
	GetGlobalMute(ctx context.Context, appID uint64, userID string) (GlobalMute, error)
	// GetGlobalMutes returns the global mutes of the accounts among
	// userIDs that exist (IDs may repeat).
	GetGlobalMutes(ctx context.Context, appID uint64, userIDs []string) (map[string]GlobalMute, error)
}
