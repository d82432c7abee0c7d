package message

import (
	"context"
	"fmt"
	"time"

	"github.com/chatd/chatd/internal/im"
)

// C2CRead is where a reader's read mark of a conversation stands.
type C2CRead struct {
	// MsgReadTime is the mark: the peer's messages with MsgTime at or
	// before it are read.
	MsgReadTime int64
	// Unread is the reader's unread count in the conversation under it.
	Unread int64
	// Seq is the C2CRead entry in the reader's stream, 0 when the mark did
	// not move (it was already at or past the time asked for).
	Seq int64
}

// MarkC2CRead marks reader's conversation with peer read up to at (nil:
// now; a time ahead of now counts as now, so a mark never covers messages
// not sent yet). The mark only moves forward. When it moves, the reader's
// devices and the peer's get a C2CRead event (in their streams): the
// reader's with the new unread count, the peer's as the read receipt of
// its messages (IsPeerRead).
func (s *Service) MarkC2CRead(ctx context.Context, appID uint64, reader, peer string, at *int64, now time.Time) (C2CRead, error) {
	t := now.Unix()
	if at != nil {
		if *at < 0 {
			return C2CRead{}, im.Errorf(im.CodeC2CBadRequest, "MsgReadTime %d is not a time", *at)
		}
		t = min(*at, t)
	}
	r, err := s.store.MarkC2CRead(ctx, im.C2CReadMark{AppID: appID, Reader: reader, Peer: peer, Time: t,
		Events: func(unread int64) im.StreamWrite {
			ev := c2cReadEvent{Type: TypeC2CRead, Reader: reader, Peer: peer, MsgReadTime: t, Unread: &unread}
			w := toSides(appID, now, ev, []string{reader})
			if peer != reader {
				ev.Unread = nil
				w.UserEvents = append(w.UserEvents, toSides(appID, now, ev, []string{peer}).UserEvents...)
			}
			return w
		}})
	if err != nil {
		return C2CRead{}, fmt.Errorf("message: mark read: %w", err)
	}
	out := C2CRead{MsgReadTime: r.Time, Unread: r.Unread}
	if r.Advanced {
		s.streams.PushCommitted(ctx, r.Write, r.Result)
		out.Seq = r.Result.UserSeqs[0]
	}
	s.hooks.AfterReadC2C(ctx, appID, reader, peer, r.Time, s.unreadTotal(appID, reader))
	return out, nil
}

// C2CUnread returns user's unread count in the conversation with each of
// peers.
func (s *Service) C2CUnread(ctx context.Context, appID uint64, user string, peers []string) (map[string]int64, error) {
	n, err := s.store.CountC2CUnread(ctx, appID, user, peers)
	if err != nil {
		return nil, fmt.Errorf("message: unread of %s: %w", user, err)
	}
	return n, nil
}

// C2CUnreadTotal returns user's unread count over every one-to-one
// conversation.
func (s *Service) C2CUnreadTotal(ctx context.Context, appID uint64, user string) (int64, error) {
	n, err := s.store.CountC2CUnreadTotal(ctx, appID, user)
	if err != nil {
		return 0, fmt.Errorf("message: unread of %s: %w", user, err)
	}
	return n, nil
}
