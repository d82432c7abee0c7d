package api

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/chatd/chatd/internal/im"
)

// Reply headers, shared by every reply: net/http only reads them.
var (
	contentTypeJSON = []string{"application/json; charset=utf-8"}
	okPrefix        = []byte(`{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","RequestId":"`)
	// someErrorPrefix starts a success some of whose items failed.
	someErrorPrefix = []byte(`{"ActionStatus":"SomeError","ErrorCode":0,"ErrorInfo":"","RequestId":"`)
)

// partialResult is a result whose items may fail one by one: its success
// says ActionStatus "SomeError" when some did (batchsendmsg).
type partialResult interface{ SomeFailed() bool }

// appendEnvelope appends the vendor envelope with the API's own fields at
// the same level: the result is encoded on its own and its members spliced
// in after the envelope's, which keeps response types free of envelope
// fields.
func appendEnvelope(buf []byte, ids *requestIDs, seq uint64, e *im.Error, result any) []byte {
	if p, ok := result.(partialResult); ok && e.Code == 0 && p.SomeFailed() {
		buf = append(buf, someErrorPrefix...)
	} else if e.Code == 0 {
		buf = append(buf, okPrefix...)
	} else {
		result = nil
		buf = append(buf, `{"ActionStatus":"FAIL","ErrorCode":`...)
		buf = strconv.AppendInt(buf, int64(e.Code), 10)
		buf = append(buf, `,"ErrorInfo":`...)
		buf, _ = im.AppendJSON(buf, e.Info)
		buf = append(buf, `,"RequestId":"`...)
	}
	buf = ids.appendID(buf, seq)
	buf = append(buf, '"')
	if result != nil {
		// A result is always a struct pointer, so it encodes as an object,
		// whose fields join the envelope's: its "{" becomes a comma and its
		// "}" goes. "{}" adds nothing.
		start := len(buf)
		if out, err := im.AppendJSON(buf, result); err == nil && len(out)-start > 2 && out[start] == '{' {
			out[start] = ','
			buf = out[:len(out)-1]
		} else {
			buf = out[:start]
		}
	}
	return append(buf, "}\n"...)
}

// writeReply sends a finished envelope. net/http adds Content-Length itself
// for a reply written in one piece.
func writeReply(w http.ResponseWriter, reply []byte) {
	w.Header()["Content-Type"] = contentTypeJSON
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(reply)
}

// requestIDs makes RequestId values in the vendor's shape
// "Id-<32 hex>-O-Seq-<n>": a random per-process prefix and a counter make
// them unique without a random read per request.
type requestIDs struct {
	prefix string
	seq    atomic.Uint64
}

func newRequestIDs() *requestIDs {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &requestIDs{prefix: hex.EncodeToString(b)}
}

// next numbers a new request.
func (r *requestIDs) next() uint64 { return r.seq.Add(1) }

// appendID appends the RequestId of request n.
func (r *requestIDs) appendID(dst []byte, n uint64) []byte {
	dst = append(dst, "Id-"...)
	dst = append(dst, r.prefix...)
	var counter [8]byte
	for i := range counter {
		counter[i] = byte(n >> (56 - 8*i))
	}
	dst = hex.AppendEncode(dst, counter[:])
	dst = append(dst, "-O-Seq-"...)
	return strconv.AppendUint(dst, n, 10)
}
