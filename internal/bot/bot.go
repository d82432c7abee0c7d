// Package bot implements chatbot accounts (rest-users.md, Chatbots): an
// app's accounts whose UserID starts with @RBT#, created, listed and
// invalidated by the app's backend. A chatbot is an ordinary account
// beside its flag: messages to it are stored and delivered like any
// one-to-one message, and the app answers as the bot through the REST
// API (From_Account) or by logging a client in as the bot.
package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/profile"
)

// Limits of the chatbot API.
const (
	// MaxRobots is how many valid chatbots one app may hold.
	MaxRobots = 20
	// MaxSignature bounds SelfSignature, as every profile string.
	MaxSignature = 500
)

// tagSelfSignature is the profile field create_robot's SelfSignature sets.
const tagSelfSignature = "Tag_Profile_IM_SelfSignature"

// Accounts imports a chatbot's account when it is new;
// *account.Service satisfies it.
type Accounts interface {
	EnsureImported(ctx context.Context, app *config.App, userID string, now time.Time) error
}

// Profiles writes a chatbot's profile fields, announcing them as any
// profile change; *profile.Service satisfies it.
type Profiles interface {
	Set(ctx context.Context, appID uint64, access profile.Access, req *profile.SetRequest) error
}

// Service is the chatbot domain.
type Service struct {
	store    im.RobotStore
	accounts Accounts
	profiles Profiles
}

// NewService returns the chatbot service.
func NewService(store im.RobotStore, accounts Accounts, profiles Profiles) *Service {
	return &Service{store: store, accounts: accounts, profiles: profiles}
}

// Robot is a chatbot to create, with the profile fields to set (nil:
// left as they are).
type Robot struct {
	UserID        string
	Nick          *string
	FaceURL       *string
	SelfSignature *string
}

// CheckID refuses what is not a chatbot's UserID (10008).
func CheckID(field, id string) error {
	if id == "" {
		return im.Errorf(im.CodeRobotInvalid, "%s is required", field)
	}
	if !strings.HasPrefix(id, im.RobotPrefix) || !im.ValidUserID(id) {
		return im.Errorf(im.CodeRobotInvalid, "%s %q is not a chatbot UserID: %s followed by printable ASCII, at most 32 bytes",
			field, id, im.RobotPrefix)
	}
	return nil
}

// Create makes r.UserID a chatbot, importing its account when it is new,
// and sets the profile fields given. Creating a chatbot again is no error
// (its fields are set again); a 21st valid chatbot is refused with 10008.
func (s *Service) Create(ctx context.Context, app *config.App, r Robot, now time.Time) error {
	if err := CheckID("UserID", r.UserID); err != nil {
		return err
	}
	if r.SelfSignature != nil && len(*r.SelfSignature) > MaxSignature {
		return im.Errorf(im.CodeRobotInvalid, "SelfSignature is over %d bytes", MaxSignature)
	}
	if err := s.accounts.EnsureImported(ctx, app, r.UserID, now); err != nil {
		return asRobotError(err)
	}
	err := s.store.MarkRobot(ctx, app.SDKAppID, r.UserID, now.Unix(), MaxRobots)
	switch {
	case errors.Is(err, im.ErrConflict):
		return im.Errorf(im.CodeRobotInvalid, "the app has %d chatbots already", MaxRobots)
	case errors.Is(err, im.ErrNotFound):
		return im.Errorf(im.CodeRobotInvalid, "account %s was deleted meanwhile", r.UserID)
	case err != nil:
		return fmt.Errorf("bot: create %s: %w", r.UserID, err)
	}
	var items []im.TagValue
	for _, f := range []struct {
		tag   string
		value *string
	}{{im.TagNick, r.Nick}, {im.TagImage, r.FaceURL}, {tagSelfSignature, r.SelfSignature}} {
		if f.value != nil {
			v, err := im.EncodeJSON(*f.value)
			if err != nil {
				return fmt.Errorf("bot: encode %s: %w", f.tag, err)
			}
			items = append(items, im.TagValue{Tag: f.tag, Value: v})
		}
	}
	if len(items) == 0 {
		return nil
	}
	if err := s.profiles.Set(ctx, app.SDKAppID, profile.Admin, &profile.SetRequest{From: r.UserID, ProfileItem: items}); err != nil {
		return asRobotError(err)
	}
	return nil
}

// asRobotError answers another domain's refusal (an account cap, a
// profile value over its limit) with the chatbot API's code and the
// refusal's reason.
func asRobotError(err error) error {
	var wire *im.Error
	if errors.As(err, &wire) {
		return im.Errorf(im.CodeRobotInvalid, "%s", wire.Info)
	}
	return err
}

// List returns the app's valid chatbots in UserID order. Invalidated
// ones are not listed.
func (s *Service) List(ctx context.Context, appID uint64) ([]string, error) {
	ids, err := s.store.ListRobots(ctx, appID)
	if err != nil {
		return nil, fmt.Errorf("bot: list: %w", err)
	}
	return ids, nil
}

// Delete invalidates a chatbot: it is no longer listed nor counted, and
// keeps its account and data (create_robot makes it valid again). A
// UserID that never was a chatbot is 10008.
func (s *Service) Delete(ctx context.Context, appID uint64, userID string) error {
	if err := CheckID("Robot_Account", userID); err != nil {
		return err
	}
	err := s.store.InvalidateRobot(ctx, appID, userID)
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeRobotInvalid, "%s is not a chatbot", userID)
	}
	if err != nil {
		return fmt.Errorf("bot: delete %s: %w", userID, err)
	}
	return nil
}
