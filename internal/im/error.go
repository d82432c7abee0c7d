// Package im holds chatd's domain model: the types every layer shares, the
// error type that carries the vendor's wire code, and the store interfaces
// each domain persists through. It imports nothing from the project, so
// adapters (SQL stores, REST transport, gateway) depend on it and never the
// reverse.
package im

import (
	"errors"
	"fmt"
)

// Error is a failure with the numeric code the client sees on the wire.
// Every path that answers a client maps its error through AsError, so a
// handler only has to return one of these to control the reply.
type Error struct {
	Code int
	Info string
}

func (e *Error) Error() string { return fmt.Sprintf("im error %d: %s", e.Code, e.Info) }

// Errorf builds an *Error with a formatted message.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Info: fmt.Sprintf(format, args...)}
}

// AsError extracts the wire error from err. Errors that carry no wire code
// become internalCode with a generic message: their detail belongs in the
// log, not in a reply.
func AsError(err error, internalCode int) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: internalCode, Info: "internal error, retry later"}
}

// CodeOf returns the wire code of err, or 0 when err is nil or carries none.
func CodeOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// Store-level sentinels. Stores translate engine errors into these once, so
// domain code can branch on them with errors.Is without knowing the engine.
var (
	// ErrNotFound means the addressed row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique key is already taken.
	ErrConflict = errors.New("conflict")
)
