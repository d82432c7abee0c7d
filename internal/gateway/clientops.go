package gateway

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chatd/chatd/internal/im"
)

// Op is one client request beyond the session basics (login, heartbeat,
// live rooms, logout), served by a domain: sending messages, syncing,
// recalling, ... The table of ops is the client counterpart of the REST
// command table; the gateway only frames, orders and answers them.
type Op struct {
	// Handle serves the request. frame is the whole request frame (a JSON
	// object with id and op); the returned value's JSON object fields are
	// added to the reply. A nil value adds nothing.
	Handle func(ctx context.Context, s *Session, frame json.RawMessage) (any, error)
	// Internal is the code an error without a wire code of its own is
	// answered with (the op's area: 70500, 10002, 20005, ...).
	Internal int
}

// Session is the logged-in connection a request came from.
type Session struct {
	AppID    uint64
	UserID   string
	Platform string
	ConnID   uint64
	// Remote is the client's address (host:port).
	Remote string

	g *Gateway
	c *conn
}

// FollowGroups makes the connection receive the pushes of exactly these
// stored groups (the user's memberships, as a sync read them), and of every
// group the user joins from now on.
func (s *Session) FollowGroups(groupIDs []string) {
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	s.g.setGroupsLocked(s.c, groupIDs)
}

// runOp answers a request with a domain op. It runs on the connection's
// reader, so requests of one connection are answered in order.
func (g *Gateway) runOp(c *conn, req request, op Op, frame []byte) {
	g.mu.Lock()
	s := &Session{AppID: c.app, UserID: c.user, Platform: c.platform, ConnID: c.id, Remote: c.remote, g: g, c: c}
	g.mu.Unlock()
	ctx, cancel := context.WithTimeout(g.deps.Hooks.OpContext(g.ctx, s), requestTimeout)
	defer cancel()
	c.cork()
	defer c.uncork()
	resp, err := op.Handle(ctx, s, frame)
	if err != nil {
		if im.CodeOf(err) == 0 {
			g.log.Error("client op", "op", req.Op, "app", s.AppID, "user", s.UserID, "err", err)
		}
		c.reply(req, im.AsError(err, op.Internal))
		return
	}
	out, err := encodeReplyWith(req, resp)
	if err != nil {
		g.log.Error("client op: encode reply", "op", req.Op, "err", err)
		c.reply(req, im.AsError(err, op.Internal))
		return
	}
	c.sendText(out)
}

// encodeReplyWith is a success reply carrying resp's fields beside id, op,
// ErrorCode and ErrorInfo.
func encodeReplyWith(req request, resp any) ([]byte, error) {
	base := encodeReply(req, nil)
	if resp == nil {
		return base, nil
	}
	fields, err := im.EncodeJSON(resp)
	if err != nil {
		return nil, fmt.Errorf("gateway: encode %s reply: %w", req.Op, err)
	}
	if len(fields) < 2 || fields[0] != '{' {
		return nil, fmt.Errorf("gateway: %s reply is not a JSON object", req.Op)
	}
	if len(fields) == 2 { // {}
		return base, nil
	}
	out := make([]byte, 0, len(base)+len(fields))
	out = append(out, base[:len(base)-1]...)
	out = append(out, ',')
	return append(out, fields[1:]...), nil
}
