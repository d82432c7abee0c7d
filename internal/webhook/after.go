package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// retryDelay is the pause before an after callback that timed out is sent
// again (when the app asks for retries; the vendor documents no interval).
const retryDelay = time.Second

// job is one callback waiting in a lane.
type job struct {
	req *request
	// value is the body, encoded when the job is sent.
	value any
	// fill completes value just before it is sent: the counts a body
	// reports (unread messages) are read then, off the action's path.
	fill func(ctx context.Context)
	// answered receives the app's answer, for the callbacks whose answer
	// is used later (Chatbot.OnC2CSignalMessage).
	answered func(ctx context.Context, ans *answer)
}

// after queues a callback: it never blocks and never fails the action.
// Callbacks with the same key are sent in the order queued. When the
// app's queue is full the callback is dropped, counted and logged.
func (s *Sender) after(ctx context.Context, appID uint64, command, key string, j job) {
	a := s.on(appID, command)
	if a == nil {
		return
	}
	j.req = &request{command: command, origin: OriginOf(ctx), key: s.nextKey()}
	s.enqueue(a, key, &j)
}

func (s *Sender) enqueue(a *app, key string, j *job) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.drop(a, j, "chatd is stopping")
		return
	}
	a.queued.Add(1)
	select {
	case a.queues[s.lane(key)] <- j:
	default:
		a.queued.Add(-1)
		s.drop(a, j, "the queue is full")
	}
}

// drop records an after callback that will not be sent.
func (s *Sender) drop(a *app, j *job, why string) {
	n := a.dropped.Add(1)
	a.log.add(Delivery{Time: s.now().UnixMilli(), Command: j.req.command, Kind: KindAfter, Outcome: OutcomeDropped, Error: why})
	// One line for the first drop and then one per thousand, so a dead
	// callback server under load does not flood the log.
	if n == 1 || n%1000 == 0 {
		s.log.Warn("after callbacks dropped", "app", a.id, "command", j.req.command, "dropped_total", n, "why", why)
	}
}

// deliver sends the jobs of one lane, one at a time.
func (s *Sender) deliver(a *app, lane chan *job) {
	defer s.wg.Done()
	for j := range lane {
		s.sendJob(a, j)
		a.queued.Add(-1)
	}
}

// sendJob sends one queued callback, once more after a timeout when the
// app asks for it.
func (s *Sender) sendJob(a *app, j *job) {
	if s.ctx.Err() != nil {
		s.drop(a, j, "chatd stopped before sending it")
		return
	}
	if j.fill != nil {
		j.fill(s.ctx)
	}
	body, err := json.Marshal(j.value)
	if err != nil {
		s.log.Error("webhook: encode", "command", j.req.command, "err", err)
		return
	}
	j.req.body = body
	kind := KindAfter
	if j.answered != nil {
		kind = KindBefore // queued, but its answer is used
	}
	ans, err := s.send(s.ctx, a, j.req, kind, 1)
	var ce *callError
	if err != nil && a.cfg.RetryAfterTimeout && errors.As(err, &ce) && ce.outcome == OutcomeTimeout {
		select {
		case <-time.After(retryDelay):
			ans, err = s.send(s.ctx, a, j.req, kind, 2)
		case <-s.ctx.Done():
		}
	}
	if err == nil && j.answered != nil {
		j.answered(s.ctx, ans)
	}
}
