package webhook

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/chatd/chatd/internal/batch"
	"github.com/chatd/chatd/internal/im"
)

// The outbox's timing (docs/webhooks.md, "Delivery that survives a crash").
const (
	// leaseTTL is how long a node's rows are its own after it last renewed
	// its lease: a node dead that long has its rows taken over by another
	// (or by the next process on the same database).
	leaseTTL = 10 * time.Second
	// leaseEvery is how often a node renews its lease and looks for the
	// rows of dead nodes.
	leaseEvery = 2 * time.Second
	// deleteEvery is how often the rows of sent callbacks are deleted,
	// all in one transaction; deleteBatch rows start one sooner. Each
	// delete is a commit (an fsync on SQLite) competing with the sends'
	// for the one writer: every 100 ms cost SQLite's REST sends three
	// quarters of their rate (docs/BENCHMARKS.md, webhooks), once a
	// second costs nothing measurable. A crash sends the rows of the
	// last second again, which at-least-once allows.
	deleteEvery = time.Second
	deleteBatch = 16384
	// storeTimeout bounds one outbox statement off the action's path.
	storeTimeout = 10 * time.Second
)

// startOutbox takes the node's lease before any row is written, so no
// other node takes the rows of a live one, and starts the goroutines that
// renew it, take over the rows of dead nodes and delete what was sent.
func (s *Sender) startOutbox(store im.OutboxStore) error {
	s.outbox = store
	ctx, cancel := context.WithTimeout(s.ctx, storeTimeout)
	defer cancel()
	if err := store.RenewOutboxLease(ctx, s.node, s.now().Add(leaseTTL).UnixMilli()); err != nil {
		return fmt.Errorf("webhook: outbox lease: %w", err)
	}
	s.appends = batch.New(s.ctx, batch.DefaultMaxItems, func(ctx context.Context, cbs []im.Callback) ([]struct{}, error) {
		return make([]struct{}, len(cbs)), store.AppendCallbacks(ctx, cbs)
	})
	s.wake = make(chan struct{}, 1)
	s.bg.Add(2)
	go s.leases()
	go s.deletes()
	return nil
}

// nextSeq orders this node's callbacks: a time in nanoseconds, strictly
// increasing, so the order survives a restart (and keys stay unique).
func (s *Sender) nextSeq() int64 {
	for {
		last := s.lastSeq.Load()
		n := max(s.now().UnixNano(), last+1)
		if s.lastSeq.CompareAndSwap(last, n) {
			return n
		}
	}
}

// key is the idempotency key of this node's callback seq.
func (s *Sender) key(seq int64) string { return s.node + "-" + strconv.FormatInt(seq, 36) }

// nextKey is a key no other event of this cluster has.
func (s *Sender) nextKey() string { return s.key(s.nextSeq()) }

// leases renews the node's lease and takes over the rows of dead nodes,
// every leaseEvery until Close.
func (s *Sender) leases() {
	defer s.bg.Done()
	t := time.NewTicker(leaseEvery)
	defer t.Stop()
	for {
		s.takeOver()
		select {
		case <-s.quit:
			return
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Sender) takeOver() {
	ctx, cancel := context.WithTimeout(s.ctx, storeTimeout)
	defer cancel()
	now := s.now()
	if err := s.outbox.RenewOutboxLease(ctx, s.node, now.Add(leaseTTL).UnixMilli()); err != nil {
		s.log.Warn("webhook: outbox lease not renewed", "err", err)
		return
	}
	cbs, err := s.outbox.TakeOverCallbacks(ctx, s.node, now.UnixMilli())
	if err != nil {
		s.log.Warn("webhook: outbox take-over", "err", err)
		return
	}
	if len(cbs) > 0 {
		s.log.Info("webhook: sending the after callbacks a stopped node left", "callbacks", len(cbs))
	}
	for i := range cbs {
		s.requeue(&cbs[i])
	}
}

// requeue queues a callback taken over from the outbox, waiting for room
// in its lane: these are the callbacks of a crash, and none is dropped.
// One whose app or command is no longer on is deleted.
func (s *Sender) requeue(cb *im.Callback) {
	a := s.on(cb.AppID, commandOf(cb))
	if a == nil {
		s.forget(cb.Key)
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return
	}
	a.queued.Add(1)
	select {
	case a.queues[s.lane(cb.Lane)] <- &job{cb: cb, durable: true}:
	case <-s.quit:
		a.queued.Add(-1)
	}
}

// forget deletes a callback's row soon, with others.
func (s *Sender) forget(key string) {
	if s.outbox == nil {
		return
	}
	s.delMu.Lock()
	s.sent = append(s.sent, key)
	n := len(s.sent)
	s.delMu.Unlock()
	if n >= deleteBatch {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// done ends a durable job: its row is deleted.
func (s *Sender) done(j *job) {
	if j.durable {
		s.forget(j.cb.Key)
	}
}

// deletes deletes the rows of sent callbacks in batches until Close.
func (s *Sender) deletes() {
	defer s.bg.Done()
	t := time.NewTicker(deleteEvery)
	defer t.Stop()
	for {
		select {
		case <-s.wake:
		case <-t.C:
		case <-s.ctx.Done():
			return
		}
		s.deleteSent(s.ctx)
	}
}

// deleteSent deletes the rows of the callbacks sent so far. A failure leaves
// them: they are sent again after a restart (at least once).
func (s *Sender) deleteSent(ctx context.Context) {
	s.delMu.Lock()
	keys := s.sent
	s.sent = nil
	s.delMu.Unlock()
	if len(keys) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := s.outbox.DeleteCallbacks(ctx, keys); err != nil {
		s.log.Warn("webhook: outbox: sent callbacks not deleted; a restart sends them again", "callbacks", len(keys), "err", err)
	}
}

// closeOutbox deletes what was sent and gives up the lease, so the next
// process (or another node) sends at once what is left.
func (s *Sender) closeOutbox() {
	if s.outbox == nil {
		return
	}
	s.bg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	s.deleteSent(ctx)
	if err := s.outbox.ReleaseOutboxLease(ctx, s.node); err != nil {
		s.log.Warn("webhook: outbox lease not released; its rows wait for it to expire", "err", err)
	}
}
