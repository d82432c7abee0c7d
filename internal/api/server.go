// Package api is chatd's REST transport: the v4 command table, common
// query parameters, admin auth, per-API rate limits and the response
// envelope. Handlers are thin: they convert wire shapes and call the
// domain services.
package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// Verifier checks a UserSig; *usersig.Verifier satisfies it.
type Verifier interface {
	Verify(key string, sdkAppID uint64, identifier, sig string) error
}

// Server answers every REST call with HTTP 200 and the vendor's envelope.
type Server struct {
	apps     map[uint64]*config.App
	commands map[string]*Command
	verifier Verifier
	limiter  *limiter
	maxBody  int64
	now      func() time.Time
	log      *slog.Logger
	ids      *requestIDs
}

// Options are what a Server needs besides its command table.
type Options struct {
	Config   config.Config
	Verifier Verifier
	Now      func() time.Time
	Logger   *slog.Logger
}

// NewServer builds a server over the given command rows. It fails on a
// duplicate path, so a table mistake stops start-up instead of shadowing
// an endpoint.
func NewServer(opts Options, commands []Command) (*Server, error) {
	s := &Server{
		apps:     map[uint64]*config.App{},
		commands: map[string]*Command{},
		verifier: opts.Verifier,
		maxBody:  opts.Config.MaxBodyBytes,
		now:      opts.Now,
		log:      opts.Logger,
		ids:      newRequestIDs(),
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
	code, result := s.serve(r, start, buf)
	buf.out = writeEnvelope(w, buf.out[:0], s.ids, seq, code, result)
	if code.Code != 0 && code.Code != im.CodeAPIRateLimit {
		s.log.Debug("rest call failed", "path", r.URL.Path, "code", code.Code, "info", code.Info, "request_id", string(s.ids.appendID(nil, seq)))
	}
	buf.release()
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

func (s *Server) serve(r *http.Request, now time.Time, buf *buffers) (*im.Error, any) {
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
	if query.contentTypes > 1 || query.contentTypes == 1 && query.contentType != "json" {
		return &im.Error{Code: im.CodeBadURLParam, Info: "contenttype must be json"}, nil
	}
	if err := s.verifier.Verify(app.SecretKey, appID, identifier, sig); err != nil {
		return im.AsError(err, im.CodeSigInvalid), nil
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
	if _, err := buf.body.ReadFrom(io.LimitReader(r.Body, s.maxBody+1)); err != nil {
		return im.Errorf(im.CodeHTTPParse, "request body cannot be read: %v", err), nil
	}
	body := buf.body.Bytes()
	if int64(len(body)) > s.maxBody {
		return im.Errorf(im.CodeHTTPParse, "request body over %d bytes", s.maxBody), nil
	}
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

// success is the shared outcome of every call that succeeded.
var success = &im.Error{}
