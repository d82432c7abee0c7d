// Package api is chatd's REST transport: the v4 command table, common
// query parameters, admin auth, per-API rate limits and the response
// envelope. Handlers are thin: they convert wire shapes and call the
// domain services.
package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/usersig"
)

// Verifier checks a UserSig and returns what it says; *usersig.Verifier
// satisfies it.
type Verifier interface {
	Check(key string, sdkAppID uint64, identifier, sig string) (usersig.Claims, error)
}

// Revocations tell when a kick last revoked an account's UserSigs;
// *account.Service satisfies it.
type Revocations interface {
	RevokedBefore(ctx context.Context, appID uint64, userID string, now time.Time) (int64, error)
}

// Server answers every REST call with HTTP 200 and the vendor's envelope.
type Server struct {
	apps        map[uint64]*config.App
	commands    map[string]*Command
	verifier    Verifier
	revocations Revocations
	limiter     *limiter
	archives    Archives
	maxBody     int64
	now         func() time.Time
	log         *slog.Logger
	ids         *requestIDs
}

// Options are what a Server needs besides its command table.
type Options struct {
	Config   config.Config
	Verifier Verifier
	// Revocations, when set, refuses a call whose UserSig a kick of its
	// identifier revoked (70052), as gateway logins are.
	Revocations Revocations
	// Archives, when set, serves the message archives get_history lists.
	Archives Archives
	Now      func() time.Time
	Logger   *slog.Logger
}

// NewServer builds a server over the given command rows. It fails on a
// duplicate path, so a table mistake stops start-up instead of shadowing
// an endpoint.
func NewServer(opts Options, commands []Command) (*Server, error) {
	s := &Server{
		apps:        map[uint64]*config.App{},
		commands:    map[string]*Command{},
		verifier:    opts.Verifier,
		revocations: opts.Revocations,
		archives:    opts.Archives,
		maxBody:     opts.Config.MaxBodyBytes,
		now:         opts.Now,
		log:         opts.Logger,
		ids:         newRequestIDs(),
	}
	for i := range opts.Config.Apps {
		app := &opts.Config.Apps[i]
		s.apps[app.SDKAppID] = app
	}
	for i := range commands {
		c := &commands[i]
		if _, dup := s.commands[c.Path]; dup {
			return nil, fmt.Errorf("api: command %s registered twice", c.Path)
		}
		s.commands[c.Path] = c
	}
	s.limiter = newLimiter(opts.Config, commands, s.now)
	return s, nil
}

// ServeHTTP implements the check order of overview.md §1.7: the first
// failing check decides the code.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	seq := s.ids.next()
	buf := bufPool.Get().(*buffers)
	code := s.answer(w, r, start, seq, buf)
	writeReply(w, buf.out)
	if code.Code != 0 && code.Code != im.CodeAPIRateLimit {
		s.log.Debug("rest call failed", "path", r.URL.Path, "code", code.Code, "info", code.Info, "request_id", string(s.ids.appendID(nil, seq)))
	}
	buf.release()
}

// answer serves the call and leaves the reply in buf.out. A panic anywhere
// in it, handler or encoding, becomes the command's internal-error code and
// one log line with the stack: a caller always gets an envelope, never a
// connection closed by net/http's own recovery.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, now time.Time, seq uint64, buf *buffers) (code *im.Error) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("rest call panicked", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			code = &im.Error{Code: s.internalCode(r.URL.Path), Info: "internal error, retry later"}
			buf.out = appendEnvelope(buf.out[:0], s.ids, seq, code, nil)
		}
	}()
	code, result := s.serve(w, r, now, buf)
	buf.out = appendEnvelope(buf.out[:0], s.ids, seq, code, result)
	return code
}

// internalCode is the internal-error code of the command at path; before a
// command is known only request parsing has run, hence 60002.
func (s *Server) internalCode(path string) int {
	if cmd := s.commands[strings.TrimPrefix(path, "/")]; cmd != nil {
		return cmd.Domain.Internal
	}
	return im.CodeHTTPParse
}

// buffers are a call's request body and reply, reused across calls: the
// body is decoded into fresh values, so nothing keeps pointing into it.
type buffers struct {
	body bytes.Buffer
	out  []byte
}

// maxPooledBuffer keeps an occasional large body from staying in the pool.
const maxPooledBuffer = 64 << 10

var bufPool = sync.Pool{New: func() any { return &buffers{out: make([]byte, 0, 512)} }}

func (b *buffers) release() {
	if b.body.Cap() > maxPooledBuffer || cap(b.out) > maxPooledBuffer {
		return
	}
	b.body.Reset()
	bufPool.Put(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, now time.Time, buf *buffers) (*im.Error, any) {
	if r.Method != http.MethodPost {
		return im.Errorf(im.CodeHTTPParse, "method %s not allowed, use POST", r.Method), nil
	}
	query, err := parseCommonParams(r.URL.RawQuery)
	if err != nil {
		return im.Errorf(im.CodeHTTPParse, "query string cannot be parsed: %v", err), nil
	}
	rawAppID := query.sdkAppID
	if rawAppID == "" {
		return &im.Error{Code: im.CodeMissingSDKAppID, Info: "sdkappid is missing from the URL"}, nil
	}
	appID, err := strconv.ParseUint(rawAppID, 10, 64)
	app := s.apps[appID]
	if err != nil || app == nil {
		return im.Errorf(im.CodeBadSDKAppID, "sdkappid %q is not an app of this server", rawAppID), nil
	}
	cmd := s.commands[strings.TrimPrefix(r.URL.Path, "/")]
	if cmd == nil {
		return im.Errorf(im.CodeUnknownPath, "unknown API %s", r.URL.Path), nil
	}
	identifier, sig := query.identifier, query.userSig
	if identifier == "" || sig == "" {
		return &im.Error{Code: im.CodeBadURLParam, Info: "identifier and usersig are required in the URL"}, nil
	}
	if query.hasContentType && query.contentType != "json" {
		return &im.Error{Code: im.CodeBadURLParam, Info: "contenttype must be json"}, nil
	}
	claims, err := s.verifier.Check(app.SecretKey, appID, identifier, sig)
	if err != nil {
		return im.AsError(err, im.CodeSigInvalid), nil
	}
	if s.revocations != nil {
		// A failed read keeps the last kick time known (or none): the call
		// goes on, and answers from the store what it can.
		before, err := s.revocations.RevokedBefore(r.Context(), appID, identifier, now)
		if err != nil {
			s.log.Warn("rest call: kick time not read", "identifier", identifier, "err", err)
		}
		if claims.Time < before {
			return &im.Error{Code: im.CodeSigInvalidated, Info: "UserSig was invalidated by a kick; generate a new one"}, nil
		}
	}
	if !app.IsAdmin(identifier) {
		return im.Errorf(im.CodeNeedAdmin, "%s is not an app admin", identifier), nil
	}
	if !s.limiter.allowApp(appID) {
		return im.Errorf(im.CodeAppRateLimit, "app %d called more than its app-wide per-second limit", appID), nil
	}
	if !s.limiter.allow(appID, cmd.Path) {
		code := im.CodeAPIRateLimit
		if cmd.LimitCode != 0 {
			code = cmd.LimitCode
		}
		return im.Errorf(code, "%s called more than its per-second limit", cmd.Path), nil
	}
	// MaxBytesReader, unlike a plain limit, tells net/http that the body
	// was cut short: it then closes the connection gracefully after the
	// reply (lingering close), so a client still sending the rest reads
	// the envelope instead of a reset.
	if _, err := buf.body.ReadFrom(http.MaxBytesReader(w, r.Body, s.maxBody)); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return im.Errorf(im.CodeHTTPParse, "request body over %d bytes", s.maxBody), nil
		}
		return im.Errorf(im.CodeHTTPParse, "request body cannot be read: %v", err), nil
	}
	body := buf.body.Bytes()
	call := &Call{App: app, Identifier: identifier, Now: now}
	// No deadline per call: the store bounds each of its operations (3 s),
	// and calls that never reach it, like the online count, stay cheap.
	result, err := cmd.Handle(r.Context(), call, body)
	if err != nil {
		var wire *im.Error
		if !errors.As(err, &wire) {
			s.log.Error("rest call internal error", "path", cmd.Path, "err", err)
		}
		return im.AsError(err, cmd.Domain.Internal), nil
	}
	return success, result
}

// Timeouts bound what slow or stalled peers can hold on to.
type Timeouts struct {
	ReadHeader time.Duration // the request line and headers
	// Read covers the whole request, body included, so a body that stalls
	// (slow-loris) is cut instead of holding its connection forever.
	Read  time.Duration
	Write time.Duration // from the end of the request to the end of the reply
	Idle  time.Duration // a kept-alive connection between two requests
}

// DefaultTimeouts are generous for an app backend on any network: a 1 MiB
// body at 300 kbit/s arrives within Read, and the store bounds each of
// its operations to 3 s, far inside Write.
func DefaultTimeouts() Timeouts {
	return Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 30 * time.Second, Idle: 2 * time.Minute}
}

// NewHTTPServer is the HTTP server for h (see Handler) with t applied.
// The gateway's WebSocket connections leave its timeouts behind when they
// are hijacked: the gateway clears the deadlines net/http set on them.
func NewHTTPServer(h http.Handler, t Timeouts) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
	}
}

// Shutdown drains srv: it stops accepting and waits for in-flight requests
// until ctx ends, then closes the connections still open (a stalled
// upload, a reply nobody reads). The error, when some were cut, is for the
// log: stopping is not a failure.
func Shutdown(ctx context.Context, srv *http.Server) error {
	err := srv.Shutdown(ctx)
	if err == nil || errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	if closeErr := srv.Close(); closeErr != nil {
		return errors.Join(err, closeErr)
	}
	return fmt.Errorf("api: drain: connections still open were cut: %w", err)
}

// success is the shared outcome of every call that succeeded.
var success = &im.Error{}
