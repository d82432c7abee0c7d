package profile

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/chatd/chatd/internal/batch"
	"github.com/chatd/chatd/internal/im"
)

// Permanent is the mute length that never ends (0xFFFFFFFF), as
// setnospeaking takes it and getnospeaking reports it.
const Permanent = math.MaxUint32

// MuteKind names which of an account's global mutes a send checks.
type MuteKind int

const (
	// C2C is the one-to-one mute: sends fail with 20012.
	C2C MuteKind = iota
	// Group is the group mute: sends fail with 10017.
	Group
)

// SetMuteRequest is setnospeaking's body: a length in seconds for each
// mute to change, 0 to lift it, Permanent for ever.
type SetMuteRequest struct {
	Account *string `json:"Set_Account"`
	C2C     *int64  `json:"C2CmsgNospeakingTime"`
	Group   *int64  `json:"GroupmsgNospeakingTime"`
}

// SetMute mutes or unmutes an account app-wide. A length left out leaves
// that mute as it is; leaving both out, a length outside 0 to Permanent
// or no account is 40001; an account that is not imported 40003.
func (s *Service) SetMute(ctx context.Context, appID uint64, req *SetMuteRequest) error {
	if req.Account == nil || *req.Account == "" {
		return &im.Error{Code: im.CodeProfileBadParam, Info: "Set_Account is required"}
	}
	if req.C2C == nil && req.Group == nil {
		return &im.Error{Code: im.CodeProfileBadParam, Info: "give C2CmsgNospeakingTime, GroupmsgNospeakingTime or both"}
	}
	now := s.now().Unix()
	var ends [2]*int64
	for i, length := range []*int64{req.C2C, req.Group} {
		switch {
		case length == nil:
			continue
		case *length < 0 || *length > Permanent:
			return im.Errorf(im.CodeProfileBadParam, "a mute length is 0 to %d seconds, not %d", int64(Permanent), *length)
		}
		end := int64(0)
		switch *length {
		case 0:
		case Permanent:
			end = im.MuteForever
		default:
			end = now + *length
		}
		ends[i] = &end
	}
	err := s.store.SetGlobalMute(ctx, appID, *req.Account, ends[0], ends[1])
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeProfileNotFound, "account %s is not imported", *req.Account)
	}
	if err != nil {
		return fmt.Errorf("profile: set mute of %s: %w", *req.Account, err)
	}
	return nil
}

// MuteState is what is left of an account's global mutes, in seconds: 0
// not muted, Permanent for ever (getnospeaking).
type MuteState struct {
	C2C   int64 `json:"C2CmsgNospeakingTime"`
	Group int64 `json:"GroupmsgNospeakingTime"`
}

// Mute reports what is left of userID's global mutes; an account that is
// not imported is 40003.
func (s *Service) Mute(ctx context.Context, appID uint64, userID string) (*MuteState, error) {
	if userID == "" {
		return nil, &im.Error{Code: im.CodeProfileBadParam, Info: "Get_Account is required"}
	}
	m, err := s.store.GetGlobalMute(ctx, appID, userID)
	if errors.Is(err, im.ErrNotFound) {
		return nil, im.Errorf(im.CodeProfileNotFound, "account %s is not imported", userID)
	}
	if err != nil {
		return nil, fmt.Errorf("profile: mute of %s: %w", userID, err)
	}
	now := s.now().Unix()
	return &MuteState{C2C: remaining(m.C2CUntil, now), Group: remaining(m.GroupUntil, now)}, nil
}

func remaining(until, now int64) int64 {
	switch {
	case until == im.MuteForever:
		return Permanent
	case until > now:
		return until - now
	}
	return 0
}

// CheckMuted refuses a send from a globally muted user, with the code the
// send path answers: 20012 for a one-to-one message, 10017 for a group
// message. The mute is read in a batch with concurrent sends' checks. A
// user that is not an account is not muted: the send path reports that
// itself.
func (s *Service) CheckMuted(ctx context.Context, appID uint64, userID string, kind MuteKind) error {
	m, err := s.muteReads.One(ctx, batch.AppKey[string]{App: appID, Key: userID})
	if err != nil {
		return fmt.Errorf("profile: mute of %s: %w", userID, err)
	}
	now := s.now().Unix()
	if kind == C2C && m.C2CUntil > now {
		return im.Errorf(im.CodeC2CSenderMuted, "%s is muted for one-to-one messages", userID)
	}
	if kind == Group && m.GroupUntil > now {
		return im.Errorf(im.CodeGroupSenderMuted, "%s is muted for group messages", userID)
	}
	return nil
}
