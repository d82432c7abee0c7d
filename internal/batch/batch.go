// Package batch group-commits durable writes: while one transaction is
// being written and synced to disk, writes that arrive wait and go together
// into the next one. A burst of concurrent writers then costs one fsync per
// batch instead of one per writer, and every write is still durable before
// its caller is answered.
package batch

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// DefaultMaxItems bounds the items of one batch, and so one transaction.
const DefaultMaxItems = 1000

// Committer runs commit over the items that concurrent Do calls submit.
// commit gets every item of a batch in submission order and returns one
// result per item, or an error that fails the whole batch; it runs on the
// committer's own goroutine, one batch at a time, with a context that no
// caller can cancel: once a transaction starts it completes, so an answer
// never claims less than what was written.
type Committer[In, Out any] struct {
	commit   func(ctx context.Context, items []In) ([]Out, error)
	maxItems int
	reqs     chan *request[In, Out]
	stopped  chan struct{} // closed when the committer's ctx ends
}

// ErrStopped is returned by Do once the committer's context has ended.
var ErrStopped = errors.New("batch: committer stopped")

type request[In, Out any] struct {
	ctx   context.Context
	items []In
	out   []Out
	err   error
	done  chan struct{}
}

// New starts a committer; it runs until ctx ends. maxItems <= 0 means
// DefaultMaxItems. A single Do may carry more items than maxItems: it is
// then committed alone.
func New[In, Out any](ctx context.Context, maxItems int, commit func(ctx context.Context, items []In) ([]Out, error)) *Committer[In, Out] {
	if maxItems <= 0 {
		maxItems = DefaultMaxItems
	}
	c := &Committer[In, Out]{commit: commit, maxItems: maxItems, reqs: make(chan *request[In, Out], maxItems), stopped: make(chan struct{})}
	go c.run(ctx)
	return c
}

// Do submits items and waits until they are committed. It returns one
// result per item, in order. A caller whose ctx ends before its items are
// taken into a batch gets ctx's error and nothing of it is written; once
// taken, Do waits for the commit whatever ctx does.
func (c *Committer[In, Out]) Do(ctx context.Context, items ...In) ([]Out, error) {
	r := &request[In, Out]{ctx: ctx, items: items, done: make(chan struct{})}
	select {
	case c.reqs <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.stopped:
		return nil, ErrStopped
	}
	select {
	case <-r.done:
	case <-c.stopped:
		// The committer stopped between batches, so nothing is being
		// written: r was answered before it stopped, or it is stranded in
		// the queue and was not written.
		select {
		case <-r.done:
		default:
			return nil, ErrStopped
		}
	}
	return r.out, r.err
}

// One is Do for a single item.
func (c *Committer[In, Out]) One(ctx context.Context, item In) (Out, error) {
	out, err := c.Do(ctx, item)
	if err != nil {
		var zero Out
		return zero, err
	}
	return out[0], nil
}

func (c *Committer[In, Out]) run(ctx context.Context) {
	for {
		var first *request[In, Out]
		select {
		case first = <-c.reqs:
		case <-ctx.Done():
			close(c.stopped)
			c.refuseQueued()
			return
		}
		// Let the goroutines that are ready run before taking the batch.
		// Handing first over made this goroutine the next to run on its
		// P, so with one P (a server given one core) every batch held
		// one request: the other callers were runnable but had not yet
		// reached Do. Yielding once lets them queue behind first.
		runtime.Gosched()
		batch := []*request[In, Out]{first}
		n := len(first.items)
	drain:
		for n < c.maxItems {
			select {
			case r := <-c.reqs:
				batch = append(batch, r)
				n += len(r.items)
			default:
				break drain
			}
		}
		c.write(batch, n)
	}
}

// write commits one batch. Callers that gave up before it started are left
// out; the others share the transaction.
func (c *Committer[In, Out]) write(batch []*request[In, Out], n int) {
	items := make([]In, 0, n)
	written := batch[:0:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			close(r.done)
			continue
		}
		written = append(written, r)
		items = append(items, r.items...)
	}
	if len(written) == 0 {
		return
	}
	out, err := c.commit(context.Background(), items)
	if err == nil && len(out) != len(items) {
		err = fmt.Errorf("batch: commit returned %d results for %d items", len(out), len(items))
	}
	for _, r := range written {
		if err != nil {
			r.err = err
		} else {
			r.out, out = out[:len(r.items):len(r.items)], out[len(r.items):]
		}
		close(r.done)
	}
}

// refuseQueued answers requests that were queued when the committer
// stopped; none of them was written.
func (c *Committer[In, Out]) refuseQueued() {
	for {
		select {
		case r := <-c.reqs:
			r.err = ErrStopped
			close(r.done)
		default:
			return
		}
	}
}

// AppKey is a key of one app's data, for LookupByApp.
type AppKey[K comparable] struct {
	App uint64
	Key K
}

// LookupByApp returns a committer for reads: the keys that concurrent
// callers ask for are read together, with one call of read per app (a
// key may repeat in keys). A key read does not return gets V's zero value.
func LookupByApp[K comparable, V any](read func(ctx context.Context, app uint64, keys []K) (map[K]V, error)) *Committer[AppKey[K], V] {
	return New(context.Background(), DefaultMaxItems, func(ctx context.Context, keys []AppKey[K]) ([]V, error) {
		byApp := map[uint64][]K{}
		for _, k := range keys {
			byApp[k.App] = append(byApp[k.App], k.Key)
		}
		found := make(map[uint64]map[K]V, len(byApp))
		for app, appKeys := range byApp {
			values, err := read(ctx, app, appKeys)
			if err != nil {
				return nil, err
			}
			found[app] = values
		}
		out := make([]V, len(keys))
		for i, k := range keys {
			out[i] = found[k.App][k.Key]
		}
		return out, nil
	})
}
