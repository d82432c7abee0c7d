package gateway

import (
	"context"
	"time"

	"github.com/gobwas/ws"

	"github.com/chatd/chatd/internal/im"
)

// requestTimeout bounds the work one client request may trigger
// (Authenticate, CheckJoin), so a stuck store cannot pin a connection's
// reader forever.
const requestTimeout = 10 * time.Second

// handle answers one client message. It runs on the connection's reader,
// so requests of one connection are handled in order; a reader ends after
// a second without events, so the stack a store call grows is not kept for
// the connection's idle life.
func (g *Gateway) handle(c *conn, op ws.OpCode, data []byte) {
	req, ok := decodeRequest(op, data)
	if !ok {
		g.refuse(c, req, im.CodeBodyNotJSON, "frame is not a JSON object of the protocol")
		return
	}
	if !c.loggedIn.Load() {
		if req.Op != opLogin {
			g.refuse(c, req, im.CodeBadURLParam, "not logged in: the first frame must be a login")
			return
		}
		g.login(c, req)
		return
	}
	switch req.Op {
	case opHeartbeat:
		c.reply(req, nil)
	case opJoinGroup:
		g.join(c, req)
	case opQuitGroup:
		g.quit(c, req)
	case opLogout:
		g.logout(c, req)
	case opLogin:
		c.reply(req, im.Errorf(im.CodeBadURLParam, "already logged in on this connection"))
	default:
		if op, ok := g.deps.Ops[req.Op]; ok {
			g.runOp(c, req, op, data)
			return
		}
		c.reply(req, im.Errorf(im.CodeUnknownPath, "unknown op %q", req.Op))
	}
}

// refuse answers a bad frame. Before login the connection is closed with
// the reply as its last frame: an unauthenticated peer gets one answer, not
// a conversation.
func (g *Gateway) refuse(c *conn, req request, code int, info string) {
	e := &im.Error{Code: code, Info: info}
	if c.loggedIn.Load() {
		c.reply(req, e)
		return
	}
	c.closeWith(closePolicy, "not logged in", encodeReply(req, e))
}

func (g *Gateway) login(c *conn, req request) {
	fail := func(e *im.Error) { c.closeWith(closePolicy, "login failed", encodeReply(req, e)) }
	switch {
	case req.SDKAppID == 0:
		fail(im.Errorf(im.CodeMissingSDKAppID, "SDKAppID is required"))
		return
	case req.UserID == "" || req.UserSig == "":
		fail(im.Errorf(im.CodeBadURLParam, "UserID and UserSig are required"))
		return
	case req.Platform != "" && !platforms[req.Platform]:
		fail(im.Errorf(im.CodeBadURLParam, "Platform %q must be one of iPhone, Android, Web, PC, iPad, Mac", req.Platform))
		return
	}
	if req.Platform == "" {
		req.Platform = defaultPlatform
	}
	app := uint64(req.SDKAppID)
	ctx, cancel := context.WithTimeout(g.ctx, requestTimeout)
	defer cancel() // after durable
	durable, err := g.deps.Authenticate(ctx, app, req.UserID, req.UserSig)
	if err != nil {
		e := im.AsError(err, im.CodeAccountInternal)
		if im.CodeOf(err) == 0 {
			g.log.Error("authenticate", "app", app, "user", req.UserID, "err", err)
		}
		fail(e)
		return
	}

	g.mu.Lock()
	if c.isClosing() || g.shutdown { // timed out or shut down meanwhile
		g.mu.Unlock()
		return
	}
	c.platform = req.Platform
	c.compact = req.Protocol >= protocolCompact
	evicted, err := g.loginLocked(c, app, req.UserID)
	if err == nil {
		c.loggedIn.Store(true)
		ev := c.stateEvent(StateLogin)
		for _, old := range evicted {
			ev.Kicked = append(ev.Kicked, old.platform)
		}
		g.deps.Hooks.StateChanged(ev)
	}
	g.mu.Unlock()
	if err != nil {
		g.log.Error("login: subscribe", "app", app, "user", req.UserID, "err", err)
		fail(im.AsError(err, im.CodeAccountInternal))
		return
	}
	closeKickedConns(evicted, ReasonMaxConnections)
	c.timer.Reset(g.cfg.IdleTimeout)
	g.log.Debug("login", "conn", c.id, "app", app, "user", req.UserID, "remote", c.remote)
	// Queued only now, so a client that sees success is already reachable.
	c.sendText(mustEncode(reply{
		ID: req.ID, Op: req.Op,
		HeartbeatIntervalMs: g.cfg.HeartbeatInterval.Milliseconds(),
		IdleTimeoutMs:       g.cfg.IdleTimeout.Milliseconds(),
		Protocol:            min(max(req.Protocol, protocolBase), protocolCompact),
	}))
	// The client has its answer; its next frame waits until its new
	// account is written, so nothing it asks finds the account missing.
	if durable != nil {
		if err := durable(); err != nil {
			g.log.Error("login: account not saved", "app", app, "user", req.UserID, "err", err)
			c.closeWith(closeInternal, "account not saved", nil)
		}
	}
}

func (g *Gateway) join(c *conn, req request) {
	if req.GroupID == "" {
		c.reply(req, im.Errorf(im.CodeGroupBadParam, "GroupId is required"))
		return
	}
	g.mu.Lock()
	_, in := c.rooms[req.GroupID]
	n := len(c.rooms)
	g.mu.Unlock()
	if in {
		c.reply(req, nil) // entering a room twice is harmless
		return
	}
	if n >= g.cfg.MaxRoomsPerConn {
		c.reply(req, im.Errorf(im.CodeGroupJoinLimit, "a connection may be in at most %d live groups", g.cfg.MaxRoomsPerConn))
		return
	}
	s := &Session{AppID: c.app, UserID: c.user, Platform: c.platform, ConnID: c.id, Remote: c.remote, g: g, c: c}
	ctx, cancel := context.WithTimeout(g.deps.Hooks.OpContext(g.ctx, s), requestTimeout)
	defer cancel()
	g.mu.Lock()
	drops := g.drops
	g.mu.Unlock()
	if err := g.deps.CheckJoin(ctx, c.app, req.GroupID, c.user); err != nil {
		if im.CodeOf(err) == 0 {
			g.log.Error("check join", "app", c.app, "group", req.GroupID, "user", c.user, "err", err)
		}
		c.reply(req, im.AsError(err, im.CodeGroupInternal))
		return
	}
	g.mu.Lock()
	if c.detached {
		g.mu.Unlock()
		return // kicked or closing: nobody to answer
	}
	var err error
	var raced bool
	if _, in := c.rooms[req.GroupID]; !in {
		// A ban committed after CheckJoin read dropped the user before
		// they entered, here (drops moved) or on another node while this
		// one was not in the room, so not told (the first entry here).
		_, subscribed := g.rooms[roomKey{c.app, req.GroupID}]
		raced = !subscribed || g.drops != drops
		err = g.joinLocked(c, req.GroupID)
	}
	g.mu.Unlock()
	if err != nil {
		g.log.Error("join: subscribe", "app", c.app, "group", req.GroupID, "err", err)
		c.reply(req, im.AsError(err, im.CodeGroupInternal))
		return
	}
	if raced && g.bannedSince(ctx, c, req.GroupID) {
		c.reply(req, im.Errorf(im.CodeGroupNotAllowed, "%s is banned from %s", c.user, req.GroupID))
		return
	}
	c.reply(req, nil)
}

// bannedSince asks again, now that c is in the room, whether its user is
// banned from it, and takes c out if so. A ban committed later than this
// read drops the user through the room, which c is in by now: between
// the two, no ban is missed. When the store does not answer, c stays:
// CheckJoin let it in a moment ago.
func (g *Gateway) bannedSince(ctx context.Context, c *conn, group string) bool {
	if g.deps.Banned == nil {
		return false
	}
	banned, err := g.deps.Banned(ctx, c.app, group, c.user)
	if err != nil {
		g.log.Warn("join: ban check after entering", "app", c.app, "group", group, "user", c.user, "err", err)
		return false
	}
	if !banned {
		return false
	}
	g.mu.Lock()
	if _, in := c.rooms[group]; in {
		g.leaveRoomLocked(c, group, false)
	}
	g.mu.Unlock()
	return true
}

// quit leaves a room. Quitting a room the connection is not in succeeds:
// the client's wish (not being there) holds.
func (g *Gateway) quit(c *conn, req request) {
	if req.GroupID == "" {
		c.reply(req, im.Errorf(im.CodeGroupBadParam, "GroupId is required"))
		return
	}
	g.mu.Lock()
	if _, in := c.rooms[req.GroupID]; in {
		g.leaveRoomLocked(c, req.GroupID, true)
	}
	g.mu.Unlock()
	c.reply(req, nil)
}

// logout leaves every room at once, answers, and closes with 1000.
func (g *Gateway) logout(c *conn, req request) {
	g.mu.Lock()
	c.ended = StateLogout
	g.detachLocked(c)
	g.mu.Unlock()
	c.closeWith(closeLogout, "logout", encodeReply(req, nil))
}

// reply queues the answer to req: success when e is nil.
func (c *conn) reply(req request, e *im.Error) {
	c.sendText(encodeReply(req, e))
}

func encodeReply(req request, e *im.Error) []byte {
	r := reply{ID: req.ID, Op: req.Op}
	if e != nil {
		r.ErrorCode, r.ErrorInfo = e.Code, e.Info
	}
	if req.Op == opJoinGroup || req.Op == opQuitGroup {
		r.GroupID = req.GroupID
	}
	return mustEncode(r)
}
