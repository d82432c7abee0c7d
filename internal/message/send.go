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
)

// Priorities by their send_group_msg names (rest-messages.md S6).
var priorities = map[string]int{"High": im.PriorityHigh, "Normal": im.PriorityNormal, "Low": im.PriorityLow}

// priorityName is the reverse of priorities, for pushed events.
var priorityName = map[int]string{im.PriorityHigh: "High", im.PriorityNormal: "Normal", im.PriorityLow: "Low"}

// SendMsgControl values a group message may carry (rest-messages.md S5).
const (
	NoUnread  = "NoUnread"
	NoLastMsg = "NoLastMsg"
)

// GroupAt is one @-mention (rest-messages.md S6), in its wire shape: it
// travels unchanged into the pushed event.
type GroupAt struct {
	GroupAtAllFlag  int    `json:"GroupAtAllFlag"`
	GroupAt_Account string `json:"GroupAt_Account,omitempty"`
}

// SendInput is a send_group_msg request in domain terms.
type SendInput struct {
	GroupID string
	TopicID string
	// From is the sender. FromAdmin says it is an app admin (the caller
	// itself when the request names no sender): an admin need not be
	// imported by name or be a member, and mute-all does not hold it.
	From            string
	FromAdmin       bool
	Random          uint32
	Priority        string // "" means Normal
	Body            []im.MsgElem
	CloudCustomData string
	OfflinePushInfo json.RawMessage // nil when absent
	OnlineOnly      bool
	SendMsgControl  []string
	// To restricts delivery to these members; empty delivers to all.
	To      []string
	GroupAt []GroupAt
}

// Sent is where a message landed: its MsgSeq and MsgTime. A duplicate is
// answered with the original's.
type Sent struct {
	Seq  int64
	Time int64
}

// Send posts a message into a group: it checks the request, the group and
// the sender, commits the message (or only its MsgSeq, for messages that are
// not kept), and then delivers it. Delivery failures are logged, not
// returned: the message is committed by then.
func (s *Service) Send(ctx context.Context, appID uint64, in SendInput, now time.Time) (Sent, error) {
	msg, err := in.message(appID, now)
	if err != nil {
		return Sent{}, err
	}
	g, err := s.groups.Get(ctx, appID, in.GroupID)
	if err != nil {
		return Sent{}, err
	}
	if err := in.checkGroup(g); err != nil {
		return Sent{}, err
	}
	members, err := s.checkSender(ctx, g, in, now)
	if err != nil {
		return Sent{}, err
	}
	keep := g.Type != im.GroupAVChatRoom && !in.OnlineOnly
	at, err := s.store.AppendGroupMessage(ctx, msg, im.MessageAppend{
		Keep: keep, ContentHash: contentHash(msg), DedupSince: now.Add(-DedupWindow).Unix(),
	})
	if errors.Is(err, im.ErrNotFound) {
		return Sent{}, im.Errorf(im.CodeGroupNotFound, "group %s does not exist", in.GroupID)
	}
	if err != nil {
		return Sent{}, fmt.Errorf("message: send to %s: %w", in.GroupID, err)
	}
	if !at.Duplicate {
		msg.Seq, msg.Time = at.Seq, at.Time
		s.deliver(context.WithoutCancel(ctx), g, msg, in, members)
	}
	return Sent{Seq: at.Seq, Time: at.Time}, nil
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
	body, err := encodeBody(in.Body)
	if err != nil {
		return nil, err
	}
	if n := len(body) + len(in.CloudCustomData); n > MaxContentBytes {
		return nil, im.Errorf(im.CodeMsgTooLong, "message content is %d bytes, over %d", n, MaxContentBytes)
	}
	return &im.GroupMessage{
		AppID: appID, GroupID: in.GroupID, From: in.From, Time: now.Unix(), Random: in.Random,
		Priority: priority, Body: body, CloudCustomData: in.CloudCustomData, OfflinePushInfo: in.OfflinePushInfo,
	}, nil
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
	return checkTopic(g, in.TopicID)
}

// checkSender checks that the sender exists, belongs to the group and is
// not muted. It returns the group's stored members, the recipients of the
// message; live groups keep none, so they are not read.
func (s *Service) checkSender(ctx context.Context, g *im.Group, in SendInput, now time.Time) ([]im.Member, error) {
	if !in.FromAdmin {
		found, err := s.accounts.GetAccounts(ctx, g.AppID, []string{in.From})
		if err != nil {
			return nil, fmt.Errorf("message: sender %s: %w", in.From, err)
		}
		if _, ok := found[in.From]; !ok {
			return nil, im.Errorf(im.CodeGroupAccountNotFound, "From_Account %s is not imported", in.From)
		}
	}
	var members []im.Member
	var self *im.Member
	if g.Type != im.GroupAVChatRoom {
		var err error
		if members, err = s.groups.Members(ctx, g.AppID, g.ID); err != nil {
			return nil, fmt.Errorf("message: members of %s: %w", g.ID, err)
		}
		if i := slices.IndexFunc(members, func(m im.Member) bool { return m.UserID == in.From }); i >= 0 {
			self = &members[i]
		} else if !in.FromAdmin {
			return nil, im.Errorf(im.CodeGroupNotAllowed, "%s is not a member of group %s", in.From, g.ID)
		}
	}
	if self != nil && self.MuteUntil > now.Unix() {
		return nil, im.Errorf(im.CodeGroupSenderMuted, "%s is muted in group %s until %d", in.From, g.ID, self.MuteUntil)
	}
	// As with the vendor, mute-all holds ordinary members only.
	privileged := in.FromAdmin || in.From == g.Owner || self != nil && (self.Role == im.RoleOwner || self.Role == im.RoleAdmin)
	if g.MuteAllMember && !privileged {
		return nil, im.Errorf(im.CodeGroupSenderMuted, "group %s is muted for all members", g.ID)
	}
	return members, nil
}

// contentHash is the content half of the duplicate key (the other half is
// Random): the sender, the body and the custom data.
func contentHash(m *im.GroupMessage) int64 {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(m.From), m.Body, []byte(m.CloudCustomData)} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	return int64(binary.BigEndian.Uint64(h.Sum(nil)))
}

// event is the push a group message becomes (docs/client-protocol.md §5).
type event struct {
	Type            string          `json:"Type"`
	GroupID         string          `json:"GroupId"`
	MsgSeq          int64           `json:"MsgSeq"`
	MsgTime         int64           `json:"MsgTime"`
	From            string          `json:"From_Account"`
	Random          uint32          `json:"Random"`
	MsgPriority     string          `json:"MsgPriority"`
	MsgBody         json.RawMessage `json:"MsgBody"`
	CloudCustomData string          `json:"CloudCustomData,omitempty"`
	GroupAtInfo     []GroupAt       `json:"GroupAtInfo,omitempty"`
	OnlineOnlyFlag  int             `json:"OnlineOnlyFlag,omitempty"`
}

// eventGroupMsg is the Type of a group message event.
const eventGroupMsg = "GroupMsg"

// deliver pushes a committed message: once to a live group's room (one
// bus message whatever the room size), else to each recipient member.
func (s *Service) deliver(ctx context.Context, g *im.Group, m *im.GroupMessage, in SendInput, members []im.Member) {
	if s.pusher == nil {
		return
	}
	ev := event{
		Type: eventGroupMsg, GroupID: g.ID, MsgSeq: m.Seq, MsgTime: m.Time, From: m.From, Random: m.Random,
		MsgPriority: priorityName[m.Priority], MsgBody: m.Body, CloudCustomData: m.CloudCustomData, GroupAtInfo: in.GroupAt,
	}
	if in.OnlineOnly {
		ev.OnlineOnlyFlag = 1
	}
	payload, err := im.EncodeJSON(ev)
	if err != nil {
		s.log.Error("group message: encode push", "group", g.ID, "seq", m.Seq, "err", err)
		return
	}
	if g.Type == im.GroupAVChatRoom {
		if err := s.pusher.PushToGroup(ctx, g.AppID, g.ID, payload); err != nil {
			s.log.Error("group message: push to room", "group", g.ID, "seq", m.Seq, "err", err)
		}
		return
	}
	failed := 0
	var firstErr error
	for _, member := range members {
		if len(in.To) > 0 && !slices.Contains(in.To, member.UserID) {
			continue
		}
		if err := s.pusher.PushToUser(ctx, g.AppID, member.UserID, payload); err != nil {
			failed++
			firstErr = cmp.Or(firstErr, err)
		}
	}
	if failed > 0 {
		s.log.Error("group message: push to members", "group", g.ID, "seq", m.Seq, "failed", failed, "err", firstErr)
	}
}
