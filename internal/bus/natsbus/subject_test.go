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
		bus.UserSubject(1, "u"), bus.GroupSubject(1, "g"), bus.KickSubject(1, "u"), bus.DropSubject(1, ""),
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
	d := backoff(500 * time.Millisecond)
	want := []time.Duration{
		500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second,
		maxReconnectWait, maxReconnectWait,
	}
	for i, w := range want {
		if got := d(i + 1); got != w {
			t.Errorf("attempt %d: delay %v, want %v", i+1, got, w)
		}
	}
	if got := d(1 << 20); got != maxReconnectWait {
		t.Errorf("attempt 2^20: delay %v, want %v", got, maxReconnectWait)
	}
	if got := backoff(time.Minute)(3); got != time.Minute {
		t.Errorf("a base above the cap: delay %v, want the base", got)
	}
}
