package account

import (
	"context"

	"github.com/chatd/chatd/internal/batch"
	"github.com/chatd/chatd/internal/im"
)

// importBatcher group-commits account imports (package batch): a burst of
// first logins pays one fsync per batch instead of one per user, and every
// import is still durable before its caller is answered.
type importBatcher struct {
	c *batch.Committer[im.AccountImport, struct{}]
}

func newImportBatcher(store im.AccountStore) *importBatcher {
	return &importBatcher{c: batch.New(context.Background(), batch.DefaultMaxItems,
		func(ctx context.Context, items []im.AccountImport) ([]struct{}, error) {
			if err := store.ImportAccounts(ctx, items); err != nil {
				return nil, err
			}
			return make([]struct{}, len(items)), nil
		})}
}

// lookupBatcher reads the accounts that concurrent callers miss in the
// directory with one query per app and batch: when a restarted node's
// users all come back at once, 10,000 logins cost a few reads of up to a
// thousand IDs instead of 10,000 reads queueing for the store's few
// connections (and timing out behind each other).
type lookupBatcher struct {
	c *batch.Committer[batch.AppKey[string], lookedUp]
}

// lookedUp is what the store holds of one account.
type lookedUp struct {
	exists bool
	before int64 // LoginsRevokedBefore
}

func newLookupBatcher(store im.AccountStore) *lookupBatcher {
	return &lookupBatcher{c: batch.LookupByApp(func(ctx context.Context, app uint64, ids []string) (map[string]lookedUp, error) {
		accounts, err := store.GetAccounts(ctx, app, ids)
		found := make(map[string]lookedUp, len(accounts))
		for id, a := range accounts {
			found[id] = lookedUp{exists: true, before: a.LoginsRevokedBefore}
		}
		return found, err
	})}
}

// write imports items in one transaction shared with concurrent callers.
func (b *importBatcher) write(ctx context.Context, items []im.AccountImport) error {
	_, err := b.c.Do(ctx, items...)
	return err
}
