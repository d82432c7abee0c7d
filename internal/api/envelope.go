package api

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/chatd/chatd/internal/im"
)

// writeEnvelope writes the vendor envelope with the API's own fields at the
// same level: the result is encoded on its own and its members spliced in
// after the envelope's, which keeps response types free of envelope fields.
func writeEnvelope(w http.ResponseWriter, requestID string, e *im.Error, result any) {
	status := "OK"
	if e.Code != 0 {
		status = "FAIL"
		result = nil
	}
	buf := make([]byte, 0, 256)
	buf = append(buf, `{"ActionStatus":"`...)
	buf = append(buf, status...)
	buf = append(buf, `","ErrorCode":`...)
	buf = strconv.AppendInt(buf, int64(e.Code), 10)
	buf = append(buf, `,"ErrorInfo":`...)
	info, _ := json.Marshal(e.Info)
	buf = append(buf, info...)
	buf = append(buf, `,"RequestId":"`...)
	buf = append(buf, requestID...)
	buf = append(buf, '"')
	if result != nil {
		fields, err := json.Marshal(result)
		// A result is always a struct pointer, so it encodes as an object;
		// "{}" adds nothing.
		if err == nil && len(fields) > 2 && fields[0] == '{' {
			buf = append(buf, ',')
			buf = append(buf, fields[1:len(fields)-1]...)
		}
	}
	buf = append(buf, "}\n"...)
	h := w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(buf))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf)
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

func (r *requestIDs) next() string {
	n := r.seq.Add(1)
	var counter [8]byte
	for i := range counter {
		counter[i] = byte(n >> (56 - 8*i))
	}
	return "Id-" + r.prefix + hex.EncodeToString(counter[:]) + "-O-Seq-" + strconv.FormatUint(n, 10)
}
