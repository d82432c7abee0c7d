package presence

import (
	"context"
	"time"
)

// onMessage applies what another node published: changes, a beat, a part
// of a snapshot, or its leaving. It notices lost messages by their
// sequence numbers and asks the sender for a snapshot.
func (c *Cluster) onMessage(data []byte) {
	h, body, ok := decodeHeader(data)
	if !ok || h.Node == c.node {
		return
	}
	if ask := c.receive(h, body); ask {
		c.requestSnapshots(context.Background(), []string{h.Node})
	}
}

// receive applies one message and reports whether to ask its sender for
// a snapshot.
func (c *Cluster) receive(h header, body []byte) (ask bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.peers[h.Node]
	if h.Type == msgLeave {
		switch {
		case p == nil:
			c.forget(h.Node)
		case p.inc == h.Inc:
			c.dropPeer(p)
		}
		return false
	}
	if p != nil && p.inc != h.Inc {
		c.dropPeer(p) // restarted under the same ID: nothing it held is held now
		p = nil
	}
	if p == nil {
		p = &peer{id: h.Node, inc: h.Inc}
		c.peers[h.Node] = p
		c.nodes.Store(int64(1 + len(c.peers)))
	}
	now := c.now()
	p.seen = now
	switch h.Type {
	case msgChanges:
		p.snap = nil
		if h.Seq != p.seq+1 {
			p.synced = false
		}
		p.seq = h.Seq
		// Even out of sync, the changes bring the view closer to the
		// truth until the snapshot replaces it.
		if cs, ok := decodeChanges(body); ok {
			for i := range cs {
				c.apply(p, &cs[i])
			}
		}
	case msgBeat:
		p.snap = nil
		if h.Seq != p.seq {
			p.synced = false
		}
	case msgSnapshot:
		c.receivePart(p, h, body)
	}
	if p.synced || p.snap != nil || now.Sub(p.asked) < c.interval {
		return false
	}
	p.asked = now
	return true
}

// receivePart collects a snapshot. One this node does not need (it holds
// the sender's state as of the same change) is acknowledged undecoded.
func (c *Cluster) receivePart(p *peer, h header, body []byte) {
	if c.round != nil {
		c.round.parts++
	}
	if h.Part == 0 {
		p.peers = h.Peers
		p.snap = nil
		if p.synced && p.seq == h.Seq {
			c.answered(p)
			return
		}
		p.snap = &incoming{seq: h.Seq}
	}
	in := p.snap
	if in == nil || in.seq != h.Seq || in.next != h.Part {
		p.snap = nil // a part was lost: the next beat asks again
		return
	}
	cs, ok := decodeChanges(body)
	if !ok {
		p.snap = nil
		return
	}
	in.changes = append(in.changes, cs...)
	if in.next++; in.next < h.Parts {
		return
	}
	p.snap = nil
	c.replace(p, in.changes)
	p.seq, p.synced = h.Seq, true
	p.asked = time.Time{} // the next gap may ask at once
	c.answered(p)
}

func (c *Cluster) apply(p *peer, ch *change) {
	switch ch.Kind {
	case kindRoom:
		c.rooms.apply(p, ch)
	case kindGroup:
		c.groups.apply(p, ch)
	case kindUser:
		c.users.apply(p, ch)
	}
}

// replace makes the views hold exactly what p's snapshot lists.
func (c *Cluster) replace(p *peer, snapshot []change) {
	byKind := map[int][]*change{}
	for i := range snapshot {
		ch := &snapshot[i]
		if ch.Op == opSet {
			byKind[ch.Kind] = append(byKind[ch.Kind], ch)
		}
	}
	c.rooms.replace(p, byKind[kindRoom])
	c.groups.replace(p, byKind[kindGroup])
	c.users.replace(p, byKind[kindUser])
}

// dropPeer forgets a node and everything it held; c.mu must be held.
func (c *Cluster) dropPeer(p *peer) {
	c.rooms.dropPeer(p)
	c.groups.dropPeer(p)
	c.users.dropPeer(p)
	delete(c.peers, p.id)
	c.nodes.Store(int64(1 + len(c.peers)))
	c.forget(p.id)
}

// forget stops the running sync round waiting for a node that is gone.
// c.mu must be held.
func (c *Cluster) forget(id string) {
	if r := c.round; r != nil {
		delete(r.want, id)
		delete(r.answered, id)
		c.settleSync()
	}
}

// expire drops the nodes not heard from within the expiry: they died, or
// this node lost them.
func (c *Cluster) expire() {
	deadline := c.now().Add(-c.Expiry())
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.peers {
		if p.seen.Before(deadline) {
			c.dropPeer(p)
		}
	}
}

// beginSync makes queries wait for the other nodes' snapshots, unless the
// bus is down. A round already running keeps its deadline.
func (c *Cluster) beginSync() {
	if !c.connected() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.round == nil {
		r := &syncRound{done: make(chan struct{})}
		c.round = r
		c.waiting.Store(r)
		c.armSync(r, 0, ExpiryIntervals)
	}
	// Only answers to this request count: the nodes may have changed.
	c.round.want, c.round.answered = map[string]bool{}, map[string]bool{}
}

// armSync ends round r one interval from now, unless snapshot parts
// keep arriving: large snapshots get up to left intervals in all, so a
// node joining beside big rooms does not answer before it has them.
func (c *Cluster) armSync(r *syncRound, parts, left int) {
	time.AfterFunc(c.interval, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if r.parts > parts && left > 1 {
			c.armSync(r, r.parts, left-1)
			return
		}
		c.endSync(r)
	})
}

// answered records a complete snapshot from p in the running round.
// c.mu must be held.
func (c *Cluster) answered(p *peer) {
	r := c.round
	if r == nil {
		return
	}
	r.answered[p.id], r.want[p.id] = true, true
	for _, id := range p.peers {
		if id != c.node {
			r.want[id] = true
		}
	}
	c.settleSync()
}

// endSync releases the queries waiting on r. c.mu must be held.
func (c *Cluster) endSync(r *syncRound) {
	if c.round == r {
		close(r.done)
		c.round = nil
		c.waiting.Store(nil)
	}
}

// settleSync ends the running round once at least one node answered and
// every node named so far has. c.mu must be held.
func (c *Cluster) settleSync() {
	r := c.round
	if r == nil || len(r.answered) == 0 {
		return
	}
	for id := range r.want {
		if !r.answered[id] {
			return
		}
	}
	c.endSync(r)
}

// waitSync blocks while a sync round runs. Lock-free otherwise, so every
// query stays O(1) while snapshots are being applied.
func (c *Cluster) waitSync() {
	if r := c.waiting.Load(); r != nil {
		<-r.done
	}
}
