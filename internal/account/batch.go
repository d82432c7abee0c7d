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

// write imports items in one transaction shared with concurrent callers.
func (b *importBatcher) write(ctx context.Context, items []im.AccountImport) error {
	_, err := b.c.Do(ctx, items...)
	return err
}
