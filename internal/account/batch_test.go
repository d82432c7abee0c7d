package account

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/store/sqlite/sqlitetest"
)

// countingStore counts the import transactions that reach the store.
type countingStore struct {
	im.AccountStore
	mu    sync.Mutex
	calls int
}

func (c *countingStore) ImportAccounts(ctx context.Context, items []im.AccountImport) error {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return c.AccountStore.ImportAccounts(ctx, items)
}

// TestImportBatcherGroupCommits: concurrent imports all land, in fewer
// transactions than callers.
func TestImportBatcherGroupCommits(t *testing.T) {
	db := sqlitetest.Open(t)
	store := &countingStore{AccountStore: db}
	b := newImportBatcher(store)
	const callers = 200
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			item := im.AccountImport{Account: im.Account{AppID: 1, UserID: fmt.Sprint("u", i), CreatedAt: 1}}
			errs <- b.write(context.Background(), []im.AccountImport{item})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.CountAccounts(context.Background(), 1)
	if err != nil || n != callers {
		t.Fatalf("%d accounts (%v), want %d", n, err, callers)
	}
	if store.calls >= callers {
		t.Fatalf("%d transactions for %d callers: nothing was batched", store.calls, callers)
	}
}

// TestImportBatcherAbandoned: a caller whose context ended before the
// write is told so and its items are not written.
func TestImportBatcherAbandoned(t *testing.T) {
	db := sqlitetest.Open(t)
	b := newImportBatcher(db)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	item := im.AccountImport{Account: im.Account{AppID: 1, UserID: "late", CreatedAt: 1}}
	if err := b.write(ctx, []im.AccountImport{item}); err == nil {
		t.Fatal("a cancelled import reported success")
	}
	found, err := db.GetAccounts(context.Background(), 1, []string{"late"})
	if err != nil || len(found) != 0 {
		t.Fatalf("cancelled import written: %v %v", found, err)
	}
}
