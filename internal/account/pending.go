package account

import (
	"context"
	"sync"
)

// pendingImports are the first logins this node admitted whose account is
// still being committed. A login is answered before its insert syncs, so
// until then the account is in neither the directory nor the store; a
// lookup of it (a message to the user who just logged in, a second
// device's login) waits for that commit instead of finding no account.
type pendingImports struct {
	mu sync.Mutex
	m  map[accountKey]*pendingImport
}

type pendingImport struct {
	done chan struct{}
	err  error // set before done is closed
}

// start records that k's import is under way; finish must follow.
func (p *pendingImports) start(k accountKey) *pendingImport {
	imp := &pendingImport{done: make(chan struct{})}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[accountKey]*pendingImport{}
	}
	p.m[k] = imp
	return imp
}

// finish ends k's import with its outcome.
func (p *pendingImports) finish(k accountKey, imp *pendingImport, err error) {
	imp.err = err
	p.mu.Lock()
	if p.m[k] == imp {
		delete(p.m, k)
	}
	p.mu.Unlock()
	close(imp.done)
}

// wait waits until the imports under way among keys have ended.
func (p *pendingImports) wait(ctx context.Context, keys []accountKey) error {
	p.mu.Lock()
	var under []*pendingImport
	for _, k := range keys {
		if imp, ok := p.m[k]; ok {
			under = append(under, imp)
		}
	}
	p.mu.Unlock()
	for _, imp := range under {
		select {
		case <-imp.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
