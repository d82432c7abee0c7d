// Package push implements pushing to all users (rest-users.md S8,
// Pushing to all users): the app's attribute names, its users' attribute
// values and tags, and pushes to every account or to those matching a
// condition on them.
//
// A push costs one row whatever the number of accounts: it is an entry in
// the app's push stream (its own sequence, PushSeq), carrying its
// condition. Online users get it at once: every node is told of the push
// once over the bus and delivers it to its own connections of the app's
// users that match (their attributes or tags read in batches). A client
// reads what it missed with sync_push, which filters the stream against
// its user at that moment; entries stay for the push's MsgLifeTime.
package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// Limits of the family (S8, Pushing to All Users).
const (
	// Feature is the per-app switch (config.App.Disabled): off, every
	// command of the family answers 90045.
	Feature = "all_member_push"
	// MaxUsers is how many users one attribute or tag call names (90018).
	MaxUsers = 100
	// MaxTextBytes bounds attribute names and values and tags.
	MaxTextBytes = 50
	// MaxTagsPerList bounds a condition's tag list and the tags one call
	// adds to one user (90032).
	MaxTagsPerList = 10
	// MaxTagsPerUser is how many tags a user holds (90032 beyond).
	MaxTagsPerUser = 100
	// MaxLifetime is MsgLifeTime's largest value, in seconds (90026).
	MaxLifetime = 7 * 24 * 3600
	// DedupWindow is how long a MsgRandom names one push task.
	DedupWindow = 7 * 24 * time.Hour
	// DefaultDailyLimit and DefaultInterval are the quota and spacing of
	// im_push an app gets unless it sets its own (90047, 90024).
	DefaultDailyLimit = 100
	DefaultInterval   = time.Second
	// maxBodyBytes is the 12 KB of a message body (80002 beyond).
	maxBodyBytes = 12 << 10
)

// TypeAllMemberPush is the event a push reaches clients as.
const TypeAllMemberPush = "AllMemberPush"

// pushElems are the element types im_push takes.
var pushElems = map[string]bool{
	"TIMTextElem": true, "TIMLocationElem": true, "TIMFaceElem": true, "TIMCustomElem": true,
	"TIMSoundElem": true, "TIMImageElem": true, "TIMFileElem": true, "TIMVideoFileElem": true,
}

// Store is what the service keeps its data in.
type Store interface {
	im.PushStore
	GetAccounts(ctx context.Context, appID uint64, userIDs []string) (map[string]im.Account, error)
}

// Local is this node's side of the gateway: the users connected here, and
// delivery to their connections here only (every node delivers to its
// own).
type Local interface {
	// LocalUsers lists the users of the app with a connection on this
	// node.
	LocalUsers(appID uint64) []string
	// DeliverLocal writes p to this node's connections of the users.
	DeliverLocal(appID uint64, userIDs []string, p im.Push)
}

// Deps are what the service works over. Bus and Local may be nil (no
// online delivery: tests of the REST side); Now defaults to time.Now,
// Logger to a discarding one.
type Deps struct {
	Store  Store
	Bus    bus.Bus
	Local  Local
	Apps   []config.App
	Now    func() time.Time
	Logger *slog.Logger
}

// Service is the push-to-all domain.
type Service struct {
	store Store
	bus   bus.Bus
	local Local
	apps  map[uint64]*config.App
	node  [nodeIDLen]byte
	now   func() time.Time
	log   *slog.Logger
}

// NewService returns the service; Start connects it to the other nodes.
func NewService(d Deps) *Service {
	s := &Service{store: d.Store, bus: d.Bus, local: d.Local, apps: map[uint64]*config.App{}, node: newNodeID(), now: d.Now, log: d.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "push")
	for i := range d.Apps {
		s.apps[d.Apps[i].SDKAppID] = &d.Apps[i]
	}
	return s
}

// enabled refuses every command of the family for an app that switched
// it off.
func (s *Service) enabled(app *config.App) error {
	if !app.Enabled(Feature) {
		return &im.Error{Code: im.CodePushDisabled, Info: "push to all users is not enabled for this app"}
	}
	return nil
}

// Request is im_push's body.
type Request struct {
	From            string          `json:"From_Account"`
	MsgRandom       *int64          `json:"MsgRandom"`
	MsgBody         []im.MsgElem    `json:"MsgBody"`
	MsgLifeTime     *int64          `json:"MsgLifeTime"`
	Condition       *Condition      `json:"Condition"`
	OfflinePushInfo json.RawMessage `json:"OfflinePushInfo"`
}

// Condition is im_push's targeting as sent: attribute names with values,
// or tags.
type Condition struct {
	AttrsAnd map[string]string `json:"AttrsAnd"`
	AttrsOr  map[string]string `json:"AttrsOr"`
	TagsAnd  []string          `json:"TagsAnd"`
	TagsOr   []string          `json:"TagsOr"`
}

// Event is a push as clients receive it: the event of a "push" frame
// without a stream number of the user's, and an entry of sync_push.
type Event struct {
	Type            string          `json:"Type"`
	PushSeq         int64           `json:"PushSeq"`
	TaskID          string          `json:"TaskId"`
	From            string          `json:"From_Account"`
	MsgRandom       uint32          `json:"MsgRandom"`
	MsgTime         int64           `json:"MsgTime"`
	MsgBody         json.RawMessage `json:"MsgBody"`
	OfflinePushInfo json.RawMessage `json:"OfflinePushInfo,omitempty"`
}

// TaskID is a push's task ID: the SDKAppID, PushSeq, MsgRandom and push
// time in seconds, joined by underscores as the vendor's are.
func TaskID(p im.AllMemberPush) string {
	return fmt.Sprintf("%d_%d_%d_%d", p.AppID, p.Seq, p.MsgRandom, p.TimeMs/1000)
}

// event is the client event of p.
func event(p im.AllMemberPush) json.RawMessage {
	ev, err := im.EncodeJSON(Event{Type: TypeAllMemberPush, PushSeq: p.Seq, TaskID: TaskID(p), From: p.From,
		MsgRandom: p.MsgRandom, MsgTime: p.TimeMs / 1000, MsgBody: p.Body, OfflinePushInfo: p.OfflinePushInfo})
	if err != nil {
		panic(fmt.Sprintf("push: encode event: %v", err)) // our own types, raw JSON the store kept
	}
	return ev
}

// Push records a push to every account of app, or to those matching its
// condition, and returns its task ID. admin is the calling admin, the
// sender when From_Account is absent. A push of a MsgRandom used in the
// last 7 days is that push again: its task ID is returned and nothing is
// sent. Delivery goes on after Push returns.
func (s *Service) Push(ctx context.Context, app *config.App, admin string, req *Request) (string, error) {
	if err := s.enabled(app); err != nil {
		return "", err
	}
	if req.MsgRandom == nil || *req.MsgRandom < 0 || *req.MsgRandom > 1<<32-1 {
		return "", &im.Error{Code: im.CodeMsgRandomInvalid, Info: "MsgRandom must be an unsigned 32-bit integer"}
	}
	body, err := checkBody(req.MsgBody)
	if err != nil {
		return "", err
	}
	var lifetime int64
	if req.MsgLifeTime != nil {
		lifetime = *req.MsgLifeTime
	}
	if lifetime < 0 || lifetime > MaxLifetime {
		return "", im.Errorf(im.CodeMsgLifeTime, "MsgLifeTime must be 0 to %d seconds", MaxLifetime)
	}
	info, err := offlinePushInfo(req.OfflinePushInfo)
	if err != nil {
		return "", err
	}
	from, err := s.sender(ctx, app, admin, req.From)
	if err != nil {
		return "", err
	}
	cond, err := s.resolve(ctx, app.SDKAppID, req.Condition)
	if err != nil {
		return "", err
	}
	now := s.now()
	p := im.AllMemberPush{AppID: app.SDKAppID, MsgRandom: uint32(*req.MsgRandom), TimeMs: now.UnixMilli(),
		ExpireAt: now.Unix() + lifetime, From: from, Body: body, OfflinePushInfo: info, Condition: cond}
	p, dup, err := s.store.CommitPush(ctx, im.PushCommit{
		Push: p, DedupSinceMs: now.Add(-DedupWindow).UnixMilli(), MinGapMs: interval(app).Milliseconds(),
		DayStartMs: dayStart(now).UnixMilli(), DailyLimit: dailyLimit(app),
	})
	switch {
	case errors.Is(err, im.ErrPushTooSoon):
		return "", im.Errorf(im.CodePushTooSoon, "pushes must be at least %v apart", interval(app))
	case errors.Is(err, im.ErrPushQuota):
		return "", im.Errorf(im.CodePushDailyQuota, "the app made its %d pushes of the day", dailyLimit(app))
	case err != nil:
		return "", fmt.Errorf("push: commit: %w", err)
	}
	if !dup {
		s.announce(ctx, p)
	}
	return TaskID(p), nil
}

// checkBody checks MsgBody: not empty (90002), of the element types a push
// takes (90010), each valid (90010), 12 KB at most (80002).
func checkBody(elems []im.MsgElem) (json.RawMessage, error) {
	if len(elems) == 0 {
		return nil, &im.Error{Code: im.CodeMsgBodyInvalid, Info: "MsgBody must hold at least one element"}
	}
	for i, e := range elems {
		if !pushElems[e.Type] {
			return nil, im.Errorf(im.CodePushBadElem, "MsgBody[%d].MsgType %q cannot be pushed to all users", i, e.Type)
		}
	}
	body, err := message.CheckBody(elems, im.CodePushBadElem)
	if err != nil {
		return nil, err
	}
	if len(body) > maxBodyBytes {
		return nil, im.Errorf(im.CodeMsgTooLong, "MsgBody is over %d bytes", maxBodyBytes)
	}
	return body, nil
}

// offlinePushInfo keeps OfflinePushInfo as sent (the transport checked
// it is JSON): an object, or nothing.
func offlinePushInfo(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, &im.Error{Code: im.CodeMsgPushInfo, Info: "OfflinePushInfo must be an object"}
	}
	return raw, nil
}

// sender is who recipients see the push from: the calling admin when
// From_Account is absent or an admin, otherwise that account (90008 when
// it is not one).
func (s *Service) sender(ctx context.Context, app *config.App, admin, from string) (string, error) {
	if from == "" {
		return admin, nil
	}
	if app.IsAdmin(from) {
		return from, nil
	}
	found, err := s.store.GetAccounts(ctx, app.SDKAppID, []string{from})
	if err != nil {
		return "", fmt.Errorf("push: sender: %w", err)
	}
	if _, ok := found[from]; !ok {
		return "", im.Errorf(im.CodeMsgFromAccount, "From_Account %s is not an account", from)
	}
	return from, nil
}

// resolve checks a condition and names its attributes by slot.
func (s *Service) resolve(ctx context.Context, appID uint64, c *Condition) (im.PushCondition, error) {
	var out im.PushCondition
	if c == nil {
		return out, nil
	}
	attrs, tags := len(c.AttrsAnd)+len(c.AttrsOr) > 0, len(c.TagsAnd)+len(c.TagsOr) > 0
	if attrs && tags {
		return out, &im.Error{Code: im.CodePushMixedCond, Info: "attribute and tag conditions cannot be combined"}
	}
	var err error
	if out.TagsAnd, err = conditionTags("TagsAnd", c.TagsAnd); err != nil {
		return out, err
	}
	if out.TagsOr, err = conditionTags("TagsOr", c.TagsOr); err != nil {
		return out, err
	}
	for _, t := range out.TagsAnd {
		for _, u := range out.TagsOr {
			if t == u {
				return out, im.Errorf(im.CodePushTagTwice, "tag %q is in both TagsAnd and TagsOr", t)
			}
		}
	}
	if !attrs {
		return out, nil
	}
	names, err := s.slots(ctx, appID)
	if err != nil {
		return out, err
	}
	if out.AttrsAnd, err = conditionAttrs("AttrsAnd", c.AttrsAnd, names); err != nil {
		return out, err
	}
	if out.AttrsOr, err = conditionAttrs("AttrsOr", c.AttrsOr, names); err != nil {
		return out, err
	}
	return out, nil
}

// conditionTags checks one tag list of a condition and drops repeats.
func conditionTags(field string, tags []string) ([]string, error) {
	if len(tags) > MaxTagsPerList {
		return nil, im.Errorf(im.CodePushTooManyTags, "%s holds more than %d tags", field, MaxTagsPerList)
	}
	return checkTags(field, tags)
}

// checkTags refuses an empty tag (90040) or one over 50 bytes (90020),
// and drops repeats.
func checkTags(field string, tags []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		switch {
		case t == "":
			return nil, im.Errorf(im.CodePushEmptyTag, "%s holds an empty tag", field)
		case len(t) > MaxTextBytes:
			return nil, im.Errorf(im.CodePushTagTooLong, "%s: tag %q is over %d bytes", field, t, MaxTextBytes)
		case !seen[t]:
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// conditionAttrs names one attribute object of a condition by slot.
func conditionAttrs(field string, attrs map[string]string, slots map[string]int) (map[int]string, error) {
	if len(attrs) == 0 {
		return nil, nil
	}
	out := make(map[int]string, len(attrs))
	for name, v := range attrs {
		slot, err := attrSlot(field, name, slots)
		if err != nil {
			return nil, err
		}
		if err := checkAttrValue(field, name, v); err != nil {
			return nil, err
		}
		out[slot] = v
	}
	return out, nil
}

// interval and dailyLimit are the app's im_push spacing and quota.
func interval(app *config.App) time.Duration {
	if app.PushInterval > 0 {
		return time.Duration(app.PushInterval)
	}
	return DefaultInterval
}

func dailyLimit(app *config.App) int {
	if app.PushDailyLimit > 0 {
		return app.PushDailyLimit
	}
	return DefaultDailyLimit
}

// dayStart is the start of now's day in the vendor's zone.
func dayStart(now time.Time) time.Time {
	y, m, d := now.In(im.VendorZone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, im.VendorZone)
}

// slotName parses an attribute slot number, "0" to "9".
func slotName(key string) (int, bool) {
	n, err := strconv.Atoi(key)
	if err != nil || n < 0 || n >= im.PushAttrSlots || strconv.Itoa(n) != key {
		return 0, false
	}
	return n, true
}
