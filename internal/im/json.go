package im

import (
	"bytes"
	"encoding/json"
)

// AppendJSON appends the JSON encoding of v to dst, like json.Marshal but
// without HTML escaping: text a client sent ("<b>", "a & b") is returned
// as it was written, not as "\u003cb\u003e". Both decode to the same
// string; this keeps the bytes too, which is what callers that hash or
// compare message content see.
func AppendJSON(dst []byte, v any) ([]byte, error) {
	out := bytes.NewBuffer(dst)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	b := out.Bytes()
	return b[:len(b)-1], nil // Encode ends with a newline
}

// EncodeJSON is AppendJSON to a new slice.
func EncodeJSON(v any) ([]byte, error) { return AppendJSON(nil, v) }
