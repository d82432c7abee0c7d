package im

import "fmt"

// The ID rules of overview.md §6 and §7, one validator per kind of ID, so
// that every command and the gateway refuse the same IDs: an ID that no
// engine could store the same way (a NUL byte, which PostgreSQL refuses and
// SQLite keeps) never reaches a store.

// ID length limits in bytes.
const (
	MaxUserIDBytes  = 32
	MaxGroupIDBytes = 48
)

// ValidUserID reports whether id is 1-32 bytes of printable ASCII
// (0x20-0x7E), the UserID rule this server applies (overview.md §6).
func ValidUserID(id string) bool { return printableASCII(id, MaxUserIDBytes) }

// ValidGroupID reports whether id can name a group at all: 1-48 bytes of
// printable ASCII (overview.md §7, custom group ID). Prefix rules for
// custom IDs (@TGS#) are the group domain's.
func ValidGroupID(id string) bool { return printableASCII(id, MaxGroupIDBytes) }

func printableASCII(s string, maxBytes int) bool {
	if len(s) == 0 || len(s) > maxBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// maxQuotedID is how much of an invalid ID an error message quotes: an ID
// that fails may be megabytes long.
const maxQuotedID = 48

// InvalidUserID is the error for an ID that fails ValidUserID, with the
// area's parameter code (70402, 10004, ...).
func InvalidUserID(code int, field, id string) *Error {
	return Errorf(code, "%s %s must be 1-%d bytes of printable ASCII", field, quoteID(id), MaxUserIDBytes)
}

// quoteID quotes id, or its start when it is long.
func quoteID(id string) string {
	if len(id) > maxQuotedID {
		return fmt.Sprintf("%q... (%d bytes)", id[:maxQuotedID], len(id))
	}
	return fmt.Sprintf("%q", id)
}
