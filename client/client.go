// Package client is the Go client for chatd's WebSocket gateway, for end
// users: log in with a UserSig; send and receive one-to-one and group
// messages; recall, modify and read them; manage groups, friends and the
// profile; enter live groups. It speaks the protocol in
// docs/client-protocol.md and sends heartbeats on its own.
//
// Nothing is missed: every stored event arrives with its place in its
// stream, and the client detects a gap (it was offline, or the server lost
// a push) and fetches what is missing before handing events on, in order,
// once each. Save State when the program stops and give it to the next
// Dial (WithSyncState) to get exactly what happened meanwhile.
//
//	c, err := client.Dial(ctx, "http://127.0.0.1:8080", sdkAppID, "alice", userSig,
//		client.WithSyncState(saved))
//	if err != nil { ... } // a *client.Error carries the server's code, e.g. 70001
//	defer func() { saved = c.State(); c.Close() }()
//	if _, err := c.SendC2C(ctx, "bob", []client.MsgElem{client.Text("hi")}); err != nil { ... }
//	for ev := range c.Events() {
//		if m, ok := ev.C2CMessage(); ok { ... }
//		if m, ok := ev.GroupMessage(); ok { ... }
//	}
//
// The package depends only on the standard library and the WebSocket
// library, so applications and load tools can import it freely.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Path is where the gateway is mounted on a chatd server.
const Path = "/v4/ws"

// Defaults for options.
const (
	// DefaultHeartbeatInterval is used when the server does not advertise
	// one in its login reply.
	DefaultHeartbeatInterval = 30 * time.Second
	// DefaultEventBuffer is how many pushed events may wait in Events.
	DefaultEventBuffer = 1024
	// DefaultReadLimit caps one server frame.
	DefaultReadLimit = 1 << 20
	// writeTimeout bounds sending one frame. A write that times out closes
	// the connection (the WebSocket library's rule), so it is not tied to
	// the caller's context: cancelling a JoinGroup must not kill the
	// connection.
	writeTimeout = 10 * time.Second
)

// Error is a refusal from the server: the protocol's ErrorCode and
// ErrorInfo, with the same codes as the REST API (70001 UserSig expired,
// 10007 not allowed, ...).
type Error struct {
	Code int
	Info string
}

// Error formats the code and the server's explanation.
func (e *Error) Error() string { return fmt.Sprintf("chatd error %d: %s", e.Code, e.Info) }

// CloseError tells how the server closed the connection (Err returns it):
// 1000 logout, 1001 server shutdown, 1008 timeout or protocol violation,
// 4001 kicked.
type CloseError struct {
	Code   int
	Reason string
}

// Error formats the close status and reason.
func (e *CloseError) Error() string {
	return fmt.Sprintf("connection closed with status %d: %s", e.Code, e.Reason)
}

// ErrClosed is returned by requests made on, or interrupted by, a closed
// connection.
var ErrClosed = errors.New("client: connection closed")

// Event is a frame the server pushed without being asked: "push" (an
// application event), "kicked" (the connection is about to close) or
// "group_dropped" (banned from, or destruction of, a live group).
type Event struct {
	Op      string
	GroupID string // the group concerned, when there is one
	// Raw is the whole frame as it came, for the op-specific fields; its
	// event may lack what the frame carries (protocol 2): read the event
	// from Data.
	Raw json.RawMessage
	// For "push": the application event (Data) and its Type ("C2CMsg",
	// "GroupMsg", ...), with its place in its stream (Seq in the user's,
	// MsgSeq or EventSeq in a group's; all 0 for events that are not
	// stored). Events fetched by a sync look exactly like pushed ones.
	Type     string
	Data     json.RawMessage
	Seq      int64
	MsgSeq   int64
	EventSeq int64
}

// Option configures Dial.
type Option func(*options)

type options struct {
	heartbeat     time.Duration
	eventBuffer   int
	readLimit     int64
	httpClient    *http.Client
	header        http.Header
	platform      string
	state         *SyncState
	noSync        bool
	noCompression bool
}

// WithPlatform names the platform the client runs on, as
// query_online_status reports it: iPhone, Android, Web, PC, iPad or Mac.
// The server assumes Web when none is given.
func WithPlatform(platform string) Option {
	return func(o *options) { o.platform = platform }
}

// WithHeartbeatInterval overrides the heartbeat interval the server
// advertises. A negative interval sends no heartbeats at all (the server
// will then close the connection after its idle timeout).
func WithHeartbeatInterval(d time.Duration) Option {
	return func(o *options) { o.heartbeat = d }
}

// WithEventBuffer sets how many events may wait unread. When the buffer is
// full the client stops reading the socket until Events is drained; the
// server then disconnects it as a slow consumer if this lasts.
func WithEventBuffer(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.eventBuffer = n
		}
	}
}

// WithHTTPClient sets the HTTP client used for the WebSocket handshake
// (TLS settings, proxies).
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) { o.httpClient = hc }
}

// WithHeader adds HTTP headers to the handshake request.
func WithHeader(h http.Header) Option {
	return func(o *options) { o.header = h }
}

// WithoutCompression does not offer per-message compression. By default
// the client offers it (permessage-deflate, each message compressed on its
// own): the server then compresses its pushes and replies of 128 bytes or
// more, a message's push losing about a third of its bytes, and the client
// compresses its own requests of 512 bytes or more. Without it every frame
// is plain, which spares both ends the CPU where bytes are cheap.
func WithoutCompression() Option {
	return func(o *options) { o.noCompression = true }
}

// Client is one logged-in connection. Its methods are safe for concurrent
// use.
type Client struct {
	ws     *websocket.Conn
	nextID atomic.Int64

	mu       sync.Mutex
	pending  map[int64]chan reply
	finished bool
	err      error

	events    chan Event
	done      chan struct{}
	closing   chan struct{}
	closeOnce sync.Once

	// sync follows the user's streams: it detects gaps in the pushes'
	// sequence numbers and fetches what was missed (sync.go).
	sync *syncer
}

// outFrame is the session requests the client sends; requests of the
// domains (sending, syncing, ...) carry their own fields (see call).
type outFrame struct {
	SDKAppID uint64 `json:"SDKAppID,omitempty"`
	UserID   string `json:"UserID,omitempty"`
	UserSig  string `json:"UserSig,omitempty"`
	Platform string `json:"Platform,omitempty"`
	GroupID  string `json:"GroupId,omitempty"`
	Protocol int    `json:"Protocol,omitempty"` // login: the highest version this client speaks
}

// protocol is the gateway protocol version this client speaks: 2 takes
// pushes whose event leaves out what its frame carries (see fullEvent).
const protocol = 2

// reply is the part of a server frame the client interprets; a frame with
// an "id" answers a request, one without is an Event. raw is the whole
// frame, for the fields of each op's reply.
type reply struct {
	ID                  *int64 `json:"id"`
	Op                  string `json:"op"`
	ErrorCode           int    `json:"ErrorCode"`
	ErrorInfo           string `json:"ErrorInfo"`
	HeartbeatIntervalMs int64  `json:"HeartbeatIntervalMs"`
	raw                 json.RawMessage
}

// Dial connects to the gateway of the chatd server at serverURL (http,
// https, ws or wss; the /v4/ws path is added) and logs in. A refused login
// returns a *Error with the server's code. ctx bounds the dial and the
// login only.
func Dial(ctx context.Context, serverURL string, sdkAppID uint64, userID, userSig string, opts ...Option) (*Client, error) {
	o := options{eventBuffer: DefaultEventBuffer, readLimit: DefaultReadLimit}
	for _, opt := range opts {
		opt(&o)
	}
	u, err := gatewayURL(serverURL)
	if err != nil {
		return nil, err
	}
	compression := websocket.CompressionNoContextTakeover // what the server accepts (docs/client-protocol.md §1)
	if o.noCompression {
		compression = websocket.CompressionDisabled
	}
	ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: o.httpClient, HTTPHeader: o.header, CompressionMode: compression})
	if err != nil {
		return nil, fmt.Errorf("client: dial %s: %w", u, err)
	}
	ws.SetReadLimit(o.readLimit)
	c := &Client{
		ws:      ws,
		pending: make(map[int64]chan reply),
		events:  make(chan Event, o.eventBuffer),
		done:    make(chan struct{}),
		closing: make(chan struct{}),
	}
	c.sync = newSyncer(c, o.state)
	go c.readLoop()
	r, err := c.call(ctx, "login", outFrame{SDKAppID: sdkAppID, UserID: userID, UserSig: userSig, Platform: o.platform, Protocol: protocol})
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	if !o.noSync {
		go c.sync.run()
		if err := c.sync.awaitFollowing(ctx); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	interval := o.heartbeat
	if interval == 0 {
		interval = time.Duration(r.HeartbeatIntervalMs) * time.Millisecond
	}
	if interval == 0 {
		interval = DefaultHeartbeatInterval
	}
	if interval > 0 {
		go c.heartbeatLoop(interval)
	}
	return c, nil
}

// gatewayURL turns a server base URL into the gateway's WebSocket URL.
func gatewayURL(serverURL string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("client: server URL: %w", err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("client: server URL %q: scheme must be http, https, ws or wss", serverURL)
	}
	if u.Host == "" {
		return "", fmt.Errorf("client: server URL %q has no host", serverURL)
	}
	if !strings.HasSuffix(u.Path, Path) {
		u.Path = strings.TrimSuffix(u.Path, "/") + Path
	}
	u.RawPath = ""
	return u.String(), nil
}

// JoinGroup enters a live group (AVChatRoom). Other group types are refused
// with code 10007, a ban with 10007 too, an unknown group with 10010.
func (c *Client) JoinGroup(ctx context.Context, groupID string) error {
	c.sync.enterRoom(groupID)
	_, err := c.call(ctx, "join_group", outFrame{GroupID: groupID})
	return err
}

// QuitGroup leaves a live group.
func (c *Client) QuitGroup(ctx context.Context, groupID string) error {
	_, err := c.call(ctx, "quit_group", outFrame{GroupID: groupID})
	return err
}

// Logout leaves every group and ends the session; the server then closes
// the connection, which Logout waits for (bounded by ctx).
func (c *Client) Logout(ctx context.Context) error {
	if _, err := c.call(ctx, "logout", nil); err != nil {
		return err
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Events returns the pushed events. The channel is closed when the
// connection ends. Drain it: see WithEventBuffer.
func (c *Client) Events() <-chan Event { return c.events }

// Done is closed when the connection has ended, whichever side closed it.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended (a *CloseError when the server sent
// a close status), or nil while it is open.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection (status 1000) and waits until it has ended.
// The server treats it like going offline: the user leaves its live groups
// once no other connection of theirs is in them.
func (c *Client) Close() error {
	select {
	case <-c.done:
		return nil // already ended
	default:
	}
	var err error
	c.closeOnce.Do(func() {
		close(c.closing)
		err = c.ws.Close(websocket.StatusNormalClosure, "")
	})
	<-c.done
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// call sends one request and waits for its reply. fields, a struct or
// map encoded as a JSON object, are the op's own (nil for none).
func (c *Client) call(ctx context.Context, op string, fields any) (reply, error) {
	if err := ctx.Err(); err != nil {
		return reply{}, err
	}
	id := c.nextID.Add(1)
	frame, err := encodeRequest(id, op, fields)
	if err != nil {
		return reply{}, err
	}
	ch := make(chan reply, 1)
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return reply{}, c.closedErr()
	}
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	if err := c.write(frame); err != nil {
		return reply{}, err
	}
	var r reply
	select {
	case r = <-ch:
	case <-ctx.Done():
		return reply{}, ctx.Err()
	case <-c.done:
		select {
		case r = <-ch: // answered just before the server closed (logout, refused login)
		default:
			return reply{}, c.closedErr()
		}
	}
	if r.ErrorCode != 0 {
		return r, &Error{Code: r.ErrorCode, Info: r.ErrorInfo}
	}
	return r, nil
}

// request calls op and decodes the reply's fields into out (when not nil).
func (c *Client) request(ctx context.Context, op string, fields, out any) error {
	r, err := c.call(ctx, op, fields)
	if err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(r.raw, out); err != nil {
			return fmt.Errorf("client: %s reply: %w", op, err)
		}
	}
	return nil
}

// encodeRequest builds {"id":..,"op":..,...fields}.
func encodeRequest(id int64, op string, fields any) ([]byte, error) {
	head, err := json.Marshal(struct {
		ID int64  `json:"id"`
		Op string `json:"op"`
	}{id, op})
	if err != nil {
		return nil, fmt.Errorf("client: encode %s: %w", op, err)
	}
	if fields == nil {
		return head, nil
	}
	body, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("client: encode %s: %w", op, err)
	}
	if len(body) < 2 || body[0] != '{' {
		return nil, fmt.Errorf("client: %s fields are not a JSON object", op)
	}
	if len(body) == 2 {
		return head, nil
	}
	return append(append(head[:len(head)-1], ','), body[1:]...), nil
}

func (c *Client) write(data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
		return fmt.Errorf("%w: %v", ErrClosed, err)
	}
	return nil
}

func (c *Client) closedErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return fmt.Errorf("%w: %v", ErrClosed, c.err)
	}
	return ErrClosed
}

func (c *Client) readLoop() {
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.finish(err)
			return
		}
		var r reply
		if json.Unmarshal(data, &r) != nil {
			continue // not ours to interpret; the protocol only sends objects
		}
		r.raw = data
		if r.ID != nil {
			c.mu.Lock()
			ch := c.pending[*r.ID]
			c.mu.Unlock()
			if ch != nil {
				select {
				case ch <- r: // buffered 1: the first reply to an id wins
				default:
				}
			}
			continue // heartbeat replies have no waiter
		}
		if !c.sync.pushed(data) {
			c.finish(ErrClosed)
			return
		}
	}
}

// finish records why the connection ended and releases every waiter.
func (c *Client) finish(err error) {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		err = &CloseError{Code: int(ce.Code), Reason: ce.Reason}
	}
	c.mu.Lock()
	c.finished, c.err = true, err
	c.mu.Unlock()
	// A connection that ended without a close handshake (the server went
	// away or cut us) still holds its socket; the library would only free
	// it in a finalizer.
	_ = c.ws.CloseNow()
	close(c.done)
	// The syncer sends on events only under emitMu, and gives up once done
	// is closed: taking emitMu waits out a send in progress, so events is
	// never closed under a sender (a connection the server ends while a
	// sync is being handed over).
	c.sync.emitMu.Lock()
	close(c.events)
	c.sync.emitMu.Unlock()
}

func (c *Client) heartbeatLoop(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			frame, _ := encodeRequest(c.nextID.Add(1), "heartbeat", nil)
			if c.write(frame) != nil {
				return
			}
		case <-c.done:
			return
		}
	}
}
