package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// IdempotencyHeader carries a key unique to one callback event: a retry
// of an after callback sends the same key, so a receiver can drop what it
// has seen (chatd's addition; the vendor sends none).
const IdempotencyHeader = "Idempotency-Key"

// answer is what an app returns: the common fields and the extras some
// before callbacks carry.
type answer struct {
	ActionStatus           string          `json:"ActionStatus"`
	ErrorCode              int             `json:"ErrorCode"`
	ErrorInfo              string          `json:"ErrorInfo"`
	MsgBody                json.RawMessage `json:"MsgBody"`
	CloudCustomData        *string         `json:"CloudCustomData"`
	RefusedMembers_Account []string        `json:"RefusedMembers_Account"`
	ResultItem             []resultItem    `json:"ResultItem"`
	RspData                string          `json:"RspData"`
}

// resultItem is one verdict of a relationship before callback.
type resultItem struct {
	To_Account string `json:"To_Account"`
	ResultCode int    `json:"ResultCode"`
	ResultInfo string `json:"ResultInfo"`
}

// request is one callback to send: built when the event happens, so the
// origin and the time are the event's, even when it is sent later.
type request struct {
	command string
	origin  Origin
	key     string // idempotency key
	body    []byte
}

// Outcomes of a delivery, as the delivery log reports them.
const (
	OutcomeOK       = "ok"
	OutcomeTimeout  = "timeout"
	OutcomeStatus   = "status"   // HTTP status other than 200
	OutcomeNotJSON  = "not_json" // 200 but not a JSON object
	OutcomeNetwork  = "network"  // DNS, connect, TLS, reset
	OutcomeDropped  = "dropped"  // the after queue was full, or chatd stopped
	OutcomeCanceled = "canceled" // the action's caller went away first
)

// callError is a failed callback, with its outcome.
type callError struct {
	outcome string
	detail  string
}

func (e *callError) Error() string { return e.outcome + ": " + e.detail }

// newRequest encodes body (a struct of the spec's fields).
func (s *Sender) newRequest(ctx context.Context, command string, body any) (*request, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("webhook: encode %s: %w", command, err)
	}
	return &request{command: command, origin: OriginOf(ctx), key: s.nextKey(), body: b}, nil
}

func randomNode() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// target is the request URL: the app's URL with the spec's parameters
// appended (after its own query, if any).
func (a *app) target(r *request, now time.Time) string {
	var b strings.Builder
	b.Grow(len(a.prefix) + len(a.suffix) + 256)
	b.WriteString(a.prefix)
	sep := ""
	add := func(k, v string) {
		b.WriteString(sep)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
		sep = "&"
	}
	add("SdkAppid", strconv.FormatUint(a.id, 10))
	add("CallbackCommand", r.command)
	add("contenttype", "json")
	if r.command != AlertRequestOverLimit && r.origin.ClientIP != "" {
		add("ClientIP", r.origin.ClientIP)
	}
	platform := r.origin.Platform
	if platform == "" {
		platform = PlatformUnknown
	}
	if r.command == StateChange && platform == platformIOS {
		platform = stateIOS
	}
	add("OptPlatform", platform)
	if a.cfg.Token != "" {
		t := strconv.FormatInt(now.Unix(), 10)
		add("Sign", Sign(a.cfg.Token, t))
		add("RequestTime", t)
	}
	b.WriteString(a.suffix)
	return b.String()
}

// targetParts splits base around the place of the spec's parameters:
// after its own query (and a "?" or "&"), before its fragment.
func targetParts(base *url.URL) (prefix, suffix string) {
	u := *base
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	prefix = u.String()
	if base.RawQuery == "" {
		prefix += "?"
	}
	if base.Fragment != "" {
		suffix = "#" + base.EscapedFragment()
	}
	return prefix, suffix
}

// Sign is the spec's signature: the lower-case hex SHA-256 of the token
// followed by the decimal request time.
func Sign(token, requestTime string) string {
	sum := sha256.Sum256([]byte(token + requestTime))
	return hex.EncodeToString(sum[:])
}

// send posts one request and reads the answer; every delivery, good or
// bad, is recorded in the app's log. ctx bounds it besides the timeout.
// lc is the lane's connection of an after callback (nil for a before
// one).
func (s *Sender) send(ctx context.Context, a *app, lc *laneConn, r *request, kind string, attempt int) (*answer, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	start := s.now()
	target := a.target(r, start)
	d := Delivery{Time: start.UnixMilli(), Command: r.command, Kind: kind, Attempt: attempt, URL: target, Request: r.body}
	var ans *answer
	var raw []byte
	var status int
	var err error
	if lc != nil && a.direct {
		ans, raw, status, err = a.postOn(ctx, lc, target, r)
	} else {
		ans, raw, status, err = a.post(ctx, target, r)
	}
	d.LatencyMs = float64(time.Since(start).Microseconds()) / 1000
	d.Status, d.Answer = status, string(raw)
	d.Outcome = OutcomeOK
	var ce *callError
	if errors.As(err, &ce) {
		d.Outcome, d.Error = ce.outcome, ce.detail
	}
	a.log.add(d)
	if err != nil {
		s.log.Warn("callback failed", "app", a.id, "command", r.command, "outcome", d.Outcome, "err", d.Error)
	}
	return ans, err
}

// post is the HTTP exchange: POST, keep-alive, JSON both ways. An answer
// is good only with status 200 and a JSON object.
func (a *app) post(ctx context.Context, target string, r *request) (*answer, []byte, int, error) {
	req, err := a.newPost(ctx, target, r)
	if err != nil {
		return nil, nil, 0, &callError{OutcomeNetwork, err.Error()}
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, nil, 0, classify(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, raw, resp.StatusCode, classify(ctx, err)
	}
	// Drain what is left so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	ans, err := readAnswer(raw, resp.StatusCode)
	return ans, raw, resp.StatusCode, err
}

// newPost is the request of r: POST, JSON, the idempotency key.
func (a *app) newPost(ctx context.Context, target string, r *request) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(r.body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(IdempotencyHeader, r.key)
	return req, nil
}

// readAnswer reads an app's answer: good only with status 200 and a JSON
// object.
func readAnswer(raw []byte, status int) (*answer, error) {
	if status != http.StatusOK {
		return nil, &callError{OutcomeStatus, fmt.Sprintf("HTTP %d", status)}
	}
	var ans answer
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &ans) != nil {
		return nil, &callError{OutcomeNotJSON, "the answer is not a JSON object"}
	}
	return &ans, nil
}

// classify names a transport failure.
func classify(ctx context.Context, err error) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &callError{OutcomeTimeout, err.Error()}
	case ctx.Err() != nil:
		return &callError{OutcomeCanceled, err.Error()}
	}
	return &callError{OutcomeNetwork, err.Error()}
}
