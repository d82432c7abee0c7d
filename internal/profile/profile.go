// Package profile implements user profiles (rest-users.md S4, Setting
// and Pulling Profiles) for the REST API and for clients: the standard
// Tag_Profile_IM_* fields with their kinds, value sets and limits, the
// custom Tag_Profile_Custom_* fields each app declares, who may read and
// write which, and the global mute (setnospeaking) every send path checks.
package profile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/chatd/chatd/internal/batch"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// MaxGetAccounts caps the accounts of one portrait_get.
const MaxGetAccounts = 100

// TypeProfileChanged is the event of a profile change, in the user's own
// stream and in the streams of the users whose friend table holds them.
const TypeProfileChanged = "ProfileChanged"

// Friends tells whose friend tables hold a user; im.RelationReader's
// FriendOwners (everyone when owners is nil).
type Friends interface {
	FriendOwners(ctx context.Context, appID uint64, userID string, owners []string) ([]string, error)
}

// Deps are what the service works over. Streams may be nil (nothing is
// pushed; tests of the REST side); Hooks nil sends no callbacks; Now
// defaults to time.Now, Logger to a discarding one.
type Deps struct {
	Store   im.ProfileStore
	Friends Friends
	Streams *stream.Service
	Hooks   Hooks
	Apps    []config.App
	Now     func() time.Time
	Logger  *slog.Logger
}

// Service is the profile domain.
type Service struct {
	store im.ProfileStore
	// muteReads reads the mutes that sends check in batches: one read
	// per app and batch instead of one per send, which under load was a
	// read as costly as a tenth of the send. An account that does not
	// exist is not muted.
	muteReads *batch.Committer[batch.AppKey[string], im.GlobalMute]
	friends   Friends
	streams   *stream.Service
	hooks     Hooks
	apps      map[uint64]*appFields
	plain     *appFields // the standard fields alone
	now       func() time.Time
	log       *slog.Logger
}

// NewService returns the profile service. It fails on an app's custom
// field declarations that break the vendor's rules, so a bad
// configuration stops start-up.
func NewService(d Deps) (*Service, error) {
	s := &Service{store: d.Store, muteReads: batch.LookupByApp(globalMutes(d.Store)), friends: d.Friends, streams: d.Streams, hooks: d.Hooks, apps: map[uint64]*appFields{}, now: d.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if s.hooks == nil {
		s.hooks = noHooks{}
	}
	s.plain, _ = compile(config.App{})
	s.log = d.Logger
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, app := range d.Apps {
		f, err := compile(app)
		if err != nil {
			return nil, fmt.Errorf("profile: app %d: %w", app.SDKAppID, err)
		}
		s.apps[app.SDKAppID] = f
	}
	return s, nil
}

// fields returns the app's tag table; an app of no configuration (tests
// building a service without apps) has the standard fields only.
func (s *Service) fields(appID uint64) *appFields {
	if f, ok := s.apps[appID]; ok {
		return f
	}
	return s.plain
}

// SetRequest is portrait_set's body; a client's set_profile sends the
// same without From_Account, which is the user.
type SetRequest struct {
	From        string        `json:"From_Account"`
	ProfileItem []im.TagValue `json:"ProfileItem"`
}

// ChangeEvent is a ProfileChanged event: the fields From_Account changed
// that users may read, as set.
type ChangeEvent struct {
	Type        string        `json:"Type"`
	From        string        `json:"From_Account"`
	ProfileItem []im.TagValue `json:"ProfileItem"`
}

// Set writes fields of req.From's profile with access's permissions. The
// whole request is checked before anything is written: an unknown tag is
// 40009, one access may not write 40008, a value of the wrong JSON kind
// 40610, a value a standard field does not take 40605, a string over 500
// bytes 40601; an account that is not imported 40003. The fields users
// may read are announced in the user's stream, committed with the change,
// then in the streams of the users whose friend table holds them.
func (s *Service) Set(ctx context.Context, appID uint64, access Access, req *SetRequest) error {
	if req.From == "" {
		return &im.Error{Code: im.CodeProfileBadParam, Info: "From_Account is required"}
	}
	if len(req.ProfileItem) == 0 {
		return &im.Error{Code: im.CodeProfileBadParam, Info: "ProfileItem must hold at least one field"}
	}
	f := s.fields(appID)
	fields := make([]im.TagValue, 0, len(req.ProfileItem))
	var visible []im.TagValue
	for _, it := range req.ProfileItem {
		v, err := f.value(it, access)
		if err != nil {
			return err
		}
		tv := im.TagValue{Tag: it.Tag, Value: v}
		fields = append(fields, tv)
		if f.byTag[it.Tag].read.allows(User) {
			visible = append(visible, tv)
		}
	}
	var writes []im.StreamWrite
	var ev json.RawMessage
	if len(visible) > 0 && s.streams != nil {
		ev = stream.Encode(ChangeEvent{Type: TypeProfileChanged, From: req.From, ProfileItem: visible})
		writes = append(writes, s.notice(appID, []string{req.From}, ev))
	}
	results, err := s.store.SetProfile(ctx, appID, req.From, fields, writes)
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeProfileNotFound, "account %s is not imported", req.From)
	}
	if err != nil {
		return fmt.Errorf("profile: set %s: %w", req.From, err)
	}
	for i, w := range writes {
		s.streams.PushCommitted(ctx, w, results[i])
	}
	s.hooks.AfterSet(ctx, appID, req.From, fields)
	if ev != nil {
		s.tellFriends(ctx, appID, req.From, ev)
	}
	return nil
}

// noticeBatch is how many users' streams one commit of a profile notice
// reaches.
const noticeBatch = 500

// notice is the write of ev into each user's stream.
func (s *Service) notice(appID uint64, userIDs []string, ev json.RawMessage) im.StreamWrite {
	now := s.now()
	w := im.StreamWrite{AppID: appID, Time: now.Unix()}
	for _, u := range userIDs {
		w.UserEvents = append(w.UserEvents, im.UserEventAppend{UserID: u, Payload: ev, ExpireAt: stream.Expiry(now, stream.DefaultLifetime)})
	}
	return w
}

// tellFriends puts a committed change's event into the streams of the
// users whose friend table holds userID. It comes after the change, in
// commits of noticeBatch users, so that a user held by thousands of
// tables costs several short transactions rather than one that could
// outlast the store's deadline; a failure is logged, as the change is
// durable and a friend reads the profile again when it next asks.
func (s *Service) tellFriends(ctx context.Context, appID uint64, userID string, ev json.RawMessage) {
	owners, err := s.friends.FriendOwners(ctx, appID, userID, nil)
	for len(owners) > 0 && err == nil {
		part := owners[:min(len(owners), noticeBatch)]
		owners = owners[len(part):]
		_, err = s.streams.Commit(ctx, s.notice(appID, part, ev))
	}
	if err != nil {
		s.log.Warn("profile change not told to every friend", "app", appID, "user", userID, "err", err)
	}
}

// GetRequest is portrait_get's body; a client's get_profile may leave
// both lists out (its own profile, every field it may read).
type GetRequest struct {
	To      []string `json:"To_Account"`
	TagList []string `json:"TagList"`
}

// UserProfile is one account's answer.
type UserProfile struct {
	To          string        `json:"To_Account"`
	ProfileItem []im.TagValue `json:"ProfileItem"`
	ResultCode  int           `json:"ResultCode"`
	ResultInfo  string        `json:"ResultInfo"`
}

// GetResult is portrait_get's answer.
type GetResult struct {
	UserProfileItem []UserProfile `json:"UserProfileItem"`
	FailAccount     []string      `json:"Fail_Account,omitempty"`
	ErrorDisplay    string        `json:"ErrorDisplay"`
}

// Get reads the fields of req.TagList of each account of req.To, in
// request order: only fields that are set, in TagList order. No account
// is 40002, more than MaxGetAccounts or no tag 40001, an unknown tag
// 40009, one access may not read 40007; an account that is not imported
// gets ResultCode 40003 and is listed in Fail_Account.
func (s *Service) Get(ctx context.Context, appID uint64, access Access, req *GetRequest) (*GetResult, error) {
	switch {
	case len(req.To) == 0:
		return nil, &im.Error{Code: im.CodeProfileNoTarget, Info: "To_Account must name at least one account"}
	case len(req.To) > MaxGetAccounts:
		return nil, im.Errorf(im.CodeProfileBadParam, "To_Account names %d accounts, at most %d", len(req.To), MaxGetAccounts)
	case len(req.TagList) == 0:
		return nil, &im.Error{Code: im.CodeProfileBadParam, Info: "TagList must name at least one tag"}
	}
	found, err := s.Read(ctx, appID, req.To, req.TagList, access)
	if err != nil {
		return nil, err
	}
	out := &GetResult{UserProfileItem: make([]UserProfile, len(req.To))}
	for i, id := range req.To {
		items, ok := found[id]
		if !ok {
			out.UserProfileItem[i] = UserProfile{To: id, ProfileItem: []im.TagValue{}, ResultCode: im.CodeProfileNotFound, ResultInfo: "Err_Profile_Account_Not_Exist"}
			out.FailAccount = append(out.FailAccount, id)
			continue
		}
		out.UserProfileItem[i] = UserProfile{To: id, ProfileItem: items}
	}
	return out, nil
}

// Read returns the set fields among tags of each account among userIDs
// that exists (absent: not an account), after checking every tag is
// known (40009) and readable with access (40007).
func (s *Service) Read(ctx context.Context, appID uint64, userIDs, tags []string, access Access) (map[string][]im.TagValue, error) {
	f := s.fields(appID)
	for _, tag := range tags {
		if err := f.checkRead(tag, access); err != nil {
			return nil, err
		}
	}
	found, err := s.store.GetProfiles(ctx, appID, userIDs, tags)
	if err != nil {
		return nil, fmt.Errorf("profile: read: %w", err)
	}
	return found, nil
}

// Known reports whether tag is a profile tag of the app, standard or
// declared.
func (s *Service) Known(appID uint64, tag string) bool {
	_, ok := s.fields(appID).byTag[tag]
	return ok
}

// Readable returns every tag access may read in the app: a client's
// get_profile without a TagList.
func (s *Service) Readable(appID uint64, access Access) []string {
	return s.fields(appID).readable(access)
}

// globalMutes reads the global mutes of the accounts among users that
// exist; store is used only when a send is checked.
func globalMutes(store im.ProfileStore) func(ctx context.Context, app uint64, users []string) (map[string]im.GlobalMute, error) {
	return func(ctx context.Context, app uint64, users []string) (map[string]im.GlobalMute, error) {
		return store.GetGlobalMutes(ctx, app, users)
	}
}
