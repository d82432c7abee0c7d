package message

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// ModifyInput is modify_group_msg: nil fields stay as they are.
type ModifyInput struct {
	GroupID         string
	TopicID         string
	Seq             int64
	Body            []im.MsgElem // nil: unchanged
	CloudCustomData *string
	Operator        string
}

// Modify overwrites a stored message's body and/or custom data, for good.
// The members are told with a GroupMsgModified group event carrying the
// message as it is now (a message sent with To_Account: its addressees
// and sender, in their own streams), and later syncs return the new
// content. Codes:
// 90002 body invalid, 80002 over 12 KB, 20001 nothing to change, 10030 no
// such message (or recalled: nothing left to modify), and the group's.
func (s *Service) Modify(ctx context.Context, appID uint64, in ModifyInput, now time.Time) error {
	if in.Body == nil && in.CloudCustomData == nil {
		return &im.Error{Code: im.CodeC2CBadRequest, Info: "MsgBody or CloudCustomData is required: there is nothing to change"}
	}
	var body []byte
	if in.Body != nil {
		var err error
		if body, err = encodeBody(in.Body, im.CodeMsgBodyInvalid); err != nil {
			return err
		}
	}
	st, _, err := s.storedStream(ctx, appID, in.GroupID, in.TopicID)
	if err != nil {
		return err
	}
	apply := func(m *im.GroupMessage) error {
		if m.Recalled {
			return im.Errorf(im.CodeGroupMsgNotFound, "message %d was recalled: nothing is left to modify", m.Seq)
		}
		if body != nil {
			m.Body = body
		}
		if in.CloudCustomData != nil {
			m.CloudCustomData = *in.CloudCustomData
		}
		if n := len(m.Body) + len(m.CloudCustomData); n > MaxContentBytes {
			return im.Errorf(im.CodeMsgTooLong, "message content would be %d bytes, over %d", n, MaxContentBytes)
		}
		return nil
	}
	events := func(m *im.GroupMessage) im.StreamWrite {
		ev := groupMsgModified{Type: TypeGroupMsgModified, GroupID: st.GroupID, TopicID: st.TopicID,
			Operator_Account: in.Operator, MsgSeq: m.Seq, Message: messagePayload(m, false)}
		if len(m.To) == 0 {
			return groupEventWrite(st, now, ev)
		}
		// A message for some members only: its new content goes to them
		// (and its sender) alone, in their own streams.
		w := im.StreamWrite{AppID: appID, Time: now.Unix()}
		payload := encode(ev)
		to := m.To
		if !slices.Contains(to, m.From) {
			to = append([]string{m.From}, to...)
		}
		for _, u := range to {
			w.UserEvents = append(w.UserEvents, im.UserEventAppend{UserID: u, Payload: payload, ExpireAt: stream.Expiry(now, stream.DefaultLifetime)})
		}
		return w
	}
	_, done, err := s.store.ModifyGroupMessage(ctx, st, in.Seq, apply, events)
	var e *im.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, im.ErrNotFound):
		// A message goes only with its group (or topic): either way it is gone.
		return im.Errorf(im.CodeGroupMsgNotFound, "message %d does not exist", in.Seq)
	case err != nil:
		return s.streamErr(st, "modify", err)
	}
	s.streams.PushCommitted(ctx, done.Write, done.Result)
	return nil
}
