package message

import (
	"encoding/json"

	"github.com/chatd/chatd/internal/im"
)

// CheckBody checks a MsgBody against S2 for the domains that carry
// message bodies without sending a message (push to all users), and
// returns it as compact JSON; a failure is answered with code.
func CheckBody(elems []im.MsgElem, code int) (json.RawMessage, error) { return encodeBody(elems, code) }
