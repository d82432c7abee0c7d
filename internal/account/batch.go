package account

import (
	"context"
	"sync"

	"github.com/chatd/chatd/internal/im"
)

// maxBatchItems bounds one group-committed import transaction.
const maxBatchItems = 1000

// importBatcher group-commits account imports: while one transaction is
// being written (and synced to disk), imports that arrive queue up and are
// written together in the next one. A burst of first logins then costs one
// fsync per batch instead of one per user, and every import is still
// durable before its caller is answered.
type importBatcher struct {
	store im.AccountStore
	once  sync.Once
	reqs  chan importReq
}

type importReq struct {
	ctx   context.Context
	items []im.AccountImport
	done  chan error
}

// write imports items in one transaction shared with concurrent callers.
func (b *importBatcher) write(ctx context.Context, items []im.AccountImport) error {
	b.once.Do(func() {
		b.reqs = make(chan importReq, maxBatchItems)
		go b.run()
	})
	req := importReq{ctx: ctx, items: items, done: make(chan error, 1)}
	select {
	case b.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the write happens whatever ctx does, so wait for it: an
	// answer must never claim less than what was written.
	return <-req.done
}

func (b *importBatcher) run() {
	for first := range b.reqs {
		batch := []importReq{first}
		n := len(first.items)
	drain:
		for n < maxBatchItems {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
				n += len(r.items)
			default:
				break drain
			}
		}
		// A caller that gave up before the write is left out; the others
		// share the transaction, which outlives any one caller's deadline.
		items := make([]im.AccountImport, 0, n)
		var written, abandoned []importReq
		for _, r := range batch {
			if r.ctx.Err() != nil {
				abandoned = append(abandoned, r)
				continue
			}
			written = append(written, r)
			items = append(items, r.items...)
		}
		for _, r := range abandoned {
			r.done <- r.ctx.Err()
		}
		err := b.store.ImportAccounts(context.Background(), items)
		for _, r := range written {
			r.done <- err
		}
	}
}
