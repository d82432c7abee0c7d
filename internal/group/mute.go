package group

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// MaxMuteAccounts is forbid_send_msg's batch limit.
const MaxMuteAccounts = 500

// muteEnd is when a mute of seconds from now ends; 0 seconds unmutes.
func muteEnd(seconds int64, now time.Time) int64 {
	if seconds == 0 {
		return 0
	}
	return now.Unix() + seconds
}

// Mute is forbid_send_msg: the users may not send in the group (or in one
// of its topics) for seconds from now; 0 unmutes. Users who are not
// members are muted too: a mute outlives the membership, so it holds when
// they join.
func (s *Service) Mute(ctx context.Context, app *config.App, by Operator, groupID, topicID string, userIDs []string, seconds int64, now time.Time) error {
	if err := checkBatch(userIDs, MaxMuteAccounts, "Members_Account"); err != nil {
		return err
	}
	if seconds < 0 || seconds > MaxMuteSeconds {
		return im.Errorf(im.CodeGroupBadParam, "MuteTime must be 0 to %d seconds", int64(MaxMuteSeconds))
	}
	g, err := s.Get(ctx, app.SDKAppID, groupID)
	if err != nil {
		return err
	}
	if err := supports(actMute, g); err != nil {
		return err
	}
	if topicID != "" {
		if _, err := s.topicOf(ctx, g, topicID); err != nil {
			return err
		}
	}
	if err := s.authorizeOn(ctx, actMute, g, by, userIDs); err != nil {
		return err
	}
	mutes := make([]im.Mute, len(userIDs))
	for i, id := range userIDs {
		mutes[i] = im.Mute{UserID: id, Until: muteEnd(seconds, now)}
	}
	err = s.store.SetMutes(ctx, g.AppID, g.ID, topicID, mutes, now.Unix())
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeGroupNotFound, "group %s does not exist", g.ID)
	}
	if err != nil {
		return fmt.Errorf("group: mute in %s: %w", g.ID, err)
	}
	s.notifyMutes(ctx, g, topicID, by, mutes)
	return nil
}

func (s *Service) notifyMutes(ctx context.Context, g *im.Group, topicID string, by Operator, mutes []im.Mute) {
	ev := MembersMuted{Type: EventMembersMuted, GroupId: g.ID, TopicId: topicID, Operator_Account: by.UserID,
		MutedAccountList: make([]MutedAccount, len(mutes))}
	for i, m := range mutes {
		ev.MutedAccountList[i] = MutedAccount{Member_Account: m.UserID, MutedUntil: m.Until}
	}
	s.notify(EventMembersMuted, g.ID, func(n Notifier) error { return n.GroupEvent(ctx, g.AppID, g.ID, ev) })
}

// Muted is get_group_muted_account: the mutes of a group (or of one of
// its topics) still in force, by UserID.
func (s *Service) Muted(ctx context.Context, appID uint64, groupID, topicID string, now time.Time) ([]im.Mute, error) {
	g, err := s.Get(ctx, appID, groupID)
	if err != nil {
		return nil, err
	}
	if topicID != "" {
		if _, err := s.topicOf(ctx, g, topicID); err != nil {
			return nil, err
		}
	}
	mutes, err := s.store.ListMutes(ctx, appID, g.ID, topicID, now.Unix())
	if err != nil {
		return nil, fmt.Errorf("group: mutes of %s: %w", g.ID, err)
	}
	return mutes, nil
}

// MutedUntil returns when userID's mute in the group (topicID "") or in
// one of its topics ends, 0 when they are not muted at now. Message sends
// call it where no member row carries the mute: live groups and topics.
func (s *Service) MutedUntil(ctx context.Context, appID uint64, groupID, topicID, userID string, now time.Time) (int64, error) {
	until, err := s.store.MutedUntil(ctx, appID, groupID, topicID, userID, now.Unix())
	if err != nil {
		return 0, fmt.Errorf("group: mute of %s in %s: %w", userID, groupID, err)
	}
	return until, nil
}
