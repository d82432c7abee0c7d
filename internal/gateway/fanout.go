package gateway

import (
	"sync"
)

// fanout is a set of this node's connections that receive the same
// frames: the connections in a live room, or the connections of a group's
// online members. It has its own lock so that a fan-out (a read lock held
// while writing one frame into each connection) never waits for, or
// blocks, logins and joins elsewhere.
//
// Frames wait in outbox for the fan-out's delivery goroutine, which runs
// while there are some. The publisher (a REST call, a client's send, the
// NATS reader) then never waits for a fan-out to thousands of sockets,
// fan-outs run in parallel, and one set's frames leave in the order they
// came.
type fanout struct {
	mu    sync.RWMutex
	conns map[*conn]struct{}
	users map[string]int // connections per user

	qmu     sync.Mutex
	space   sync.Cond // signalled when outbox shrinks
	outbox  []outFrame
	sending bool
}

// outFrame is one frame waiting for a fan-out. only, when not nil,
// restricts it to the connections of these users. An entry with after set
// carries no frame: after runs once every frame queued before it is out.
type outFrame struct {
	frames pushFrames
	only   map[string]bool
	after  func()
}

// maxOutbox bounds the frames waiting for one fan-out. A set that receives
// frames faster than it can deliver them slows its publishers down rather
// than dropping frames or growing without bound.
const maxOutbox = 1024

// maxBatchBytes bounds the frames one fan-out round joins into one write.
const maxBatchBytes = 64 << 10

func newFanout() *fanout {
	f := &fanout{conns: make(map[*conn]struct{}), users: make(map[string]int)}
	f.space.L = &f.qmu
	return f
}

// publish queues a JSON push for every connection in the set (or those of
// the users in only): it is made a WebSocket frame once, for all of them.
func (f *fanout) publish(payload []byte, only map[string]bool) {
	f.queue(outFrame{frames: framePush(payload), only: only})
}

// afterPending runs fn on the delivery goroutine once every frame queued
// before it has been written: a change of the set (users leaving a group)
// then never overtakes the push that announced it.
func (f *fanout) afterPending(fn func()) { f.queue(outFrame{after: fn}) }

func (f *fanout) queue(e outFrame) {
	f.qmu.Lock()
	defer f.qmu.Unlock()
	for len(f.outbox) >= maxOutbox {
		f.space.Wait()
	}
	f.outbox = append(f.outbox, e)
	if !f.sending {
		f.sending = true
		go f.send()
	}
}

// send is the delivery goroutine: it empties the outbox, then ends. Frames
// for the whole set that piled up during one fan-out go out together in the
// next: one write per connection carries them all, so a set receiving
// frames faster than one socket write each can take catches up instead of
// falling behind.
func (f *fanout) send() {
	for {
		f.qmu.Lock()
		if len(f.outbox) == 0 {
			f.sending = false
			f.outbox = nil
			f.qmu.Unlock()
			return
		}
		if after := f.outbox[0].after; after != nil {
			f.outbox = f.outbox[1:]
			f.space.Broadcast()
			f.qmu.Unlock()
			after()
			continue
		}
		joinable := func(e outFrame) bool { return e.after == nil && e.only == nil }
		n, size := 1, len(*f.outbox[0].frames.full)
		for joinable(f.outbox[0]) && n < len(f.outbox) && joinable(f.outbox[n]) && size+len(*f.outbox[n].frames.full) <= maxBatchBytes {
			size += len(*f.outbox[n].frames.full)
			n++
		}
		batch := f.outbox[:n:n]
		f.outbox = f.outbox[n:]
		f.space.Broadcast()
		f.qmu.Unlock()
		frames := batch[0].frames
		if n > 1 {
			frames = joinFrames(batch, size)
		}
		f.deliver(frames, batch[0].only)
	}
}

// deliver writes one frame into every connection of the set, or of the
// users in only. Iterating a map and a direct write allocate nothing, so a
// frame to a 50,000-connection set costs no copy per connection.
func (f *fanout) deliver(frames pushFrames, only map[string]bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for c := range f.conns {
		if only == nil || only[c.user] {
			c.enqueue(frames.forConn(c))
		}
	}
}

// add puts c in the set; it reports whether c's user had no other
// connection in it.
func (f *fanout) add(c *conn) (firstOfUser bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, in := f.conns[c]; in {
		return false
	}
	f.conns[c] = struct{}{}
	f.users[c.user]++
	return f.users[c.user] == 1
}

// remove takes c out of the set; it reports whether the set is empty now
// and whether c was its user's last connection in it.
func (f *fanout) remove(c *conn) (empty, lastOfUser bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, in := f.conns[c]; !in {
		return len(f.conns) == 0, false
	}
	delete(f.conns, c)
	if f.users[c.user]--; f.users[c.user] == 0 {
		delete(f.users, c.user)
		lastOfUser = true
	}
	return len(f.conns) == 0, lastOfUser
}

// userCount is how many distinct users have a connection in the set.
func (f *fanout) userCount() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.users)
}
