package message

import (
	"context"
	"fmt"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// ImportC2CInput is one message from another system (importmsg).
type ImportC2CInput struct {
	From string
	To   string
	// Seq is MsgSeq; nil picks a random one.
	Seq    *uint32
	Random uint32
	// Time is the message's original time, which orders it in the history.
	Time            int64
	Body            []im.MsgElem
	CloudCustomData string
	// Realtime is SyncFromOldSystem 5: the message counts as unread and
	// reaches both sides' devices. Otherwise (2) it is history only: in
	// the conversation, never unread, pushed to no one.
	Realtime bool
}

// ImportC2C stores an imported one-to-one message in the history of its
// conversation. Two imports are the same message when MsgSeq, MsgRandom
// and MsgTimeStamp are equal in the same conversation, whichever way
// round and whatever the content: the first one stays (the history's key
// is exactly that), and a later one is answered with success and changes
// nothing. Errors: 90006 a negative time, 90002 a malformed body, 93000
// content over 12 KB.
func (s *Service) ImportC2C(ctx context.Context, appID uint64, in ImportC2CInput, now time.Time) error {
	if in.Time < 0 {
		return im.Errorf(im.CodeMsgTimeInvalid, "MsgTimeStamp %d is not a time", in.Time)
	}
	body, err := encodeBody(in.Body, im.CodeMsgBodyInvalid)
	if err != nil {
		return err
	}
	if n := len(body) + len(in.CloudCustomData); n > MaxContentBytes {
		return im.Errorf(im.CodeMsgRequestTooLong, "message content is %d bytes, over %d", n, MaxContentBytes)
	}
	m := &im.C2CMessage{AppID: appID, From: in.From, To: in.To, Seq: pickSeq(in.Seq), Random: in.Random, Time: in.Time,
		Body: body, CloudCustomData: in.CloudCustomData}
	// The entries are written at the message's own time, which is how a
	// later recall or modification finds them; they stay for the usual
	// lifetime from now.
	w := im.StreamWrite{AppID: appID, Time: m.Time, C2C: &im.C2CAppend{Msg: *m, Keep: true}}
	if in.Realtime {
		payload := c2cMsgPayload(m, false)
		for _, u := range sidesOf(m) {
			w.UserEvents = append(w.UserEvents, im.UserEventAppend{UserID: u, Payload: payload, ExpireAt: stream.Expiry(now, stream.DefaultLifetime)})
		}
	} else {
		w.C2C.Msg.FlagBits |= im.FlagNoUnread
	}
	if _, err := s.streams.Commit(ctx, w); err != nil {
		return fmt.Errorf("message: import one-to-one: %w", err)
	}
	return nil
}
