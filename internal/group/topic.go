package group

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// Topic IDs (rest-groups.md S3) and topic limits.
const (
	// TopicInfix joins a community's ID and a topic's own part.
	TopicInfix = "@TOPIC#_"
	// generatedTopicInfix starts the own part of assigned topic IDs;
	// custom parts must not contain it.
	generatedTopicInfix = "@TOPIC#_@TOPIC#"
	MaxTopicIDBytes     = 96
	MaxCustomString     = 3000

	// FeatureTopics is the per-app switch of community topics (11000).
	FeatureTopics = "group_topic"
)

// ValidCustomTopicID reports whether topicID may be a custom topic ID of
// the group: "<GroupId>@TOPIC#_<part>", the part printable ASCII without
// "@TGS#_" or "@TOPIC#_@TOPIC#", the whole at most 96 bytes.
func ValidCustomTopicID(groupID, topicID string) bool {
	part, ok := strings.CutPrefix(topicID, groupID+TopicInfix)
	if !ok || part == "" || len(topicID) > MaxTopicIDBytes ||
		strings.Contains(part, CommunityPrefix) || strings.Contains(topicID[len(groupID):], generatedTopicInfix) {
		return false
	}
	for i := 0; i < len(part); i++ {
		if part[i] < 0x20 || part[i] > 0x7e {
			return false
		}
	}
	return true
}

// topicGroup returns a community whose topics the app may manage: 11000
// when the topic feature is off or the group has no topics.
func (s *Service) topicGroup(ctx context.Context, app *config.App, groupID string) (*im.Group, error) {
	if !app.Enabled(FeatureTopics) {
		return nil, &im.Error{Code: im.CodeTopicsUnavailable, Info: "community topics are not enabled for this app"}
	}
	g, err := s.Get(ctx, app.SDKAppID, groupID)
	if err != nil {
		return nil, err
	}
	if g.Type != im.GroupCommunity || !g.SupportTopic {
		return nil, im.Errorf(im.CodeTopicsUnavailable, "group %s does not support topics: it is not a Community created with SupportTopic 1", groupID)
	}
	return g, nil
}

// topicOf returns a topic of g for commands that take an optional
// TopicId: 10007 when g has no topics, 10010 when the topic does not exist.
func (s *Service) topicOf(ctx context.Context, g *im.Group, topicID string) (*im.Topic, error) {
	if g.Type != im.GroupCommunity || !g.SupportTopic {
		return nil, im.Errorf(im.CodeGroupNotAllowed, "group %s has no topics", g.ID)
	}
	t, err := s.store.GetTopic(ctx, g.AppID, g.ID, topicID)
	if errors.Is(err, im.ErrNotFound) {
		return nil, im.Errorf(im.CodeGroupNotFound, "topic %s does not exist", topicID)
	}
	if err != nil {
		return nil, fmt.Errorf("group: topic %s: %w", topicID, err)
	}
	return t, nil
}

// Topic returns a topic for a message sent to it: 10004/10015/10010 for
// the group as Get, 10007 when the group has no topics, 10010 when the
// topic does not exist. The topic's NextMsgSeq is its message counter.
func (s *Service) Topic(ctx context.Context, appID uint64, groupID, topicID string) (*im.Topic, error) {
	g, err := s.Get(ctx, appID, groupID)
	if err != nil {
		return nil, err
	}
	return s.topicOf(ctx, g, topicID)
}

// TopicInput is create_topic / import_topic.
type TopicInput struct {
	GroupID      string
	TopicID      string // "" to have one assigned
	Name         *string
	Creator      string
	CustomString string
	FaceURL      string
	Notification string
	Introduction string
	// CreateTime is import_topic's original creation time; 0 means now.
	CreateTime int64
}

// CreateTopic is create_topic; the community's members are told.
func (s *Service) CreateTopic(ctx context.Context, app *config.App, by Operator, in TopicInput, now time.Time) (*im.Topic, error) {
	t, g, err := s.addTopic(ctx, app, by, in, now, false)
	if err != nil {
		return nil, err
	}
	s.hooks.AfterCreateTopic(ctx, by, g, t)
	ev := TopicEvent{Type: EventTopicCreated, GroupId: g.ID, Operator_Account: by.UserID, TopicInfo: NewTopicInfo(t)}
	s.notify(EventTopicCreated, g.ID, func(n Notifier) error { return n.GroupEvent(ctx, g.AppID, g.ID, ev) })
	return t, nil
}

// ImportTopic is import_topic: a topic migrated from another system, with
// its original creation time, silently.
func (s *Service) ImportTopic(ctx context.Context, app *config.App, by Operator, in TopicInput, now time.Time) (*im.Topic, error) {
	if in.CreateTime < 0 || in.CreateTime > now.Unix() {
		return nil, im.Errorf(im.CodeGroupBadParam, "CreateTime %d must not be negative or in the future", in.CreateTime)
	}
	t, _, err := s.addTopic(ctx, app, by, in, now, true)
	return t, err
}

func (s *Service) addTopic(ctx context.Context, app *config.App, by Operator, in TopicInput, now time.Time, imported bool) (*im.Topic, *im.Group, error) {
	if in.Name == nil || *in.Name == "" {
		return nil, nil, &im.Error{Code: im.CodeGroupBadParam, Info: "TopicName is required"}
	}
	if err := checkTopicProfile(profileFields{Name: *in.Name, Introduction: in.Introduction, Notification: in.Notification, FaceURL: in.FaceURL}, in.CustomString); err != nil {
		return nil, nil, err
	}
	g, err := s.topicGroup(ctx, app, in.GroupID)
	if err != nil {
		return nil, nil, err
	}
	if err := s.authorize(ctx, actTopics, g, by); err != nil {
		return nil, nil, err
	}
	if !imported {
		if err := s.hooks.BeforeCreateTopic(ctx, by, g, *in.Name); err != nil {
			return nil, nil, err
		}
	}
	custom := in.TopicID != ""
	if custom && !ValidCustomTopicID(g.ID, in.TopicID) {
		return nil, nil, im.Errorf(im.CodeTopicInvalidID, "TopicId must be %s%s followed by 1 or more printable ASCII characters, without %s or %s, at most %d bytes in all",
			g.ID, TopicInfix, CommunityPrefix, generatedTopicInfix, MaxTopicIDBytes)
	}
	created := now.Unix()
	if imported && in.CreateTime > 0 {
		created = in.CreateTime
	}
	t := &im.Topic{AppID: g.AppID, GroupID: g.ID, ID: in.TopicID, Name: *in.Name, FaceURL: in.FaceURL,
		Notification: in.Notification, Introduction: in.Introduction, CustomString: in.CustomString,
		Creator: in.Creator, CreateTime: created, NextMsgSeq: 1}
	for attempt := 0; ; attempt++ {
		if !custom {
			t.ID = g.ID + generatedTopicInfix + "c" + s.newID()
		}
		err = s.store.CreateTopic(ctx, t, app.Topics())
		switch {
		case err == nil:
			return t, g, nil
		case errors.Is(err, im.ErrFull):
			return nil, nil, im.Errorf(im.CodeGroupJoinLimit, "community %s already holds %d topics", g.ID, app.Topics())
		case errors.Is(err, im.ErrNotFound):
			return nil, nil, im.Errorf(im.CodeGroupNotFound, "group %s does not exist", g.ID)
		case !errors.Is(err, im.ErrConflict):
			return nil, nil, fmt.Errorf("group: create topic in %s: %w", g.ID, err)
		case !custom && attempt < 3:
			continue
		case imported:
			return nil, nil, im.Errorf(im.CodeGroupIDTaken, "topic ID %s is already in use", t.ID)
		default:
			return nil, nil, im.Errorf(im.CodeGroupIDTakenByOwner, "topic ID %s is already in use; destroy that topic first", t.ID)
		}
	}
}

func checkTopicProfile(p profileFields, custom string) error {
	if err := checkProfileSizes(p); err != nil {
		return err
	}
	if len(custom) > MaxCustomString {
		return im.Errorf(im.CodeGroupBadParam, "CustomString is over %d bytes", MaxCustomString)
	}
	return nil
}

// TopicResult is one topic's outcome in destroy_topic and get_topic: the
// topic, or the error for it.
type TopicResult struct {
	TopicID string
	Topic   *im.Topic
	Err     *im.Error
}

// DestroyTopics is destroy_topic: each topic is deleted or reported with
// its error (110003 when it does not exist).
func (s *Service) DestroyTopics(ctx context.Context, app *config.App, by Operator, groupID string, topicIDs []string) ([]TopicResult, error) {
	if len(topicIDs) == 0 || len(topicIDs) > app.Topics() {
		return nil, im.Errorf(im.CodeGroupBadParam, "TopicIdList must hold 1 to %d topic IDs", app.Topics())
	}
	g, err := s.topicGroup(ctx, app, groupID)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, actTopics, g, by); err != nil {
		return nil, err
	}
	results := make([]TopicResult, len(topicIDs))
	var deleted []string
	for i, id := range topicIDs {
		results[i].TopicID = id
		err := s.store.DeleteTopic(ctx, g.AppID, g.ID, id)
		switch {
		case errors.Is(err, im.ErrNotFound):
			results[i].Err = im.Errorf(im.CodeTopicNotFound, "topic %s does not exist or was already destroyed", id)
		case err != nil:
			results[i].Err = im.Errorf(im.CodeTopicDeleteFailed, "topic %s could not be destroyed, retry", id)
		default:
			deleted = append(deleted, id)
		}
	}
	if len(deleted) > 0 {
		s.hooks.AfterDestroyTopics(ctx, g, deleted)
		ev := TopicDeleted{Type: EventTopicDeleted, GroupId: g.ID, Operator_Account: by.UserID, TopicIdList: deleted}
		s.notify(EventTopicDeleted, g.ID, func(n Notifier) error { return n.GroupEvent(ctx, g.AppID, g.ID, ev) })
	}
	return results, nil
}

// TopicSelf is a user's state in one topic (get_topic's SelfInfo).
type TopicSelf struct {
	MsgFlag   string
	MuteUntil int64 // the user's mute in the topic, 0 when not muted
}

// Topics is get_topic: the listed topics (all of them when none is
// listed), each with its error when it does not exist, and user's state in
// each; self is nil when user is not a member of the community.
func (s *Service) Topics(ctx context.Context, app *config.App, groupID string, topicIDs []string, user string, now time.Time) ([]TopicResult, map[string]TopicSelf, error) {
	if user == "" {
		return nil, nil, &im.Error{Code: im.CodeGroupBadParam, Info: "From_Account is required"}
	}
	g, err := s.topicGroup(ctx, app, groupID)
	if err != nil {
		return nil, nil, err
	}
	var results []TopicResult
	if len(topicIDs) == 0 {
		all, err := s.store.ListTopics(ctx, g.AppID, g.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("group: topics of %s: %w", g.ID, err)
		}
		for i := range all {
			results = append(results, TopicResult{TopicID: all[i].ID, Topic: &all[i]})
		}
	}
	for _, id := range topicIDs {
		t, err := s.store.GetTopic(ctx, g.AppID, g.ID, id)
		switch {
		case errors.Is(err, im.ErrNotFound):
			results = append(results, TopicResult{TopicID: id, Err: im.Errorf(im.CodeTopicNotFound, "topic %s does not exist", id)})
		case err != nil:
			return nil, nil, fmt.Errorf("group: topic %s: %w", id, err)
		default:
			results = append(results, TopicResult{TopicID: id, Topic: t})
		}
	}
	members, err := s.store.GetMembers(ctx, g.AppID, g.ID, []string{user})
	if err != nil {
		return nil, nil, fmt.Errorf("group: topics of %s: %w", g.ID, err)
	}
	m, ok := members[user]
	if !ok {
		return results, nil, nil
	}
	self := map[string]TopicSelf{}
	for _, r := range results {
		if r.Topic == nil {
			continue
		}
		until, err := s.store.MutedUntil(ctx, g.AppID, g.ID, r.TopicID, user, now.Unix())
		if err != nil {
			return nil, nil, fmt.Errorf("group: topics of %s: %w", g.ID, err)
		}
		self[r.TopicID] = TopicSelf{MsgFlag: m.MsgFlag, MuteUntil: until}
	}
	return results, self, nil
}

// TopicChange is modify_topic: nil fields stay as they are.
type TopicChange struct {
	Name, FaceURL, Notification, Introduction, CustomString *string
	MuteAllMember                                           *bool
}

// ModifyTopic is modify_topic; the community's members are told.
func (s *Service) ModifyTopic(ctx context.Context, app *config.App, by Operator, groupID, topicID string, ch TopicChange) error {
	if topicID == "" {
		return &im.Error{Code: im.CodeGroupBadParam, Info: "TopicId is required"}
	}
	if ch.Name != nil && *ch.Name == "" {
		return &im.Error{Code: im.CodeGroupBadParam, Info: "TopicName must not be empty"}
	}
	if err := checkTopicProfile(profileFields{Name: deref(ch.Name), Introduction: deref(ch.Introduction),
		Notification: deref(ch.Notification), FaceURL: deref(ch.FaceURL)}, deref(ch.CustomString)); err != nil {
		return err
	}
	g, err := s.topicGroup(ctx, app, groupID)
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, actTopics, g, by); err != nil {
		return err
	}
	changed := false
	var profile TopicChange // the profile fields that changed, for the callback
	t, err := s.store.UpdateTopic(ctx, g.AppID, g.ID, topicID, func(t *im.Topic) error {
		profile = TopicChange{}
		keep := func(set bool, v *string) *string {
			changed = set || changed
			if set {
				return v
			}
			return nil
		}
		profile.Name = keep(setIf(&t.Name, ch.Name), ch.Name)
		profile.FaceURL = keep(setIf(&t.FaceURL, ch.FaceURL), ch.FaceURL)
		profile.Notification = keep(setIf(&t.Notification, ch.Notification), ch.Notification)
		profile.Introduction = keep(setIf(&t.Introduction, ch.Introduction), ch.Introduction)
		changed = setIf(&t.CustomString, ch.CustomString) || changed
		changed = setIf(&t.MuteAllMember, ch.MuteAllMember) || changed
		return nil
	})
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeGroupNotFound, "topic %s does not exist", topicID)
	}
	if err != nil {
		return fmt.Errorf("group: modify topic %s: %w", topicID, err)
	}
	if profile != (TopicChange{}) {
		s.hooks.AfterTopicChange(ctx, by, g, topicID, profile)
	}
	if changed {
		ev := TopicEvent{Type: EventTopicChanged, GroupId: g.ID, Operator_Account: by.UserID, TopicInfo: NewTopicInfo(t)}
		s.notify(EventTopicChanged, g.ID, func(n Notifier) error { return n.GroupEvent(ctx, g.AppID, g.ID, ev) })
	}
	return nil
}

// setIf stores *v in *dst when v is given and differs, reporting whether
// it did.
func setIf[T comparable](dst *T, v *T) bool {
	if v == nil || *v == *dst {
		return false
	}
	*dst = *v
	return true
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
