package message

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// SendMsgControl values a group message may carry (rest-messages.md S5).
const (
	NoUnread  = "NoUnread"
	NoLastMsg = "NoLastMsg"
)

// GroupAt is one @-mention (rest-messages.md S6), in its wire shape: it
// is stored and travels unchanged into the event.
type GroupAt struct {
	GroupAtAllFlag  int    `json:"GroupAtAllFlag"`
	GroupAt_Account string `json:"GroupAt_Account,omitempty"`
}

// SendInput is a group message to send, from send_group_msg or a client.
type SendInput struct {
	GroupID string
	TopicID string
	// Callbacks are the send callbacks the message skips.
	Callbacks Callbacks
	// From is the sender. FromAdmin says it is an app admin (the caller
	// itself when the request names no sender): an admin need not be
	// imported by name or be a member, and mute-all does not hold it.
	From             string
	FromAdmin        bool
	Random           uint32
	Priority         string // "" means Normal
	Body             []im.MsgElem
	CloudCustomData  string
	OfflinePushInfo  json.RawMessage // nil when absent
	OnlineOnly       bool
	SendMsgControl   []string
	NeedReadReceipt  bool
	SupportExtension bool
	// To restricts delivery to these members; empty delivers to all.
	To      []string
	GroupAt []GroupAt
}

// Sent is where a group message landed: its MsgSeq (in its topic, for a
// topic message) and MsgTime. A duplicate is answered with the original's.
type Sent struct {
	Seq  int64
	Time int64
}

// Send posts a message into a group or one of its topics: it checks the
// request, the group and the sender, and the group's rate (GroupMsgRate:
// 10023 beyond), commits the message (or only its MsgSeq, for messages
// that are not kept), and then pushes it. Push failures are logged, not
// returned: the message is committed by then, and clients that missed the
// push fetch it by its MsgSeq.
func (s *Service) Send(ctx context.Context, appID uint64, in SendInput, now time.Time) (Sent, error) {
	var g *im.Group
	sent, refused, err := s.send(ctx, appID, in, now, &g)
	if err != nil && !refused && in.GroupID != "" {
		s.hooks.SendGroupFailed(ctx, appID, g, &in, im.AsError(err, im.CodeGroupInternal))
	}
	return sent, err
}

// send is Send; it sets *group once the group is known, and refused
// reports an error that is the app's own refusal, which is no failure to
// report back to it.
func (s *Service) send(ctx context.Context, appID uint64, in SendInput, now time.Time, group **im.Group) (_ Sent, refused bool, _ error) {
	msg, err := in.message(appID, now)
	if err != nil {
		return Sent{}, false, err
	}
	g, err := s.groups.Get(ctx, appID, in.GroupID)
	if err != nil {
		return Sent{}, false, err
	}
	*group = g
	if err := in.checkGroup(g); err != nil {
		return Sent{}, false, err
	}
	var topic *im.Topic
	if in.TopicID != "" {
		if topic, err = s.groups.Topic(ctx, appID, g.ID, in.TopicID); err != nil {
			return Sent{}, false, err
		}
	}
	if err := s.checkSender(ctx, g, topic, in, now); err != nil {
		return Sent{}, false, err
	}
	if !in.FromAdmin && s.senders != nil {
		if err := s.senders.CheckMuted(ctx, appID, in.From, true); err != nil {
			return Sent{}, false, err
		}
	}
	if !s.limiter.Allow(appID, g.ID, now) {
		return Sent{}, false, im.Errorf(im.CodeGroupMsgRateLimit, "group %s takes at most %d messages per second", g.ID, GroupMsgRate)
	}
	if keep, err := s.beforeSendGroup(ctx, g, msg, in.OnlineOnly, in.Callbacks); err != nil || !keep {
		// A dropped message is answered as sent, at no MsgSeq.
		return Sent{Time: msg.Time}, err != nil, err
	}
	a := im.GroupAppend{Msg: *msg, Keep: g.Type != im.GroupAVChatRoom && !in.OnlineOnly,
		ContentHash: contentHash(msg), DedupSince: now.Add(-stream.GroupDedupWindow).Unix()}
	streamed := a.Msg.TopicID == "" && !a.Msg.NoUnread && !a.Msg.NoLastMsg
	var cbs []im.Callback
	if streamed && !in.Callbacks.SkipAfter {
		// Stored with the message, queued once it commits.
		cbs = s.hooks.RecordAfterSendGroup(ctx, g, msg, in.OnlineOnly)
	}
	res, err := s.commit(ctx, a, streamed, cbs)
	if errors.Is(err, im.ErrNotFound) && topic != nil {
		return Sent{}, false, im.Errorf(im.CodeGroupNotFound, "topic %s does not exist", in.TopicID)
	}
	if errors.Is(err, im.ErrNotFound) {
		return Sent{}, false, im.Errorf(im.CodeGroupNotFound, "group %s does not exist", in.GroupID)
	}
	if err != nil {
		return Sent{}, false, fmt.Errorf("message: send to %s: %w", in.GroupID, err)
	}
	if !res.Duplicate {
		msg.Seq, msg.Time = res.GroupSeq, res.GroupTime
		s.streams.PushGroup(context.WithoutCancel(ctx), appID, g.Type, g.ID, pushOf(msg, in.OnlineOnly), in.To)
		if !in.Callbacks.SkipAfter && !streamed {
			s.hooks.AfterSendGroup(ctx, g, msg, in.OnlineOnly)
		}
		if msg.NeedReadReceipt && msg.TopicID == "" {
			s.hooks.AfterReceipts(ctx, g, "", []ReceiptCount{{MsgSeq: msg.Seq, UnreadNum: max(g.MemberNum-1, 0)}})
		}
	}
	return Sent{Seq: res.GroupSeq, Time: res.GroupTime}, false, nil
}

// beforeSendGroup runs the app's before-send callback, applying its
// rewrite; false when the app drops the message.
func (s *Service) beforeSendGroup(ctx context.Context, g *im.Group, msg *im.GroupMessage, onlineOnly bool, cb Callbacks) (bool, error) {
	if cb.SkipBefore {
		return true, nil
	}
	v, err := s.hooks.BeforeSendGroup(ctx, g, msg, onlineOnly)
	return keep(v, err, &msg.Body, &msg.CloudCustomData, im.CodeGroupBadParam, im.CodeMsgTooLong)
}

// commit stores one message. The group's own messages (streamed) go
// through the streams' group committer, with the callbacks reporting
// them; a topic message, or one with SendMsgControl, needs columns the
// streams do not write, so it is committed in a transaction of its own
// (AppendGroupMessages).
func (s *Service) commit(ctx context.Context, a im.GroupAppend, streamed bool, cbs []im.Callback) (im.StreamResult, error) {
	if streamed {
		res, err := s.streams.Commit(ctx, im.StreamWrite{AppID: a.Msg.AppID, Time: a.Msg.Time, Group: &a, Callbacks: cbs})
		if err == nil {
			err = res.Err
		}
		return res, err
	}
	res, err := s.store.AppendGroupMessages(ctx, []im.GroupAppend{a})
	if err != nil {
		return im.StreamResult{}, err
	}
	return res[0], res[0].Err
}

// message checks what the request alone decides and builds the message.
func (in *SendInput) message(appID uint64, now time.Time) (*im.GroupMessage, error) {
	priority := im.PriorityNormal
	if in.Priority != "" {
		var ok bool
		if priority, ok = priorities[in.Priority]; !ok {
			return nil, im.Errorf(im.CodeGroupBadParam, "MsgPriority %q must be High, Normal or Low", in.Priority)
		}
	}
	for _, c := range in.SendMsgControl {
		if c != NoUnread && c != NoLastMsg {
			return nil, im.Errorf(im.CodeGroupBadParam, "SendMsgControl %q must be NoUnread or NoLastMsg", c)
		}
	}
	if in.OnlineOnly && len(in.SendMsgControl) > 0 {
		return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "SendMsgControl cannot be combined with OnlineOnlyFlag 1"}
	}
	if len(in.To) > MaxToAccounts {
		return nil, im.Errorf(im.CodeGroupBadParam, "To_Account lists %d accounts, at most %d", len(in.To), MaxToAccounts)
	}
	if len(in.GroupAt) > MaxGroupAts {
		return nil, im.Errorf(im.CodeGroupTooManyAts, "GroupAtInfo holds %d mentions, at most %d", len(in.GroupAt), MaxGroupAts)
	}
	for _, at := range in.GroupAt {
		if at.GroupAtAllFlag != 0 && at.GroupAtAllFlag != 1 || at.GroupAtAllFlag == 0 && at.GroupAt_Account == "" {
			return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "each GroupAtInfo entry needs GroupAtAllFlag 1, or 0 with GroupAt_Account"}
		}
	}
	if in.OfflinePushInfo != nil {
		if b := bytes.TrimSpace(in.OfflinePushInfo); len(b) == 0 || b[0] != '{' {
			return nil, &im.Error{Code: im.CodeGroupBadParam, Info: "OfflinePushInfo must be a JSON object"}
		}
	}
	body, err := encodeBody(in.Body, im.CodeGroupBadParam)
	if err != nil {
		return nil, err
	}
	if n := len(body) + len(in.CloudCustomData); n > MaxContentBytes {
		return nil, im.Errorf(im.CodeMsgTooLong, "message content is %d bytes, over %d", n, MaxContentBytes)
	}
	m := &im.GroupMessage{
		AppID: appID, GroupID: in.GroupID, From: in.From, Time: now.Unix(), Random: in.Random,
		Priority: priority, Body: body, CloudCustomData: in.CloudCustomData, OfflinePushInfo: in.OfflinePushInfo,
		To: in.To, NeedReadReceipt: in.NeedReadReceipt, SupportExtension: in.SupportExtension, TopicID: in.TopicID,
		NoUnread: slices.Contains(in.SendMsgControl, NoUnread), NoLastMsg: slices.Contains(in.SendMsgControl, NoLastMsg),
	}
	if len(in.GroupAt) > 0 {
		m.AtInfo = encode(in.GroupAt)
	}
	return m, nil
}

// checkGroup refuses options the group's type does not take.
func (in *SendInput) checkGroup(g *im.Group) error {
	notFor := func(what string) error {
		return im.Errorf(im.CodeGroupNotAllowed, "%s is not allowed in a %s group", what, g.Type)
	}
	switch {
	case g.Type == im.GroupAVChatRoom && in.OnlineOnly:
		return notFor("OnlineOnlyFlag 1")
	case g.Type == im.GroupAVChatRoom && len(in.SendMsgControl) > 0:
		return notFor("SendMsgControl")
	case g.Type == im.GroupAVChatRoom && slices.ContainsFunc(in.GroupAt, func(a GroupAt) bool { return a.GroupAtAllFlag == 1 }):
		return notFor("@everyone")
	case g.Type == im.GroupChatRoom && slices.Contains(in.SendMsgControl, NoUnread):
		// Meeting messages are never counted as unread in chatd.
		return notFor("NoUnread")
	case len(in.To) > 0 && (g.Type == im.GroupAVChatRoom || g.Type == im.GroupCommunity):
		return notFor("To_Account")
	}
	return nil
}

// groupSenderImported refuses a group message whose sender is not an
// account (10xxx code of the group API).
func (s *Service) groupSenderImported(ctx context.Context, appID uint64, from string) error {
	found, err := s.accounts.Imported(ctx, appID, []string{from})
	if err != nil {
		return fmt.Errorf("message: sender %s: %w", from, err)
	}
	if !found[from] {
		return im.Errorf(im.CodeGroupAccountNotFound, "From_Account %s is not imported", from)
	}
	return nil
}

// checkSender checks that the sender exists, belongs to the group and is
// not muted, in the group or in the topic. It reads the sender's own
// membership and mute only, never the member list: a send costs the same
// in a group of 10 or of 100,000.
func (s *Service) checkSender(ctx context.Context, g *im.Group, topic *im.Topic, in SendInput, now time.Time) error {
	if !in.FromAdmin {
		if err := s.groupSenderImported(ctx, g.AppID, in.From); err != nil {
			return err
		}
	}
	var self *im.Member
	if g.Type != im.GroupAVChatRoom {
		members, err := s.store.GetMembers(ctx, g.AppID, g.ID, []string{in.From})
		if err != nil {
			return fmt.Errorf("message: membership of %s in %s: %w", in.From, g.ID, err)
		}
		if m, ok := members[in.From]; ok {
			self = &m
		} else if !in.FromAdmin {
			return im.Errorf(im.CodeGroupNotAllowed, "%s is not a member of group %s", in.From, g.ID)
		}
	}
	if self != nil && self.MuteUntil > now.Unix() {
		return im.Errorf(im.CodeGroupSenderMuted, "%s is muted in group %s until %d", in.From, g.ID, self.MuteUntil)
	}
	// A live group keeps its mutes without member rows, a topic its own.
	if !in.FromAdmin && (g.Type == im.GroupAVChatRoom || topic != nil) {
		where := ""
		if topic != nil {
			where = topic.ID
		}
		until, err := s.groups.MutedUntil(ctx, g.AppID, g.ID, where, in.From, now)
		if err != nil {
			return err
		}
		if until > 0 {
			return im.Errorf(im.CodeGroupSenderMuted, "%s is muted in %s until %d", in.From, cmp.Or(where, g.ID), until)
		}
	}
	// As with the vendor, mute-all holds ordinary members only.
	privileged := in.FromAdmin || in.From == g.Owner || self != nil && (self.Role == im.RoleOwner || self.Role == im.RoleAdmin)
	if g.MuteAllMember && !privileged {
		return im.Errorf(im.CodeGroupSenderMuted, "group %s is muted for all members", g.ID)
	}
	if topic != nil && topic.MuteAllMember && !privileged {
		return im.Errorf(im.CodeGroupSenderMuted, "topic %s is muted for all members", topic.ID)
	}
	return nil
}

// contentHash is the content half of a duplicate key: the sender, the body
// and the custom data. A topic message's key includes its topic: topics
// are streams of their own, and their keys share the group's table.
func contentHash(m *im.GroupMessage) int64 {
	if m.TopicID != "" {
		return hashParts([]byte(m.From), m.Body, []byte(m.CloudCustomData), []byte(m.TopicID))
	}
	return hashParts([]byte(m.From), m.Body, []byte(m.CloudCustomData))
}

func hashParts(parts ...[]byte) int64 {
	h := sha256.New()
	for _, part := range parts {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	return int64(binary.BigEndian.Uint64(h.Sum(nil)))
}
