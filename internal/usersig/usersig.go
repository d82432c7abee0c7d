// Package usersig generates and verifies UserSig v2, the HMAC-SHA256 token
// that proves a UserID belongs to an app (overview.md §4). REST callers send
// an admin UserSig with every request and client SDKs log in with one, so the
// format here must match the vendor's generators bit for bit where they are
// deterministic (the HMAC) and accept every form they emit where they are
// not (JSON spacing, key order, zlib level).
package usersig

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sigVersion is the only TLS.ver value generators write; verification does
// not check it (§4.9 step 4), so it only matters for output.
const sigVersion = "2.0"

// document is the JSON body in the reference Go generator's key order. Field
// order is the wire order, and encoding/json with its default HTML escaping
// is used on purpose: an identifier containing <, > or & must come out as
// \u003c etc. exactly as the reference library writes it.
type document struct {
	Version    string  `json:"TLS.ver"`
	Identifier string  `json:"TLS.identifier"`
	SDKAppID   uint64  `json:"TLS.sdkappid"`
	Expire     int64   `json:"TLS.expire"`
	Time       int64   `json:"TLS.time"`
	UserBuf    *string `json:"TLS.userbuf,omitempty"`
	Sig        string  `json:"TLS.sig"`
}

// Generate returns a UserSig v2 in the reference Go form: compact JSON with
// keys in order ver, identifier, sdkappid, expire, time, [userbuf], sig,
// followed by "\n", zlib level 0 (stored), base64 std with padding, then
// + -> *, / -> -, = -> _. Output is deterministic for a given now, which is
// what lets tests pin it byte for byte.
func Generate(key string, sdkAppID uint64, identifier string, expire int64, now time.Time) string {
	return generate(key, sdkAppID, identifier, expire, now, nil)
}

// GenerateWithUserBuf is Generate with a userbuf (privilege map) payload.
// A nil userBuf means no userbuf at all; a non-nil empty one is still
// written and signed (as an empty string), as the Python generator does,
// so the result always verifies.
func GenerateWithUserBuf(key string, sdkAppID uint64, identifier string, expire int64, now time.Time, userBuf []byte) string {
	return generate(key, sdkAppID, identifier, expire, now, userBuf)
}

func generate(key string, sdkAppID uint64, identifier string, expire int64, now time.Time, userBuf []byte) string {
	doc := document{
		Version:    sigVersion,
		Identifier: identifier,
		SDKAppID:   sdkAppID,
		Expire:     expire,
		Time:       now.Unix(),
	}
	if userBuf != nil {
		b64 := base64.StdEncoding.EncodeToString(userBuf)
		doc.UserBuf = &b64
	}
	mac := sign(key, identifier, sdkAppID, doc.Time, expire, doc.UserBuf)
	doc.Sig = base64.StdEncoding.EncodeToString(mac)

	var buf bytes.Buffer
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(&buf)
	// Encoder (not Marshal) because it appends the "\n" the reference
	// output carries. The document has only strings and integers, and
	// writes into a bytes.Buffer cannot fail, so errors are impossible.
	_ = json.NewEncoder(zw).Encode(doc)
	_ = zw.Close()
	return encodeAlphabet(base64.StdEncoding.EncodeToString(buf.Bytes()))
}

// zlibWriters recycles level-0 writers: each one allocates about 700 KB of
// compressor state, which dwarfs the few hundred bytes it writes.
var zlibWriters = sync.Pool{New: func() any {
	// NoCompression is a valid level, so the error is impossible.
	zw, _ := zlib.NewWriterLevel(nil, zlib.NoCompression)
	return zw
}}

// sign computes the HMAC of the signed text (§4.2, §4.3). userBuf is the
// already base64-encoded userbuf, or nil when the sig carries none; the
// fifth line exists only in the latter case, so "absent" and "empty" differ.
// The key is used as its raw bytes: vendor keys look like hex but are never
// hex-decoded.
func sign(key, identifier string, sdkAppID uint64, issued, expire int64, userBuf *string) []byte {
	h := hmac.New(sha256.New, []byte(key))
	h.Write(signedText(identifier, sdkAppID, issued, expire, userBuf))
	return h.Sum(nil)
}

// signedText builds the exact bytes the HMAC covers. Note the order: time
// precedes expire here but follows it in the JSON.
func signedText(identifier string, sdkAppID uint64, issued, expire int64, userBuf *string) []byte {
	b := make([]byte, 0, 96+len(identifier))
	b = append(b, "TLS.identifier:"...)
	b = append(b, identifier...)
	b = append(b, "\nTLS.sdkappid:"...)
	b = strconv.AppendUint(b, sdkAppID, 10)
	b = append(b, "\nTLS.time:"...)
	b = strconv.AppendInt(b, issued, 10)
	b = append(b, "\nTLS.expire:"...)
	b = strconv.AppendInt(b, expire, 10)
	b = append(b, '\n')
	if userBuf != nil {
		b = append(b, "TLS.userbuf:"...)
		b = append(b, *userBuf...)
		b = append(b, '\n')
	}
	return b
}

// The vendor's alphabet is not RFC 4648 base64url: '-' stands for '/', not
// '+'. Both directions are plain character maps over standard base64, which
// is also why the decoder accepts unsubstituted standard base64 for free.
var (
	toSigAlphabet   = strings.NewReplacer("+", "*", "/", "-", "=", "_")
	fromSigAlphabet = strings.NewReplacer("*", "+", "-", "/", "_", "=")
)

func encodeAlphabet(std string) string { return toSigAlphabet.Replace(std) }

func decodeAlphabet(sig string) string { return fromSigAlphabet.Replace(sig) }
