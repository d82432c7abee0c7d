package bus_test

import (
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/bus/bustest"
)

func TestLocalConformance(t *testing.T) {
	bustest.Run(t, func(*testing.T) bus.Bus { return bus.NewLocal() })
}

// TestLocalNeverReconnects: the in-process bus has no network to lose.
func TestLocalNeverReconnects(t *testing.T) {
	l := bus.NewLocal()
	l.OnReconnect(func() { t.Error("a Local bus reconnected") })
	if !l.Connected() {
		t.Fatal("Local not Connected")
	}
}

// TestSubjectsAreNATSSafe checks the subject helpers against NATS subject
// syntax: dot-separated non-empty tokens without wildcards or whitespace.
func TestSubjectsAreNATSSafe(t *testing.T) {
	builders := map[string]func(uint64, string) string{
		"user": bus.UserSubject, "group": bus.GroupSubject, "kick": bus.KickSubject, "members": bus.MembersSubject, "ctl": bus.ControlSubject,
	}
	ids := []string{"", "alice", "a.b", "*", ">", "a b\t", "@TGS#aQ3KD81MZ", "用户"}
	for kind, build := range builders {
		for _, id := range ids {
			s := build(1400000001, id)
			tokens := strings.Split(s, ".")
			if len(tokens) != 4 || tokens[0] != "chatd" || tokens[1] != kind || tokens[2] != "1400000001" {
				t.Errorf("%s(%q) = %q: want chatd.%s.<app>.<id>", kind, id, s, kind)
			}
			for _, tok := range tokens {
				if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
					t.Errorf("%s(%q) = %q: token %q is not NATS-safe", kind, id, s, tok)
				}
			}
		}
	}
}
