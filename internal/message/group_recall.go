package message

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chatd/chatd/internal/im"
)

// Limits of recalls (rest-messages.md group_msg_recall,
// delete_group_msg_by_sender).
const (
	// MaxRecall is how many messages one group_msg_recall names.
	MaxRecall = 10
	// MaxRecallReason caps Reason, in bytes.
	MaxRecallReason = 100
	// RecallWindow is how long a member may recall their own message from
	// a client; the group's owner and admins may recall any message.
	RecallWindow = 2 * time.Minute
	// SenderScan is how many of a group's newest messages
	// delete_group_msg_by_sender looks through.
	SenderScan = 1000
)

// FeatureRecall is the per-app switch of group_msg_recall (10041 when
// off).
const FeatureRecall = "group_msg_recall"

// MsgSeqList is a list of group messages as requests carry it, REST and
// client alike: [{"MsgSeq": n}, ...].
type MsgSeqList []struct {
	MsgSeq int64 `json:"MsgSeq"`
}

// Seqs returns the listed numbers, in order.
func (l MsgSeqList) Seqs() []int64 {
	out := make([]int64, len(l))
	for i, it := range l {
		out[i] = it.MsgSeq
	}
	return out
}

// RecallInput is group_msg_recall: an app admin recalls messages.
type RecallInput struct {
	GroupID  string
	TopicID  string
	Seqs     []int64
	Reason   string
	Operator string
	// Enabled is the app's switch of group recalls (10041 when off).
	Enabled bool
}

// Recall recalls up to MaxRecall messages of a group or topic, whatever
// their age. It returns one code per message: 0, 10030 (no such message)
// or 10032 (recalled already). Recalled messages leave history pulls and
// come back from syncs without their content; members are told with a
// GroupMsgRecalled group event.
func (s *Service) Recall(ctx context.Context, appID uint64, in RecallInput, now time.Time) ([]int, error) {
	if !in.Enabled {
		return nil, &im.Error{Code: im.CodeGroupRecallOff, Info: "recalling group messages is switched off for this app"}
	}
	if len(in.Seqs) == 0 || len(in.Seqs) > MaxRecall {
		return nil, im.Errorf(im.CodeGroupBadParam, "MsgSeqList must hold 1 to %d messages", MaxRecall)
	}
	if len(in.Reason) > MaxRecallReason {
		return nil, im.Errorf(im.CodeGroupBadParam, "Reason is over %d bytes", MaxRecallReason)
	}
	g, st, err := s.recallStream(ctx, appID, in.GroupID, in.TopicID)
	if err != nil {
		return nil, err
	}
	errs, err := s.recall(ctx, g, st, in.Seqs, in.Operator, in.Reason, now, notRecalled)
	if err != nil {
		return nil, err
	}
	codes := make([]int, len(errs))
	for i, err := range errs {
		codes[i] = recallCode(err)
	}
	return codes, nil
}

// recallCode is a recall's per-message RetCode.
func recallCode(err error) int {
	var e *im.Error
	switch {
	case err == nil:
		return 0
	case errors.As(err, &e):
		return e.Code
	default:
		return im.CodeGroupMsgNotFound
	}
}

// notRecalled refuses a message recalled already.
func notRecalled(m *im.GroupMessage) error {
	if m.Recalled {
		return im.Errorf(im.CodeGroupMsgNoRecall, "message %d was recalled already", m.Seq)
	}
	return nil
}

// recallStream names the group and the stream a recall acts on: 10033
// for a live group, whose messages are not stored.
func (s *Service) recallStream(ctx context.Context, appID uint64, groupID, topicID string) (*im.Group, im.MsgStream, error) {
	g, err := s.groups.Get(ctx, appID, groupID)
	if err != nil {
		return nil, im.MsgStream{}, err
	}
	if g.Type == im.GroupAVChatRoom {
		return nil, im.MsgStream{}, im.Errorf(im.CodeGroupNoRecall, "group %s is an AVChatRoom: its messages are not stored and cannot be recalled", g.ID)
	}
	st, err := s.topicStream(ctx, g, topicID)
	return g, st, err
}

// recall marks messages recalled with the group event that tells the
// members, and pushes it.
func (s *Service) recall(ctx context.Context, g *im.Group, st im.MsgStream, seqs []int64, operator, reason string, now time.Time,
	decide func(m *im.GroupMessage) error) ([]error, error) {
	var recalled []int64
	event := s.recalledEvent(st, operator, reason, now)
	errs, done, err := s.store.RecallGroupMessages(ctx, st, seqs, decide, func(seqs []int64) im.StreamWrite {
		recalled = seqs
		return event(seqs)
	})
	if err != nil {
		return nil, s.streamErr(st, "recall", err)
	}
	if done != nil {
		s.streams.PushCommitted(ctx, done.Write, done.Result)
		s.hooks.AfterRecallGroup(ctx, g, st, operator, recalled)
	}
	return errs, nil
}

// recalledEvent builds the GroupMsgRecalled event of a recall.
func (s *Service) recalledEvent(st im.MsgStream, operator, reason string, now time.Time) func([]int64) im.StreamWrite {
	return func(recalled []int64) im.StreamWrite {
		return groupEventWrite(st, now, groupMsgRecalled{Type: TypeGroupMsgRecalled, GroupID: st.GroupID, TopicID: st.TopicID,
			Operator_Account: operator, MsgSeqList: recalled, Reason: reason})
	}
}

// groupEventWrite puts ev into the group's event stream.
func groupEventWrite(st im.MsgStream, now time.Time, ev any) im.StreamWrite {
	return im.StreamWrite{AppID: st.AppID, Time: now.Unix(), GroupEvents: []im.GroupEventAppend{{GroupID: st.GroupID, Payload: encode(ev)}}}
}

// streamErr reports a store failure of a stream's change: the group or
// topic gone by now is 10010, anything else is wrapped.
func (s *Service) streamErr(st im.MsgStream, what string, err error) error {
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeGroupNotFound, "group %s (or its topic) does not exist", st.GroupID)
	}
	return fmt.Errorf("message: %s in %s: %w", what, st.GroupID, err)
}

// RecallOwn recalls one message from a client: a member's own message
// within RecallWindow, or, for the group's owner and admins, a message of
// anyone below them in rank, whatever its age. Codes: 10030 no such
// message, 10031 past the window, 10032 recalled already, 10007 not a
// member or not allowed, 10033 a live group.
func (s *Service) RecallOwn(ctx context.Context, appID uint64, userID, groupID, topicID string, seq int64, now time.Time) error {
	g, st, err := s.recallStream(ctx, appID, groupID, topicID)
	if err != nil {
		return err
	}
	self, err := s.member(ctx, appID, groupID, userID)
	if err != nil {
		return err
	}
	msgs, err := s.store.GetGroupMessages(ctx, st, []int64{seq})
	if err != nil {
		return fmt.Errorf("message: recall in %s: %w", groupID, err)
	}
	m, ok := msgs[seq]
	if !ok {
		return im.Errorf(im.CodeGroupMsgNotFound, "message %d does not exist", seq)
	}
	if err := s.mayRecall(ctx, &m, self, now); err != nil {
		return err
	}
	errs, err := s.recall(ctx, g, st, []int64{seq}, userID, "", now, notRecalled)
	if err != nil {
		return err
	}
	if errors.Is(errs[0], im.ErrNotFound) {
		return im.Errorf(im.CodeGroupMsgNotFound, "message %d does not exist", seq)
	}
	return errs[0]
}

// recallRank orders who may recall whose messages: the owner over admins
// over members over everyone else (non-members, app admins sending by
// REST).
var recallRank = map[string]int{im.RoleOwner: 3, im.RoleAdmin: 2, im.RoleMember: 1}

// mayRecall checks a client's recall of m by the member self.
func (s *Service) mayRecall(ctx context.Context, m *im.GroupMessage, self im.Member, now time.Time) error {
	privileged := self.Role == im.RoleOwner || self.Role == im.RoleAdmin
	if m.From == self.UserID {
		if !privileged && now.Sub(time.Unix(m.Time, 0)) > RecallWindow {
			return im.Errorf(im.CodeGroupMsgTooOld, "message %d is older than %v: it can no longer be recalled", m.Seq, RecallWindow)
		}
		return nil
	}
	if !privileged {
		return im.Errorf(im.CodeGroupNotAllowed, "%s may recall only their own messages", self.UserID)
	}
	members, err := s.store.GetMembers(ctx, m.AppID, m.GroupID, []string{m.From})
	if err != nil {
		return fmt.Errorf("message: role of %s: %w", m.From, err)
	}
	if recallRank[self.Role] <= recallRank[members[m.From].Role] {
		return im.Errorf(im.CodeGroupNotAllowed, "%s may not recall messages of %s, whose role is not below theirs", self.UserID, m.From)
	}
	return nil
}

// DeleteBySender is delete_group_msg_by_sender: every message of sender
// among the group's (or topic's) newest SenderScan is recalled silently —
// no push. The recall is still a GroupMsgRecalled event of the group's
// stream, so clients see it when they next sync the group. An AVChatRoom
// stores nothing: the call succeeds and changes nothing.
func (s *Service) DeleteBySender(ctx context.Context, appID uint64, groupID, topicID, sender, operator string, now time.Time) error {
	if sender == "" {
		return &im.Error{Code: im.CodeGroupBadParam, Info: "Sender_Account is required"}
	}
	g, err := s.groups.Get(ctx, appID, groupID)
	if err != nil || g.Type == im.GroupAVChatRoom {
		return err
	}
	st, err := s.topicStream(ctx, g, topicID)
	if err != nil {
		return err
	}
	if _, _, err := s.store.RecallBySender(ctx, st, sender, SenderScan, s.recalledEvent(st, operator, "", now)); err != nil {
		return s.streamErr(st, "delete messages of "+sender, err)
	}
	return nil
}
