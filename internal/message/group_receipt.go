package message

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// Limits of read receipts (rest-messages.md get_group_msg_receipt,
// get_group_msg_receipt_detail).
const (
	// MaxReceiptMsgs is how many messages one receipt query or one read
	// report names.
	MaxReceiptMsgs = 100
	// MaxReceiptPage is the largest Count of a receipt detail page.
	MaxReceiptPage = 200
)

// receiptGroup returns a group whose messages take read receipts: 10007
// for a live group or a community, which keep none.
func (s *Service) receiptGroup(ctx context.Context, appID uint64, groupID string, seqs int) (*im.Group, error) {
	if seqs == 0 || seqs > MaxReceiptMsgs {
		return nil, im.Errorf(im.CodeGroupBadParam, "MsgSeqList must hold 1 to %d messages", MaxReceiptMsgs)
	}
	g, err := s.groups.Get(ctx, appID, groupID)
	if err != nil {
		return nil, err
	}
	if g.Type == im.GroupAVChatRoom || g.Type == im.GroupCommunity {
		return nil, im.Errorf(im.CodeGroupNotAllowed, "a %s group keeps no read receipts", g.Type)
	}
	return g, nil
}

// Receipt is one message's read counts, or Code 10062 when it has none
// (no such message, or not sent with NeedReadReceipt 1).
type Receipt struct {
	Seq       int64
	Code      int
	ReadNum   int
	UnreadNum int
}

// Receipts counts the readers of messages, from one row each: ReadNum
// members sent a read receipt; UnreadNum is the group's other current
// members but the sender. The member list is never read. member, when not
// "", is the client asking, who must be a member (10007).
func (s *Service) Receipts(ctx context.Context, appID uint64, member, groupID string, seqs []int64) ([]Receipt, error) {
	g, err := s.receiptGroup(ctx, appID, groupID, len(seqs))
	if err != nil {
		return nil, err
	}
	if member != "" {
		if err := s.mustBeMember(ctx, appID, g.ID, member); err != nil {
			return nil, err
		}
	}
	st := im.MsgStream{AppID: appID, GroupID: g.ID}
	msgs, err := s.store.GetGroupMessages(ctx, st, seqs)
	if err != nil {
		return nil, fmt.Errorf("message: receipts in %s: %w", g.ID, err)
	}
	counted := map[int64]im.GroupMessage{}
	for seq, m := range msgs {
		if m.NeedReadReceipt {
			counted[seq] = m
		}
	}
	unread, err := s.unreadCounter(ctx, g, counted)
	if err != nil {
		return nil, err
	}
	out := make([]Receipt, len(seqs))
	for i, seq := range seqs {
		m, ok := counted[seq]
		if !ok {
			out[i] = Receipt{Seq: seq, Code: im.CodeGroupNoReceipt}
			continue
		}
		out[i] = Receipt{Seq: seq, ReadNum: m.ReadNum, UnreadNum: unread(m.From, m.ReadNum)}
	}
	return out, nil
}

// unreadCounter looks up which senders of msgs are members (one point
// lookup of each) and returns how many members have not read a message of
// from that readers have: every member but the sender.
func (s *Service) unreadCounter(ctx context.Context, g *im.Group, msgs map[int64]im.GroupMessage) (func(from string, readers int) int, error) {
	var senders []string
	for _, m := range msgs {
		if !slices.Contains(senders, m.From) {
			senders = append(senders, m.From)
		}
	}
	members := map[string]im.Member{}
	if len(senders) > 0 {
		var err error
		if members, err = s.store.GetMembers(ctx, g.AppID, g.ID, senders); err != nil {
			return nil, fmt.Errorf("message: senders in %s: %w", g.ID, err)
		}
	}
	return func(from string, readers int) int {
		others := g.MemberNum
		if _, ok := members[from]; ok {
			others--
		}
		return max(others-readers, 0)
	}, nil
}

// ReceiptPage is one page of a message's readers or non-readers.
type ReceiptPage struct {
	Users    []string
	Finished bool
	// Cursor continues the list; "" when it is finished.
	Cursor string
}

// ReceiptDetail lists who read a message (unread false) or which current
// members have not (unread true), count at a time from cursor ("" first).
// A page reads at most count+1 member rows past the cursor, whatever the
// group's size. Codes: 10004 bad Count or cursor, 10062 no receipts for
// the message.
func (s *Service) ReceiptDetail(ctx context.Context, appID uint64, groupID string, seq int64, unread bool, cursor string, count int) (ReceiptPage, error) {
	if count <= 0 || count > MaxReceiptPage {
		return ReceiptPage{}, im.Errorf(im.CodeGroupBadParam, "Count must be 1 to %d", MaxReceiptPage)
	}
	// A cursor is the base64 of the last UserID of the previous page.
	after, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(after) > 0 && !im.ValidUserID(string(after)) {
		return ReceiptPage{}, &im.Error{Code: im.CodeGroupBadParam, Info: "Cursor is not one this server returned"}
	}
	g, err := s.receiptGroup(ctx, appID, groupID, 1)
	if err != nil {
		return ReceiptPage{}, err
	}
	msgs, err := s.store.GetGroupMessages(ctx, im.MsgStream{AppID: appID, GroupID: g.ID}, []int64{seq})
	if err != nil {
		return ReceiptPage{}, fmt.Errorf("message: receipts in %s: %w", g.ID, err)
	}
	m, ok := msgs[seq]
	if !ok || !m.NeedReadReceipt {
		return ReceiptPage{}, im.Errorf(im.CodeGroupNoReceipt, "message %d has no read receipts: it does not exist or was not sent with NeedReadReceipt 1", seq)
	}
	// One more than asked tells whether the list goes on.
	var users []string
	if unread {
		users, err = s.store.ListNonReaders(ctx, appID, g.ID, seq, m.From, string(after), count+1)
	} else {
		users, err = s.store.ListReaders(ctx, appID, g.ID, seq, string(after), count+1)
	}
	if err != nil {
		return ReceiptPage{}, fmt.Errorf("message: receipts in %s: %w", g.ID, err)
	}
	page := ReceiptPage{Users: users, Finished: len(users) <= count}
	if !page.Finished {
		page.Users = users[:count]
		page.Cursor = base64.RawURLEncoding.EncodeToString([]byte(users[count-1]))
	}
	return page, nil
}

// MarkRead records a member's read receipts for messages of a group (a
// client's report): those sent with NeedReadReceipt 1 by someone else,
// not counted before. Each sender whose counts changed gets a
// GroupMsgReceipt event in their own stream. Other messages are ignored.
func (s *Service) MarkRead(ctx context.Context, appID uint64, userID, groupID string, seqs []int64, now time.Time) error {
	g, err := s.receiptGroup(ctx, appID, groupID, len(seqs))
	if err != nil {
		return err
	}
	if err := s.mustBeMember(ctx, appID, g.ID, userID); err != nil {
		return err
	}
	msgs, err := s.store.GetGroupMessages(ctx, im.MsgStream{AppID: appID, GroupID: g.ID}, seqs)
	if err != nil {
		return fmt.Errorf("message: read in %s: %w", g.ID, err)
	}
	unread, err := s.unreadCounter(ctx, g, msgs)
	if err != nil {
		return err
	}
	var counts []ReceiptCount
	events := func(changed []im.ReadChange) im.StreamWrite {
		w := im.StreamWrite{AppID: appID, Time: now.Unix()}
		counts = counts[:0]
		for _, c := range changed {
			counts = append(counts, ReceiptCount{MsgSeq: c.Seq, ReadNum: c.ReadNum, UnreadNum: unread(c.From, c.ReadNum)})
		}
		bySender := map[string][]receiptCount{}
		var senders []string
		for _, c := range changed {
			if bySender[c.From] == nil {
				senders = append(senders, c.From)
			}
			bySender[c.From] = append(bySender[c.From], receiptCount{MsgSeq: c.Seq, ReadNum: c.ReadNum, UnreadNum: unread(c.From, c.ReadNum)})
		}
		for _, from := range senders {
			w.UserEvents = append(w.UserEvents, im.UserEventAppend{UserID: from, ExpireAt: stream.Expiry(now, stream.DefaultLifetime),
				Payload: encode(groupMsgReceipt{Type: TypeGroupMsgReceipt, GroupID: g.ID, Reader_Account: userID, GroupMsgReceiptList: bySender[from]})})
		}
		return w
	}
	_, done, err := s.store.MarkGroupMessagesRead(ctx, appID, g.ID, userID, seqs, now.Unix(), events)
	if err != nil {
		return fmt.Errorf("message: read in %s: %w", g.ID, err)
	}
	if done != nil {
		s.streams.PushCommitted(ctx, done.Write, done.Result)
		s.hooks.AfterReceipts(ctx, g, userID, counts)
	}
	return nil
}
