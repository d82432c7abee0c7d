package usersig

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"encoding/base64"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/jsonobj"
)

// maxDocument caps the inflated JSON. A real UserSig document is a few
// hundred bytes (a string-room userbuf can make it a few KB); the cap keeps
// a small zlib bomb in a query string from allocating gigabytes.
const maxDocument = 64 << 10

// Claims are the verified contents of a UserSig. Callers need Time for the
// login-state invalidation check (§4.9 step 9: sigs issued before a kick
// fail with 70052), which this package cannot do because it owns no store.
type Claims struct {
	Identifier string
	SDKAppID   uint64
	Time       int64  // issue time, Unix seconds
	Expire     int64  // validity in seconds, counted from Time
	UserBuf    []byte // nil when the sig carries no TLS.userbuf
}

// ExpiresAt is the last Unix second at which the sig is still valid. It
// saturates instead of wrapping, so absurd values decoded from a forged
// document cannot overflow into the past or the future.
func (c Claims) ExpiresAt() int64 { return addSat(c.Time, c.Expire) }

// Verify checks sig for (sdkAppID, identifier) with key at time now, in the
// exact order of overview.md §4.9 steps 2-8, returning nil or an *im.Error
// with the codes of §4.9 (empty sig -> 60025 im.CodeBadURLParam). The order
// matters to clients: a sig for another user fails with 70013 even if the
// key is also wrong, as the reference verifier does.
func Verify(key string, sdkAppID uint64, identifier, sig string, now time.Time) error {
	_, err := Check(key, sdkAppID, identifier, sig, now)
	return err
}

// Check is Verify that also returns the verified claims, for callers that
// must look at the issue time (step 9) or the userbuf. Claims are only
// meaningful when the error is nil.
func Check(key string, sdkAppID uint64, identifier, sig string, now time.Time) (Claims, error) {
	if sig == "" {
		return Claims{}, &im.Error{Code: im.CodeBadURLParam, Info: "usersig is empty"}
	}
	d, err := decode(sig)
	if err != nil {
		return Claims{}, err
	}
	if d.SDKAppID != sdkAppID {
		return Claims{}, &im.Error{Code: im.CodeSigSDKAppID, Info: "SDKAppID in the request differs from the one in the UserSig"}
	}
	if d.Identifier != identifier {
		return Claims{}, &im.Error{Code: im.CodeSigIdentifier, Info: "identifier in the request differs from the one in the UserSig"}
	}
	if now.Unix() > d.ExpiresAt() {
		return Claims{}, errExpired()
	}
	if err := d.checkMAC(key); err != nil {
		return Claims{}, err
	}
	return d.Claims, nil
}

func errExpired() error {
	return &im.Error{Code: im.CodeSigExpired, Info: "UserSig expired, generate a new one"}
}

func errInvalid(why string) error {
	return &im.Error{Code: im.CodeSigInvalid, Info: "UserSig invalid: " + why}
}

func errMismatch() error {
	return &im.Error{Code: im.CodeSigMismatch, Info: "UserSig verification failed: made with another key or tampered"}
}

// decoded is a parsed document before its MAC is checked. The raw userbuf
// and sig strings are kept because their base64 is only decoded in step 8,
// so a bad encoding there fails with 70009 after the cheaper checks.
type decoded struct {
	Claims
	userBufB64 *string // nil: no TLS.userbuf (absent or null)
	sigB64     string
}

// decode runs steps 2-4: alphabet, base64, zlib, JSON. Every failure is
// 70003 because the client cannot fix any of them but by regenerating.
func decode(sig string) (decoded, error) {
	raw, err := base64.StdEncoding.DecodeString(decodeAlphabet(sig))
	if err != nil {
		return decoded{}, errInvalid("not base64")
	}
	in := inflaters.Get().(*inflater)
	defer inflaters.Put(in)
	in.src.Reset(raw)
	if in.zr == nil {
		in.zr, err = zlib.NewReader(&in.src)
	} else {
		err = in.zr.(zlib.Resetter).Reset(&in.src, nil)
	}
	if err != nil {
		return decoded{}, errInvalid("not zlib")
	}
	// Reading to EOF is what makes the zlib reader check the Adler-32
	// trailer; one byte over the cap tells "too big" apart from "exact".
	in.text.Reset()
	if _, err := in.text.ReadFrom(io.LimitReader(in.zr, maxDocument+1)); err != nil {
		return decoded{}, errInvalid("bad zlib data")
	}
	if in.text.Len() > maxDocument {
		return decoded{}, errInvalid("document too large")
	}
	// parseDocument copies what it keeps, so the buffer can be reused.
	return parseDocument(in.text.Bytes())
}

// inflater is what decoding a sig needs besides the sig: a zlib reader
// (whose window is 32 KB) and the inflated text. They are reused, because
// a burst of first logins otherwise allocates both per login and keeps the
// garbage collector busy.
type inflater struct {
	src  bytes.Reader
	zr   io.ReadCloser
	text bytes.Buffer
}

var inflaters = sync.Pool{New: func() any { return new(inflater) }}

// parseDocument runs step 4. It reads fields one by one rather than into
// a typed struct because generators disagree on types: hand-rolled ones
// (typically JavaScript given the app ID as a string) write integers as
// JSON strings, which §4.9 step 4 recommends accepting. The document is
// validated as a whole, then split without decoding it (package jsonobj):
// a login whose sig misses the cache runs this, and decoding into a map
// was half of a full verification. As with a map, a repeated key's last
// value counts and escaped keys mean what they spell.
func parseDocument(text []byte) (decoded, error) {
	if !json.Valid(text) {
		return decoded{}, errInvalid("not a JSON object")
	}
	members, ok := jsonobj.Members(text)
	if !ok {
		return decoded{}, errInvalid("not a JSON object")
	}
	var identifier, sdkAppID, issued, expire, sig, userBuf json.RawMessage
	for _, m := range members {
		key := m.Key
		if strings.IndexByte(key, '\\') >= 0 {
			if err := json.Unmarshal(m.Raw[:len(key)+2], &key); err != nil {
				return decoded{}, errInvalid("not a JSON object")
			}
		}
		switch key {
		case "TLS.identifier":
			identifier = m.Value
		case "TLS.sdkappid":
			sdkAppID = m.Value
		case "TLS.time":
			issued = m.Value
		case "TLS.expire":
			expire = m.Value
		case "TLS.sig":
			sig = m.Value
		case "TLS.userbuf":
			userBuf = m.Value
		}
	}
	var d decoded
	if d.Identifier, ok = jsonString(identifier); !ok {
		return decoded{}, errInvalid("TLS.identifier missing or not a string")
	}
	if d.SDKAppID, ok = jsonUint(sdkAppID); !ok {
		return decoded{}, errInvalid("TLS.sdkappid missing or not an integer")
	}
	if d.Time, ok = jsonInt(issued); !ok {
		return decoded{}, errInvalid("TLS.time missing or not an integer")
	}
	if d.Expire, ok = jsonInt(expire); !ok {
		return decoded{}, errInvalid("TLS.expire missing or not an integer")
	}
	if d.sigB64, ok = jsonString(sig); !ok {
		return decoded{}, errInvalid("TLS.sig missing or not a string")
	}
	// null counts as absent, as in the reference Go verifier ([]byte
	// field); any other non-string is a malformed document.
	if userBuf != nil && !isNull(userBuf) {
		s, ok := jsonString(userBuf)
		if !ok {
			return decoded{}, errInvalid("TLS.userbuf not a string")
		}
		d.userBufB64 = &s
	}
	return d, nil
}

// checkMAC runs step 8. The userbuf line is rebuilt from the decoded bytes
// re-encoded, not from the string as sent, because that is what the
// reference verifier signs; for canonical base64 both are the same.
func (d *decoded) checkMAC(key string) error {
	var userBuf *string
	if d.userBufB64 != nil {
		b, err := base64.StdEncoding.DecodeString(*d.userBufB64)
		if err != nil {
			return errMismatch()
		}
		reenc := base64.StdEncoding.EncodeToString(b)
		userBuf = &reenc
		d.UserBuf = b
	}
	got, err := base64.StdEncoding.DecodeString(d.sigB64)
	if err != nil {
		return errMismatch()
	}
	want := sign(key, d.Identifier, d.SDKAppID, d.Time, d.Expire, userBuf)
	if !hmac.Equal(got, want) {
		return errMismatch()
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	if len(raw) >= 2 && raw[len(raw)-1] == '"' && plain(raw[1:len(raw)-1]) {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// plain reports whether b, a valid JSON string's contents, is printable
// ASCII without escapes: then it is the string itself.
func plain(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '\\' {
			return false
		}
	}
	return true
}

// integerText returns the digits of a JSON integer written either as a
// number or as a string (§4.9 step 4 tolerance). Floats and exponents are
// rejected later by strconv, which is the point: "1.7e9" is not a time.
func integerText(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	if raw[0] == '"' {
		return jsonString(raw)
	}
	if raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') {
		return string(raw), true
	}
	return "", false
}

func jsonUint(raw json.RawMessage) (uint64, bool) {
	s, ok := integerText(raw)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func jsonInt(raw json.RawMessage) (int64, bool) {
	s, ok := integerText(raw)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// addSat is a+b clamped to the int64 range.
func addSat(a, b int64) int64 {
	switch {
	case b > 0 && a > math.MaxInt64-b:
		return math.MaxInt64
	case b < 0 && a < math.MinInt64-b:
		return math.MinInt64
	}
	return a + b
}
