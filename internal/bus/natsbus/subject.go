package natsbus

import (
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
)

// busRoot is the token every subject built by the bus package's helpers
// starts with. The bus package does not export it; TestBusRoot fails if the
// helpers ever change it.
const busRoot = DefaultPrefix + "."

// wireSubject maps a bus subject to the NATS subject it travels on.
func (b *Bus) wireSubject(subject string) (string, error) {
	return wireSubject(b.prefix, subject)
}

// wireSubject replaces the leading "chatd" token of subject with prefix.
//
// Replacing rather than prepending keeps the default wire subjects equal to
// the bus subjects. The price is that a subject outside "chatd." is
// refused: mapping it too would let two bus subjects share a wire subject
// (e.g. "chatd.x" and "x" under a prefix-only rule). Subjects with
// wildcard or empty tokens are refused as well, because NATS would match
// them as patterns where the in-process bus compares exact strings.
func wireSubject(prefix, subject string) (string, error) {
	rest, ok := strings.CutPrefix(subject, busRoot)
	if !ok {
		return "", fmt.Errorf("subject %q is not under %q: %w", subject, busRoot, nats.ErrBadSubject)
	}
	if !validSubject(rest) {
		return "", fmt.Errorf("subject %q: %w", subject, nats.ErrBadSubject)
	}
	if prefix == DefaultPrefix {
		return subject, nil // no allocation on the common path
	}
	return prefix + "." + rest, nil
}

// validSubject reports whether s is a literal NATS subject: non-empty
// dot-separated tokens, no "*" or ">" token, no whitespace.
func validSubject(s string) bool {
	if s == "" {
		return false
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
			return false
		}
	}
	return true
}
