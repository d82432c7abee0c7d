package natsbus

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatd/chatd/internal/bus"
)

// TestBusRoot guards the one assumption this package makes about the bus
// package's subjects: every helper's output starts with busRoot and is a
// literal NATS subject, so wireSubject accepts it.
func TestBusRoot(t *testing.T) {
	for _, s := range []string{
		bus.UserSubject(1, "u"), bus.GroupSubject(1, "g"), bus.KickSubject(1, "u"), bus.MembersSubject(1, ""), bus.ControlSubject(1, "u"),
		bus.PresenceSubject(), bus.MarksSubject(),
	} {
		if _, err := wireSubject("p", s); err != nil {
			t.Errorf("bus subject %q: %v", s, err)
		}
	}
}

func TestWireSubject(t *testing.T) {
	tests := []struct {
		prefix, subject, want string
	}{
		{"chatd", "chatd.user.1.dQ", "chatd.user.1.dQ"},
		{"t1", "chatd.user.1.dQ", "t1.user.1.dQ"},
		{"test.run7", "chatd.group.2._", "test.run7.group.2._"},
		{"chatd", "chatd.chatd.x", "chatd.chatd.x"},
	}
	for _, tt := range tests {
		got, err := wireSubject(tt.prefix, tt.subject)
		if err != nil || got != tt.want {
			t.Errorf("wireSubject(%q, %q) = %q, %v; want %q", tt.prefix, tt.subject, got, err, tt.want)
		}
	}
}

func TestWireSubjectRefuses(t *testing.T) {
	for _, subject := range []string{
		"", "chatd", "chatd.", "user.1.x", "chatdx.user", "chatd.user.*", "chatd.>", "chatd.a..b",
		"chatd.a b", "chatd.a.", "xchatd.user.1.x",
	} {
		if got, err := wireSubject("p", subject); !errors.Is(err, nats.ErrBadSubject) {
			t.Errorf("wireSubject(p, %q) = %q, %v; want nats.ErrBadSubject", subject, got, err)
		}
	}
}

func TestBackoff(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name   string
		base   time.Duration
		jitter func(int64) int64
		want   []time.Duration // attempts 1, 2, ...
	}{
		{"no jitter", 250 * ms, func(int64) int64 { return 0 },
			[]time.Duration{250 * ms, 500 * ms, time.Second, time.Second, time.Second}},
		// The most the jitter takes is just under a quarter.
		{"most jitter", 250 * ms, func(n int64) int64 { return n - 1 },
			[]time.Duration{250*ms - 250*ms/4 + 1, 500*ms - 500*ms/4 + 1, 750*ms + 1, 750*ms + 1}},
		{"base above the cap", time.Minute, func(int64) int64 { return 0 },
			[]time.Duration{time.Minute, time.Minute}},
	}
	for _, tt := range tests {
		d := backoff(tt.base, tt.jitter)
		for i, w := range tt.want {
			if got := d(i + 1); got != w {
				t.Errorf("%s: attempt %d: delay %v, want %v", tt.name, i+1, got, w)
			}
		}
	}
	if got := backoff(DefaultReconnectWait, func(int64) int64 { return 0 })(1 << 20); got != maxReconnectWait {
		t.Errorf("attempt 2^20: delay %v, want %v", got, maxReconnectWait)
	}
}
