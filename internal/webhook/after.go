package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
)

// retryDelay is the pause before an after callback that timed out is sent
// again (when the app asks for retries; the vendor documents no interval).
const retryDelay = time.Second

// job is one callback waiting in a lane.
type job struct {
	// value is the body, when the job is built by after; cb holds it
	// encoded once the job is recorded.
	value any
	// cb is the callback as the outbox stores it.
	cb *im.Callback
	// durable says cb is in the outbox: it is deleted once sent or given
	// up, and left there for the next start when chatd stops first.
	durable bool
	// unread reads the unread count of the body's UnreadMsgNum, when the
	// domain passed one (otherwise Options.Unread is asked).
	unread message.Count
	// unreadOf names the user whose count UnreadMsgNum reports; "" when
	// the body has no count to fill in.
	unreadOf string
	// counted says the commit that stored the callback counted it:
	// unreadN is UnreadMsgNum, and nothing is read when it is sent.
	counted bool
	unreadN int64
	// answered receives the app's answer, for the callbacks whose answer
	// is used later (Chatbot.OnC2CSignalMessage). Such a callback is not
	// durable: the answer has nobody to go to after a restart.
	answered func(ctx context.Context, ans *answer)
}

// stored is the request of a callback as the outbox keeps it: what is
// needed to send it from another process.
type stored struct {
	Command string `json:"c"`
	Origin  Origin `json:"o"`
	// Unread names the user whose unread count fills UnreadMsgNum.
	Unread string `json:"u,omitempty"`
	// Body comes last, so decodeStored takes it as it is, without
	// scanning it.
	Body json.RawMessage `json:"r"`
	// Before is the body of a row an earlier chatd wrote (under "b",
	// before "u").
	Before json.RawMessage `json:"b,omitempty"`
}

// Placeholders: a body is encoded when its event happens, but a few of its
// values are only known later: the MsgSeq a group message takes in its
// commit, the unread count read when the callback is sent. The body holds
// these numbers in their place, and they are replaced before sending; a
// body field comes before MsgBody, so the first match is always ours
// (an app's message content cannot hold them outside a string before it).
const (
	laterSeq    = -9000000000000000001
	laterTime   = -9000000000000000002
	laterUnread = -9000000000000000003
)

// after queues a callback: it never blocks and never fails the action.
// Callbacks with the same key are sent in the order queued. With an
// outbox, the callback is stored before after returns, so the action is
// not answered before its callback is durable; when the app's queue is
// full the callback is dropped, counted and logged.
func (s *Sender) after(ctx context.Context, appID uint64, command, key string, j job) {
	a := s.on(appID, command)
	if a == nil {
		return
	}
	if !s.record(ctx, a, command, key, &j) {
		return
	}
	if s.outbox != nil && j.answered == nil {
		if _, err := s.appends.Do(context.WithoutCancel(ctx), *j.cb); err != nil {
			// Sent all the same, from memory: only a crash now loses it.
			s.log.Warn("webhook: outbox: callback not stored", "app", a.id, "command", command, "err", err)
		} else {
			j.durable = true
		}
	}
	s.enqueue(a, &j)
}

// record encodes j's body into j.cb; false when it cannot be encoded.
func (s *Sender) record(ctx context.Context, a *app, command, key string, j *job) bool {
	body, err := json.Marshal(j.value)
	if err == nil {
		var req []byte
		req, err = encodeStored(stored{Command: command, Origin: OriginOf(ctx), Unread: j.unreadOf}, body)
		seq := s.nextSeq()
		j.cb = &im.Callback{Key: s.key(seq), Owner: s.node, Seq: seq, AppID: a.id, Lane: key, Request: req, UnreadOf: j.unreadOf}
	}
	if err != nil {
		s.log.Error("webhook: encode", "command", command, "err", err)
		return false
	}
	j.value = nil
	return true
}

// Record builds the callback of an action that is about to be committed
// through the streams: the caller carries it in the action's StreamWrite,
// so it is stored in the action's transaction, and Committed queues it.
// Nil when the app does not want the callback.
func (s *Sender) recordFor(ctx context.Context, appID uint64, command, key string, j job) []im.Callback {
	a := s.on(appID, command)
	if a == nil || !s.record(ctx, a, command, key, &j) {
		return nil
	}
	return []im.Callback{*j.cb}
}

// Committed queues the callbacks the writes carried, now that they are
// committed (stream.Callbacks); those of a write that failed or was a
// duplicate were not stored, and are not sent. When the commit counted
// the unread total a callback reports (StreamResult.Unread), it is sent
// as the message left it, with no read.
func (s *Sender) Committed(writes []im.StreamWrite, results []im.StreamResult) {
	for i, w := range writes {
		if len(w.Callbacks) == 0 || results[i].Err != nil || results[i].Duplicate {
			continue
		}
		for _, cb := range w.Callbacks {
			if w.Group != nil {
				cb.MsgSeq, cb.MsgTime = results[i].GroupSeq, results[i].GroupTime
			}
			if a := s.apps[cb.AppID]; a != nil {
				s.enqueue(a, &job{cb: &cb, durable: s.outbox != nil, counted: cb.UnreadOf != "" && results[i].UnreadCounted, unreadN: results[i].Unread})
			}
		}
	}
}

func (s *Sender) enqueue(a *app, j *job) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.drop(a, j, "chatd is stopping", false)
		return
	}
	a.queued.Add(1)
	select {
	case a.queues[s.lane(j.cb.Lane)] <- j:
	default:
		a.queued.Add(-1)
		s.drop(a, j, "the queue is full", true)
	}
}

// drop records an after callback that will not be sent. A durable one is
// deleted from the outbox when final (its queue was full: the policy
// bounds the outbox as it bounds the queue); when chatd stops first it
// stays there, and the next start sends it.
func (s *Sender) drop(a *app, j *job, why string, final bool) {
	if final {
		s.done(j)
	}
	n := a.dropped.Add(1)
	a.log.add(Delivery{Time: s.now().UnixMilli(), Command: commandOf(j.cb), Kind: KindAfter, Outcome: OutcomeDropped, Error: why})
	// One line for the first drop and then one per thousand, so a dead
	// callback server under load does not flood the log.
	if n == 1 || n%1000 == 0 {
		s.log.Warn("after callbacks dropped", "app", a.id, "command", commandOf(j.cb), "dropped_total", n, "why", why)
	}
}

// encodeStored encodes st with body, which json.Marshal just wrote: it
// goes in as it is, not checked and compacted once more (a send's
// callback is recorded on the send's path).
func encodeStored(st stored, body []byte) ([]byte, error) {
	head, err := json.Marshal(st) // {"c":...,"o":{...}[,"u":...],"r":null}
	if err != nil {
		return nil, err
	}
	i := bytes.LastIndex(head, []byte(`,"r":null}`))
	if i < 0 {
		return nil, errors.New("webhook: encode stored: no body field")
	}
	out := make([]byte, 0, len(head)+len(body))
	out = append(append(append(out, head[:i+5]...), body...), '}')
	return out, nil
}

// bodyField starts the body, the last field of a stored request. A string
// before it cannot hold it (its quotes are escaped), so its first match
// is the field.
var bodyField = []byte(`,"r":`)

// decodeStored reads a stored request: the fields before the body are
// decoded, the body is a slice of req, not scanned (a callback is
// decoded on its way out, once per send). A row an earlier chatd wrote is
// decoded whole.
func decodeStored(req []byte) (stored, error) {
	var st stored
	if i := bytes.Index(req, bodyField); i >= 0 && len(req) > i+len(bodyField) && req[len(req)-1] == '}' {
		head := append(req[:i:i], '}')
		if json.Unmarshal(head, &st) == nil && st.Before == nil {
			st.Body = req[i+len(bodyField) : len(req)-1]
			return st, nil
		}
		st = stored{}
	}
	if err := json.Unmarshal(req, &st); err != nil {
		return st, err
	}
	if st.Body == nil {
		st.Body = st.Before
	}
	return st, nil
}

// commandOf reads a stored callback's command. It is the encoding's
// first field, and a command word needs no escaping, so it is read
// without decoding the body (drops under load read it for each).
func commandOf(cb *im.Callback) string {
	if rest, ok := bytes.CutPrefix(cb.Request, []byte(`{"c":"`)); ok {
		if i := bytes.IndexByte(rest, '"'); i >= 0 {
			return string(rest[:i])
		}
	}
	st, _ := decodeStored(cb.Request)
	return st.Command
}

// deliver sends the jobs of one lane, one at a time.
func (s *Sender) deliver(a *app, lane chan *job) {
	defer s.wg.Done()
	lc := &laneConn{}
	defer lc.close()
	for j := range lane {
		s.sendJob(a, lc, j)
		a.queued.Add(-1)
	}
}

// sendJob sends one queued callback, once more after a timeout when the
// app asks for it, and then deletes it from the outbox.
func (s *Sender) sendJob(a *app, lc *laneConn, j *job) {
	if s.ctx.Err() != nil {
		s.drop(a, j, "chatd stopped before sending it", false)
		return
	}
	req, err := s.request(s.ctx, j)
	if err != nil {
		s.log.Error("webhook: outbox: unreadable callback, deleted", "app", a.id, "key", j.cb.Key, "err", err)
		s.done(j)
		return
	}
	kind := KindAfter
	if j.answered != nil {
		kind = KindBefore // queued, but its answer is used
	}
	ans, err := s.send(s.ctx, a, lc, req, kind, 1)
	var ce *callError
	if err != nil && a.cfg.RetryAfterTimeout && errors.As(err, &ce) && ce.outcome == OutcomeTimeout {
		select {
		case <-time.After(retryDelay):
			ans, err = s.send(s.ctx, a, lc, req, kind, 2)
		case <-s.ctx.Done():
		}
	}
	if s.ctx.Err() != nil {
		return // stopped while sending: the next start sends it again
	}
	s.done(j)
	if err == nil && j.answered != nil {
		j.answered(s.ctx, ans)
	}
}

// request completes a recorded callback: the placeholders get their
// values, the unread count is read now unless its commit counted it (a
// row taken over from the outbox was not: its count is read).
func (s *Sender) request(ctx context.Context, j *job) (*request, error) {
	st, err := decodeStored(j.cb.Request)
	if err != nil {
		return nil, err
	}
	body := []byte(st.Body)
	if j.cb.MsgSeq != 0 {
		body = fillIn(body, "MsgSeq", laterSeq, j.cb.MsgSeq)
		body = fillIn(body, "MsgTime", laterTime, j.cb.MsgTime)
	}
	if st.Unread != "" {
		body = fillIn(body, "UnreadMsgNum", laterUnread, s.unreadCount(ctx, j, st.Unread))
	}
	return &request{command: st.Command, origin: st.Origin, key: j.cb.Key, body: body}, nil
}

// fillIn replaces the first "field":placeholder of body with value.
func fillIn(body []byte, field string, placeholder, value int64) []byte {
	old := `"` + field + `":` + strconv.FormatInt(placeholder, 10)
	i := bytes.Index(body, []byte(old))
	if i < 0 {
		return body
	}
	out := make([]byte, 0, len(body))
	out = append(out, body[:i+len(field)+3]...)
	out = strconv.AppendInt(out, value, 10)
	return append(out, body[i+len(old):]...)
}

// unreadCount is a body's UnreadMsgNum: -1 when it cannot be read.
func (s *Sender) unreadCount(ctx context.Context, j *job, user string) int64 {
	if j.counted {
		return j.unreadN
	}
	count := j.unread
	if count == nil && s.unreadOf != nil {
		count = func(ctx context.Context) (int64, error) { return s.unreadOf(ctx, j.cb.AppID, user) }
	}
	if count == nil {
		return -1
	}
	n, err := count(ctx)
	if err != nil {
		s.log.Warn("callback: unread count", "err", err)
		return -1
	}
	return n
}
