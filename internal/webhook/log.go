package webhook

import (
	"context"
	"encoding/json"
	"sync"
)

// maxLoggedAnswer caps the answer text a delivery keeps.
const maxLoggedAnswer = 4 << 10

// Delivery is one callback request and its outcome, as the delivery log
// keeps it for the app's developers.
type Delivery struct {
	// ID numbers the app's deliveries on this node, from 1.
	ID      int64  `json:"Id"`
	Time    int64  `json:"Time"` // Unix milliseconds, when it was sent
	Command string `json:"CallbackCommand"`
	Kind    string `json:"Kind"` // "before" or "after"
	// Attempt is 1, or 2 for the retry of an after callback.
	Attempt int             `json:"Attempt"`
	URL     string          `json:"Url"`
	Request json.RawMessage `json:"Request"`
	// Status is the HTTP status, 0 when none came.
	Status    int     `json:"Status"`
	Answer    string  `json:"Answer"`
	LatencyMs float64 `json:"LatencyMs"`
	Outcome   string  `json:"Outcome"`
	Error     string  `json:"Error,omitempty"`
}

// Kinds of deliveries.
const (
	KindBefore = "before"
	KindAfter  = "after"
)

// deliveryLog is a ring of an app's last deliveries that readers can wait
// on.
type deliveryLog struct {
	mu      sync.Mutex
	ring    []Delivery
	next    int64         // ID of the next delivery
	changed chan struct{} // made by a reader, closed by the next add
}

func newDeliveryLog(size int) *deliveryLog {
	return &deliveryLog{ring: make([]Delivery, 0, size), next: 1}
}

func (l *deliveryLog) add(d Delivery) {
	if len(d.Answer) > maxLoggedAnswer {
		d.Answer = d.Answer[:maxLoggedAnswer]
	}
	l.mu.Lock()
	d.ID = l.next
	l.next++
	if len(l.ring) < cap(l.ring) {
		l.ring = append(l.ring, d)
	} else {
		l.ring[int((d.ID-1)%int64(cap(l.ring)))] = d
	}
	if l.changed != nil { // somebody waits
		close(l.changed)
		l.changed = nil
	}
	l.mu.Unlock()
}

// since returns the kept deliveries with an ID above after, oldest first,
// and a channel closed when another arrives.
func (l *deliveryLog) since(after int64) ([]Delivery, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Delivery
	first := max(after+1, l.next-int64(len(l.ring)))
	for id := first; id < l.next; id++ {
		out = append(out, l.ring[int((id-1)%int64(cap(l.ring)))])
	}
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	return out, l.changed
}

// Deliveries returns the app's kept deliveries with an ID above after,
// waiting until ctx ends for one when there is none yet; and how many
// after callbacks the app's full queue dropped since start.
func (s *Sender) Deliveries(ctx context.Context, appID uint64, after int64) ([]Delivery, int64) {
	a := s.apps[appID]
	if a == nil {
		return nil, 0
	}
	for {
		got, changed := a.log.since(after)
		if len(got) > 0 {
			return got, a.dropped.Load()
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return []Delivery{}, a.dropped.Load()
		}
	}
}
