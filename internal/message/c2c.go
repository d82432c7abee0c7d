package message

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// SyncOtherMachine values (rest-messages.md S5).
const (
	SyncToSender   = 1 // the sender's devices get the message too
	NoSyncToSender = 2 // the sender's side does not have it at all
)

// One-to-one SendMsgControl values (rest-messages.md S5).
const WithMuteNotifications = "WithMuteNotifications"

// C2CInput is a one-to-one message to send, from sendmsg, batchsendmsg or
// a client.
type C2CInput struct {
	From string
	// FromAdmin says From is one of the app's admins, which send without
	// being imported.
	FromAdmin bool
	// FromClient says the logged-in sender sent it over the gateway: the
	// global mute and the recipient's blocklist then hold.
	FromClient bool
	// Callbacks are the send callbacks the message skips.
	Callbacks Callbacks
	To        []string
	// Seq is the sender's MsgSeq; nil picks a random one (S7).
	Seq    *uint32
	Random uint32
	Body   []im.MsgElem
	// CloudCustomData and OfflinePushInfo are stored and delivered as given.
	CloudCustomData string
	OfflinePushInfo json.RawMessage // nil when absent
	// SyncOtherMachine is 0 (absent), SyncToSender or NoSyncToSender.
	SyncOtherMachine int
	// LifeTime is MsgLifeTime: how long the message waits in the
	// recipient's stream for an offline device; nil means 7 days, 0 means
	// online devices only (it is kept in the history, but never counts
	// as unread).
	LifeTime         *int64
	OnlineOnly       bool
	SendMsgControl   []string
	SupportExtension bool
	NeedReadReceipt  bool
}

// C2CSent is what one recipient's copy of a message became.
type C2CSent struct {
	To string
	// Code is 0, or why this recipient did not get it (70107: not an
	// account).
	Code int
	Time int64
	Key  string
	// SenderSeq is the entry the message took in the sender's stream, 0
	// when it took none.
	SenderSeq int64
}

// SendC2C sends one message to each recipient, all committed together
// before it returns: each recipient's copy is stored in the history of the
// conversation and put in the recipient's stream (and the sender's, per
// SyncOtherMachine), then pushed to their connections. A copy sent again
// within the duplicate window (same sender, recipient, MsgSeq, MsgRandom
// and content, 120 s) is not stored twice; it is answered with the
// original's time and key. Recipients that are not accounts are answered
// with 70107 each; a sender that is not one (nor an admin) fails the call
// with 20003.
func (s *Service) SendC2C(ctx context.Context, appID uint64, in C2CInput, now time.Time) ([]C2CSent, error) {
	base, lifetime, err := in.message(appID, now)
	if err != nil {
		return nil, err
	}
	ids := append([]string{in.From}, in.To...)
	found, err := s.accounts.Imported(ctx, appID, ids)
	if err != nil {
		return nil, fmt.Errorf("message: accounts: %w", err)
	}
	if !found[in.From] && !in.FromAdmin {
		return nil, im.Errorf(im.CodeC2CAccount, "From_Account %s is not imported", in.From)
	}
	if in.FromClient && s.senders != nil {
		// A client is held by its global mute and by the recipient's
		// blocklist; the REST sendmsg is not (its page says so).
		if err := s.senders.CheckMuted(ctx, appID, in.From, false); err != nil {
			return nil, err
		}
		for _, to := range in.To {
			if err := s.senders.CheckBlocked(ctx, appID, in.From, to); err != nil {
				return nil, err
			}
		}
	}
	out := make([]C2CSent, len(in.To))
	var writes []im.StreamWrite
	var msgs []im.C2CMessage // the message of each write
	var sent []int           // out index of each write
	for i, to := range in.To {
		out[i] = C2CSent{To: to, Time: base.Time, Key: base.Key()}
		if _, ok := found[to]; !ok {
			out[i].Code = im.CodeAccountNotFound
			continue
		}
		m := *base
		m.To = to
		m.HiddenFromSender = in.SyncOtherMachine == NoSyncToSender
		if keep, err := s.beforeSendC2C(ctx, &m, in.OnlineOnly, in.Callbacks); err != nil || !keep {
			if err != nil {
				return nil, err
			}
			continue // dropped by the app: the sender is told it succeeded
		}
		if in.OnlineOnly {
			s.pushOnline(ctx, &m, in.SyncOtherMachine == SyncToSender)
			if !in.Callbacks.SkipAfter {
				s.hooks.AfterSendC2C(ctx, &m, true, 0, s.unreadTotal(appID, to))
			}
			continue
		}
		w := in.write(&m, lifetime, now)
		if !in.Callbacks.SkipAfter {
			// Stored with the message, queued once it commits.
			w.Callbacks = s.hooks.RecordAfterSendC2C(ctx, &m)
		}
		writes = append(writes, w)
		msgs = append(msgs, m)
		sent = append(sent, i)
	}
	if len(writes) == 0 {
		return out, nil
	}
	results, err := s.streams.CommitMany(ctx, writes)
	if err != nil {
		for j := range msgs {
			if !in.Callbacks.SkipAfter {
				s.hooks.AfterSendC2C(ctx, &msgs[j], false, im.CodeC2CInternal, nil)
			}
		}
		return nil, fmt.Errorf("message: send one-to-one: %w", err)
	}
	for j, r := range results {
		o := &out[sent[j]]
		if r.Duplicate {
			o.Time, o.Key = r.C2CTime, im.MsgKey(base.Seq, base.Random, r.C2CTime)
			continue
		}
		if len(r.UserSeqs) > 1 {
			o.SenderSeq = r.UserSeqs[1]
		}
		if in.FromClient {
			s.chatbot(ctx, &msgs[j])
		}
	}
	return out, nil
}

// beforeSendC2C runs the app's before-send callback on one recipient's
// copy, applying its rewrite; false when the app drops the copy.
func (s *Service) beforeSendC2C(ctx context.Context, m *im.C2CMessage, onlineOnly bool, cb Callbacks) (bool, error) {
	if cb.SkipBefore {
		return true, nil
	}
	v, err := s.hooks.BeforeSendC2C(ctx, m, onlineOnly)
	return keep(v, err, &m.Body, &m.CloudCustomData, im.CodeMsgBodyInvalid, im.CodeMsgRequestTooLong)
}

// unreadTotal counts user's unread one-to-one messages, for a callback.
func (s *Service) unreadTotal(appID uint64, user string) Count {
	return func(ctx context.Context) (int64, error) { return s.store.CountC2CUnreadTotal(ctx, appID, user) }
}

// chatbot hands a passthrough payload a client sent to a chatbot account
// to the app; the app's answer comes back to the sender as the chatbot's
// one-to-one message.
func (s *Service) chatbot(ctx context.Context, m *im.C2CMessage) {
	data, ok := passthrough(m)
	if !ok {
		return
	}
	s.hooks.ChatbotSignal(ctx, m, data, func(ctx context.Context, rsp string) {
		reply := C2CInput{From: m.To, FromAdmin: true, To: []string{m.From}, Random: rand.Uint32(), Body: chatbotReply(rsp)}
		if _, err := s.SendC2C(ctx, m.AppID, reply, s.streams.Now()); err != nil {
			s.log.Warn("chatbot reply not sent", "app", m.AppID, "bot", m.To, "user", m.From, "err", err)
		}
	})
}

// message checks what the request alone decides and builds the message
// every recipient's copy starts from, with the stream lifetime.
func (in *C2CInput) message(appID uint64, now time.Time) (*im.C2CMessage, time.Duration, error) {
	if in.SyncOtherMachine < 0 || in.SyncOtherMachine > NoSyncToSender {
		return nil, 0, im.Errorf(im.CodeMsgSyncOther, "SyncOtherMachine %d must be 1 or 2", in.SyncOtherMachine)
	}
	lifetime := stream.DefaultLifetime
	if in.LifeTime != nil {
		if *in.LifeTime < 0 {
			return nil, 0, im.Errorf(im.CodeMsgLifeTime, "MsgLifeTime %d must not be negative", *in.LifeTime)
		}
		lifetime = min(time.Duration(*in.LifeTime)*time.Second, MaxLifeTime)
	}
	for _, c := range in.SendMsgControl {
		if c != NoUnread && c != NoLastMsg && c != WithMuteNotifications {
			return nil, 0, im.Errorf(im.CodeC2CBadRequest, "SendMsgControl %q must be NoUnread, NoLastMsg or WithMuteNotifications", c)
		}
	}
	if in.OfflinePushInfo != nil {
		if b := bytes.TrimSpace(in.OfflinePushInfo); len(b) == 0 || b[0] != '{' {
			return nil, 0, &im.Error{Code: im.CodeMsgPushInfo, Info: "OfflinePushInfo must be a JSON object"}
		}
	}
	body, err := encodeBody(in.Body, im.CodeMsgBodyInvalid)
	if err != nil {
		return nil, 0, err
	}
	if n := len(body) + len(in.CloudCustomData); n > MaxContentBytes {
		return nil, 0, im.Errorf(im.CodeMsgRequestTooLong, "message content is %d bytes, over %d", n, MaxContentBytes)
	}
	m := &im.C2CMessage{
		AppID: appID, From: in.From, Seq: pickSeq(in.Seq), Random: in.Random, Time: now.Unix(), Body: body,
		CloudCustomData: in.CloudCustomData, OfflinePushInfo: in.OfflinePushInfo,
		SupportExtension: in.SupportExtension, NeedReadReceipt: in.NeedReadReceipt,
	}
	if slices.Contains(in.SendMsgControl, NoUnread) || in.LifeTime != nil && *in.LifeTime == 0 {
		m.FlagBits |= im.FlagNoUnread
	}
	if slices.Contains(in.SendMsgControl, NoLastMsg) {
		m.FlagBits |= im.FlagNoLastMsg
	}
	return m, lifetime, nil
}

// pickSeq is the sender's MsgSeq, or a random one when it gave none (S7).
func pickSeq(seq *uint32) uint32 {
	if seq != nil {
		return *seq
	}
	return rand.Uint32()
}

// write is one recipient's copy: the history row, the recipient's stream
// entry, and the sender's when SyncOtherMachine asks for it. A message to
// oneself is one entry.
func (in *C2CInput) write(m *im.C2CMessage, lifetime time.Duration, now time.Time) im.StreamWrite {
	payload := c2cMsgPayload(m, false)
	w := im.StreamWrite{AppID: m.AppID, Time: m.Time,
		C2C:        &im.C2CAppend{Msg: *m, Keep: true, ContentHash: c2cHash(m), DedupSince: now.Add(-stream.C2CDedupWindow).Unix()},
		UserEvents: []im.UserEventAppend{{UserID: m.To, Payload: payload, ExpireAt: stream.Expiry(now, lifetime)}},
	}
	if in.SyncOtherMachine == SyncToSender && m.From != m.To {
		w.UserEvents = append(w.UserEvents, im.UserEventAppend{UserID: m.From, Payload: payload, ExpireAt: stream.Expiry(now, stream.DefaultLifetime)})
	}
	return w
}

// pushOnline delivers an online-only message: to the recipient's open
// connections (and the sender's, if asked), stored nowhere.
func (s *Service) pushOnline(ctx context.Context, m *im.C2CMessage, toSender bool) {
	p := im.Push{Event: c2cMsgPayload(m, true)}
	ctx = context.WithoutCancel(ctx)
	s.streams.PushUser(ctx, m.AppID, m.To, p)
	if toSender && m.From != m.To {
		s.streams.PushUser(ctx, m.AppID, m.From, p)
	}
}

// c2cHash is the content half of a one-to-one duplicate key.
func c2cHash(m *im.C2CMessage) int64 { return hashParts(m.Body, []byte(m.CloudCustomData)) }

// Party is a user a one-to-one call names, with the code that answers
// its absence (missing from the request, or not an account).
type Party struct {
	Field  string // the request's name for it, for the error text
	UserID string
	Code   int
}

// RequireAccounts checks that every party is named and is an account or,
// by admin, one of the app's admins (which are parties without being
// imported); the first that is not fails the call with its code.
func (s *Service) RequireAccounts(ctx context.Context, appID uint64, admin func(string) bool, parties ...Party) error {
	ids := make([]string, 0, len(parties))
	for _, p := range parties {
		if p.UserID == "" {
			return im.Errorf(p.Code, "%s is required", p.Field)
		}
		ids = append(ids, p.UserID)
	}
	known, err := s.Accounts(ctx, appID, admin, ids)
	if err != nil {
		return err
	}
	for _, p := range parties {
		if !known[p.UserID] {
			return im.Errorf(p.Code, "%s %s is not an account", p.Field, p.UserID)
		}
	}
	return nil
}

// Accounts reports which of ids are accounts or, by admin, admins.
func (s *Service) Accounts(ctx context.Context, appID uint64, admin func(string) bool, ids []string) (map[string]bool, error) {
	known, err := s.accounts.Imported(ctx, appID, ids)
	if err != nil {
		return nil, fmt.Errorf("message: accounts: %w", err)
	}
	for _, id := range ids {
		known[id] = known[id] || admin(id)
	}
	return known, nil
}
