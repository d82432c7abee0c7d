package message

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/chatd/chatd/internal/im"
)

// DefaultC2CRecallWindow is how long after sending a client may recall its
// own one-to-one message (the vendor's default); an admin's recall has no
// limit.
const DefaultC2CRecallWindow = 2 * time.Minute

// C2CRef addresses one stored one-to-one message as S7 does: its original
// sender, its original recipient and its MsgKey.
type C2CRef struct {
	From string
	To   string
	Key  string
}

// change runs one change of the message ref names: apply decides it on
// the message as stored, the sides that have the message get ev(m) in
// their streams, and the message's own entries are rewritten to its new
// state, all in one transaction; then the events are pushed.
func (s *Service) change(ctx context.Context, appID uint64, ref C2CRef, now time.Time, apply func(*im.C2CMessage) error, ev func(*im.C2CMessage) any) error {
	seq, random, t, ok := im.ParseMsgKey(ref.Key)
	if !ok {
		return im.Errorf(im.CodeMsgKeyInvalid, "MsgKey %q is not a message key", ref.Key)
	}
	changed, err := s.store.UpdateC2C(ctx, im.C2CChange{
		AppID: appID, From: ref.From, To: ref.To, Seq: seq, Random: random, Time: t,
		Apply:       apply,
		Events:      func(m *im.C2CMessage) im.StreamWrite { return toSides(appID, now, ev(m), sidesOf(m)) },
		EntryPrefix: c2cEntryPrefix(ref.From, ref.To, seq, random, t),
		Entry:       c2cEntry,
	})
	switch {
	case errors.Is(err, im.ErrNotFound):
		return im.Errorf(im.CodeC2CMsgNotFound, "no message %s from %s to %s", ref.Key, ref.From, ref.To)
	case err != nil:
		return fmt.Errorf("message: change %s: %w", ref.Key, err)
	}
	s.streams.PushCommitted(ctx, changed.Write, changed.Result)
	return nil
}

// RecallC2C recalls a one-to-one message: it keeps its place in the
// history with MsgFlagBits 8 and no content, and both sides' devices get a
// C2CMsgRecalled event. window > 0 is how long after its MsgTime the
// message may be recalled (a client's own recall); 0 is no limit (an
// admin's). Errors: 90054 malformed key, 20022 no such message, 20023
// recalled already, 20016 past the window.
func (s *Service) RecallC2C(ctx context.Context, appID uint64, ref C2CRef, window time.Duration, now time.Time) error {
	err := s.change(ctx, appID, ref, now, func(m *im.C2CMessage) error {
		switch {
		case m.FlagBits&im.MsgRecalled != 0:
			return im.Errorf(im.CodeC2CMsgRecalled, "message %s was recalled already", ref.Key)
		case window > 0 && now.Sub(time.Unix(m.Time, 0)) > window:
			return im.Errorf(im.CodeC2CRecallTooLate, "message %s is older than the recall window of %v", ref.Key, window)
		}
		m.FlagBits |= im.MsgRecalled
		m.Body, m.CloudCustomData = json.RawMessage(`[]`), ""
		return nil
	}, func(m *im.C2CMessage) any {
		return c2cRecalledEvent{Type: TypeC2CMsgRecalled, From: m.From, To: m.To, MsgKey: m.Key()}
	})
	if err == nil {
		s.hooks.AfterRecallC2C(ctx, appID, ref, s.unreadTotal(appID, ref.To))
	}
	return err
}

// ModifyC2C replaces the body, the custom data or both of a stored
// one-to-one message (nil leaves one as it is); both sides' devices get a
// C2CMsgModified event with what changed. Errors: 20001 nothing to change,
// 90002 a malformed body, 93000 the result over 12 KB, 90054, 20022, and
// 20023 for a recalled message, which has no content left to modify.
func (s *Service) ModifyC2C(ctx context.Context, appID uint64, ref C2CRef, body []im.MsgElem, custom *string, now time.Time) error {
	if body == nil && custom == nil {
		return &im.Error{Code: im.CodeC2CBadRequest, Info: "give MsgBody, CloudCustomData or both"}
	}
	var encoded json.RawMessage
	if body != nil {
		var err error
		if encoded, err = encodeBody(body, im.CodeMsgBodyInvalid); err != nil {
			return err
		}
	}
	return s.change(ctx, appID, ref, now, func(m *im.C2CMessage) error {
		if m.FlagBits&im.MsgRecalled != 0 {
			return im.Errorf(im.CodeC2CMsgRecalled, "message %s was recalled", ref.Key)
		}
		if encoded != nil {
			m.Body = encoded
		}
		if custom != nil {
			m.CloudCustomData = *custom
		}
		if n := len(m.Body) + len(m.CloudCustomData); n > MaxContentBytes {
			return im.Errorf(im.CodeMsgRequestTooLong, "message content would be %d bytes, over %d", n, MaxContentBytes)
		}
		return nil
	}, func(m *im.C2CMessage) any {
		return c2cModifiedEvent{Type: TypeC2CMsgModified, From: m.From, To: m.To, MsgKey: m.Key(), MsgBody: encoded, CloudCustomData: custom}
	})
}
