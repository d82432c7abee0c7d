package store

import (
	"context"
	"database/sql"
	"sync"
)

// maxWriteStmts bounds the write statement cache. The statements of the
// write path are few and fixed texts (multi-row INSERTs come in the row
// counts of insertRows' ladder), so the bound only guards against a
// caller that builds texts freely.
const maxWriteStmts = 512

// writeStmts caches prepared statements of SQLite's one write connection.
// Without it every statement of a transaction is parsed again, and the
// multi-row statements of a stream commit are long: parsing them was a
// fifth of a send's CPU. A statement cannot be prepared while a
// transaction holds the connection, so a text first seen inside one runs
// unprepared and is prepared once the transaction has ended (by inTx);
// from then on transactions run it through Tx.StmtContext, which reuses
// what the connection prepared.
type writeStmts struct {
	mu     sync.Mutex
	ready  map[string]*sql.Stmt
	wanted map[string]bool // texts run unprepared since the last prepareWanted
}

// get returns the prepared statement for query, or nil after noting that
// it is wanted.
func (w *writeStmts) get(query string) *sql.Stmt {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s, ok := w.ready[query]; ok {
		return s
	}
	if len(w.ready)+len(w.wanted) < maxWriteStmts {
		if w.wanted == nil {
			w.wanted = map[string]bool{}
		}
		w.wanted[query] = true
	}
	return nil
}

// prepareWanted prepares the texts noted since the last call, on pool,
// whose connection no transaction holds now. A text that does not prepare
// is left out: running it unprepared reports its error where it is used.
func (w *writeStmts) prepareWanted(pool *sql.DB) {
	w.mu.Lock()
	wanted := w.wanted
	w.wanted = nil
	w.mu.Unlock()
	for q := range wanted {
		s, err := pool.PrepareContext(context.Background(), q)
		if err != nil {
			continue
		}
		w.mu.Lock()
		if w.ready == nil {
			w.ready = map[string]*sql.Stmt{}
		}
		if _, twice := w.ready[q]; twice {
			// Another transaction's end prepared it meanwhile.
			_ = s.Close()
		} else {
			w.ready[q] = s
		}
		w.mu.Unlock()
	}
}

// close releases the prepared statements.
func (w *writeStmts) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var first error
	for _, s := range w.ready {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	w.ready = nil
	return first
}
