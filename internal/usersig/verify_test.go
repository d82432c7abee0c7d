package usersig

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chatd/chatd/internal/im"
)

// pack wraps an arbitrary JSON text the way the Python generator does
// (zlib default level), so tests can hand-craft malformed documents.
func pack(tb testing.TB, doc string) string {
	tb.Helper()
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	if _, err := zw.Write([]byte(doc)); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return encodeAlphabet(base64.StdEncoding.EncodeToString(b.Bytes()))
}

// docA renders Vector A's document with some fields replaced; a value of
// "" drops the key. Values are raw JSON.
func docA(over map[string]string) string {
	fields := []struct{ k, v string }{
		{"TLS.ver", `"2.0"`},
		{"TLS.identifier", `"administrator"`},
		{"TLS.sdkappid", `1400012345`},
		{"TLS.expire", `15552000`},
		{"TLS.time", `1700000000`},
		{"TLS.userbuf", ``},
		{"TLS.sig", `"4/3ZlwcLa2FgFmDFDsKmpgzprvn8YANGBFo68asNnP4="`},
	}
	var parts []string
	for _, f := range fields {
		v := f.v
		if o, ok := over[f.k]; ok {
			v = o
		}
		if v != "" {
			parts = append(parts, strconv.Quote(f.k)+":"+v)
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func codeOf(err error) int {
	if err == nil {
		return 0
	}
	if c := im.CodeOf(err); c != 0 {
		return c
	}
	return -1 // an error without a wire code is a bug in itself
}

func TestVerifyOutcomes(t *testing.T) {
	sigAStd := base64.StdEncoding.EncodeToString(mustB64(t, decodeAlphabet(sigALevel0)))
	bomb := func() string {
		var b bytes.Buffer
		zw := zlib.NewWriter(&b)
		zw.Write(bytes.Repeat([]byte(" "), maxDocument+1))
		zw.Close()
		return encodeAlphabet(base64.StdEncoding.EncodeToString(b.Bytes()))
	}()
	badChecksum := func() string {
		z := mustB64(t, decodeAlphabet(sigALevel0))
		z[len(z)-1] ^= 0xff
		return encodeAlphabet(base64.StdEncoding.EncodeToString(z))
	}()
	// A sig whose fields sit at the int64 limits: the expiry must saturate
	// rather than wrap, and signing them must not panic.
	huge := func(issued, expire int64) string {
		mac := sign(keyA, "administrator", appA, issued, expire, nil)
		return pack(t, docA(map[string]string{
			"TLS.time":   strconv.FormatInt(issued, 10),
			"TLS.expire": strconv.FormatInt(expire, 10),
			"TLS.sig":    strconv.Quote(base64.StdEncoding.EncodeToString(mac)),
		}))
	}

	tests := []struct {
		name       string
		key        string
		app        uint64
		identifier string
		sig        string
		now        int64
		want       int
	}{
		// overview.md §4.10 "Verification outcomes", row by row.
		{"baseline", keyA, appA, "administrator", sigALevel0, 1700000000, 0},
		{"last valid second", keyA, appA, "administrator", sigALevel0, 1715552000, 0},
		{"expired", keyA, appA, "administrator", sigALevel0, 1715552001, im.CodeSigExpired},
		{"before TLS.time", keyA, appA, "administrator", sigALevel0, 1600000000, 0},
		{"wrong key", keyA + "x", appA, "administrator", sigALevel0, 1700000000, im.CodeSigMismatch},
		{"wrong identifier", keyA, appA, "admin", sigALevel0, 1700000000, im.CodeSigIdentifier},
		{"wrong sdkappid", keyA, 1400012346, "administrator", sigALevel0, 1700000000, im.CodeSigSDKAppID},
		{"bad base64", keyA, appA, "administrator", "abc$", 1700000000, im.CodeSigInvalid},
		{"not zlib", keyA, appA, "administrator", "aGVsbG8_", 1700000000, im.CodeSigInvalid},
		{"empty", keyA, appA, "administrator", "", 1700000000, im.CodeBadURLParam},

		// The other generators' forms of Vector A (§4.10).
		{"level 6", keyA, appA, "administrator", sigALevel6, 1715552000, 0},
		{"python style", keyA, appA, "administrator", sigAPy, 1715552000, 0},
		{"python style expired", keyA, appA, "administrator", sigAPy, 1715552001, im.CodeSigExpired},
		{"unsubstituted standard base64", keyA, appA, "administrator", sigAStd, 1700000000, 0},
		{"B with userbuf", keyA, appA, identB, sigB, 1700086400, 0},
		{"B expired", keyA, appA, identB, sigB, 1700086401, im.CodeSigExpired},

		// Steps 5-7 come before the HMAC, and 5 before 6 before 7.
		{"wrong identifier and key", keyA + "x", appA, "admin", sigALevel0, 1700000000, im.CodeSigIdentifier},
		{"wrong sdkappid and identifier", keyA, 1, "admin", sigALevel0, 1700000000, im.CodeSigSDKAppID},
		{"wrong identifier and expired", keyA, appA, "admin", sigALevel0, 1800000000, im.CodeSigIdentifier},
		{"expired and wrong key", keyA + "x", appA, "administrator", sigALevel0, 1800000000, im.CodeSigExpired},
		{"identifier case matters", keyA, appA, "Administrator", sigALevel0, 1700000000, im.CodeSigIdentifier},

		// Step 2-4 failures.
		{"truncated", keyA, appA, "administrator", sigALevel0[:len(sigALevel0)-12], 1700000000, im.CodeSigInvalid},
		{"bad zlib checksum", keyA, appA, "administrator", badChecksum, 1700000000, im.CodeSigInvalid},
		{"zlib bomb", keyA, appA, "administrator", bomb, 1700000000, im.CodeSigInvalid},
		{"bad JSON in valid zlib", keyA, appA, "administrator", pack(t, `{"TLS.ver":"2.0",`), 1700000000, im.CodeSigInvalid},
		{"JSON array", keyA, appA, "administrator", pack(t, `[1,2]`), 1700000000, im.CodeSigInvalid},
		{"JSON null", keyA, appA, "administrator", pack(t, `null`), 1700000000, im.CodeSigInvalid},
		{"trailing garbage after JSON", keyA, appA, "administrator", pack(t, docA(nil)+"x"), 1700000000, im.CodeSigInvalid},
		{"missing TLS.sig", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.sig": ""})), 1700000000, im.CodeSigInvalid},
		{"missing TLS.identifier", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.identifier": ""})), 1700000000, im.CodeSigInvalid},
		{"missing TLS.sdkappid", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.sdkappid": ""})), 1700000000, im.CodeSigInvalid},
		{"missing TLS.time", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.time": ""})), 1700000000, im.CodeSigInvalid},
		{"missing TLS.expire", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.expire": ""})), 1700000000, im.CodeSigInvalid},
		{"identifier not a string", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.identifier": `7`})), 1700000000, im.CodeSigInvalid},
		{"sig not a string", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.sig": `null`})), 1700000000, im.CodeSigInvalid},
		{"time a float", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.time": `1700000000.0`})), 1700000000, im.CodeSigInvalid},
		{"time an exponent", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.time": `1.7e9`})), 1700000000, im.CodeSigInvalid},
		{"sdkappid negative", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.sdkappid": `-1`})), 1700000000, im.CodeSigInvalid},
		{"sdkappid a bool", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.sdkappid": `true`})), 1700000000, im.CodeSigInvalid},
		{"expire a non-numeric string", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.expire": `"soon"`})), 1700000000, im.CodeSigInvalid},
		{"userbuf an object", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.userbuf": `{}`})), 1700000000, im.CodeSigInvalid},

		// Step 4 tolerance: integers written as strings, ver unchecked,
		// null userbuf treated as absent.
		{"integers as strings", keyA, appA, "administrator", pack(t, docA(map[string]string{
			"TLS.sdkappid": `"1400012345"`, "TLS.expire": `"15552000"`, "TLS.time": `"1700000000"`,
		})), 1715552000, 0},
		{"integers as strings expired", keyA, appA, "administrator", pack(t, docA(map[string]string{
			"TLS.sdkappid": `"1400012345"`, "TLS.expire": `"15552000"`, "TLS.time": `"1700000000"`,
		})), 1715552001, im.CodeSigExpired},
		{"ver missing", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.ver": ""})), 1700000000, 0},
		{"ver odd", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.ver": `3`})), 1700000000, 0},
		{"userbuf null", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.userbuf": `null`})), 1700000000, 0},
		{"escaped keys mean what they spell", keyA, appA, "administrator", pack(t, strings.Replace(strings.Replace(docA(nil),
			`"TLS.identifier"`, `"TLS.\u0069dentifier"`, 1), `"TLS.time"`, `"TLS\u002etime"`, 1)), 1700000000, 0},
		{"escaped identifier value", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.identifier": `"adm\u0069nistrator"`})), 1700000000, 0},
		{"a repeated key's last value counts", keyA, appA, "administrator", pack(t, strings.Replace(docA(nil), `"TLS.time":`, `"TLS.time":1,"TLS.time":`, 1)), 1700000000, 0},
		{"a bad literal in an unread field", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.ver": `tru`})), 1700000000, im.CodeSigInvalid},
		{"spaced python separators", keyA, appA, "administrator", pack(t, strings.ReplaceAll(strings.ReplaceAll(docA(nil), ":", ": "), ",", ", ")), 1700000000, 0},

		// Step 8 failures.
		{"TLS.sig not base64", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.sig": `"not base64!"`})), 1700000000, im.CodeSigMismatch},
		{"TLS.sig empty", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.sig": `""`})), 1700000000, im.CodeSigMismatch},
		{"tampered TLS.time", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.time": `1700000001`})), 1700000000, im.CodeSigMismatch},
		{"tampered TLS.expire", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.expire": `99999999`})), 1700000000, im.CodeSigMismatch},
		{"userbuf added", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.userbuf": `"AAAA"`})), 1700000000, im.CodeSigMismatch},
		{"userbuf empty string added", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.userbuf": `""`})), 1700000000, im.CodeSigMismatch},
		{"userbuf not base64", keyA, appA, "administrator", pack(t, docA(map[string]string{"TLS.userbuf": `"%%%"`})), 1700000000, im.CodeSigMismatch},

		// Extreme numbers saturate instead of wrapping.
		{"max time and expire", keyA, appA, "administrator", huge(math.MaxInt64, math.MaxInt64), math.MaxInt64, 0},
		{"min time and expire", keyA, appA, "administrator", huge(math.MinInt64, math.MinInt64), math.MinInt64 + 1, im.CodeSigExpired},
		{"negative expire", keyA, appA, "administrator", huge(1700000000, -1), 1700000000, im.CodeSigExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.key, tt.app, tt.identifier, tt.sig, time.Unix(tt.now, 0))
			if got := codeOf(err); got != tt.want {
				t.Fatalf("Verify = %v (code %d), want code %d", err, got, tt.want)
			}
		})
	}
}

func mustB64(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// officialRow is one signature from testdata/official.json, produced by
// testdata/official_gen.py with the official Python library's algorithm.
type officialRow struct {
	Name       string `json:"name"`
	Key        string `json:"key"`
	SDKAppID   uint64 `json:"sdkappid"`
	Identifier string `json:"identifier"`
	Time       int64  `json:"time"`
	Expire     int64  `json:"expire"`
	UserSig    string `json:"usersig"`
	UserBuf    string `json:"userbuf"`
}

func TestOfficialSignatures(t *testing.T) {
	raw, err := os.ReadFile("testdata/official.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []officialRow
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no rows in testdata/official.json")
	}
	for _, r := range rows {
		t.Run(r.Name, func(t *testing.T) {
			issued := time.Unix(r.Time, 0)
			last := time.Unix(r.Time+r.Expire, 0)
			c, err := Check(r.Key, r.SDKAppID, r.Identifier, r.UserSig, issued)
			if err != nil {
				t.Fatalf("Check at issue time = %v", err)
			}
			if c.Time != r.Time || c.Expire != r.Expire || c.Identifier != r.Identifier || c.SDKAppID != r.SDKAppID {
				t.Errorf("claims = %+v, want row %+v", c, r)
			}
			if got := base64.StdEncoding.EncodeToString(c.UserBuf); got != r.UserBuf || (c.UserBuf == nil) != (r.UserBuf == "") {
				t.Errorf("claims userbuf = %q, want %q", got, r.UserBuf)
			}
			checks := []struct {
				what string
				err  error
				want int
			}{
				{"last valid second", Verify(r.Key, r.SDKAppID, r.Identifier, r.UserSig, last), 0},
				{"expired", Verify(r.Key, r.SDKAppID, r.Identifier, r.UserSig, last.Add(time.Second)), im.CodeSigExpired},
				{"wrong key", Verify(r.Key+"x", r.SDKAppID, r.Identifier, r.UserSig, issued), im.CodeSigMismatch},
				{"wrong identifier", Verify(r.Key, r.SDKAppID, r.Identifier+"x", r.UserSig, issued), im.CodeSigIdentifier},
			}
			for _, ck := range checks {
				if got := codeOf(ck.err); got != ck.want {
					t.Errorf("%s: %v (code %d), want %d", ck.what, ck.err, got, ck.want)
				}
			}

			// The HMAC is the one deterministic part across generators,
			// so ours must carry the same TLS.sig as Python's.
			var ub []byte
			if r.UserBuf != "" {
				ub = mustB64(t, r.UserBuf)
			}
			ours := GenerateWithUserBuf(r.Key, r.SDKAppID, r.Identifier, r.Expire, issued, ub)
			if a, b := tlsSigOf(t, ours), tlsSigOf(t, r.UserSig); a != b {
				t.Errorf("TLS.sig ours %s, python %s", a, b)
			}
		})
	}
}

func tlsSigOf(tb testing.TB, sig string) string {
	tb.Helper()
	_, doc := unpack(tb, sig)
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		tb.Fatal(err)
	}
	s, _ := m["TLS.sig"].(string)
	return s
}

// seeds are the fuzz corpus: every worked vector and a few near misses.
func seeds(tb testing.TB) []string {
	return []string{
		sigALevel0, sigALevel6, sigAPy, sigB, "", "abc$", "aGVsbG8_",
		sigALevel0[:40], pack(tb, docA(nil)), pack(tb, `{}`), pack(tb, `[]`),
		pack(tb, docA(map[string]string{"TLS.time": `"1700000000"`})),
		pack(tb, docA(map[string]string{"TLS.userbuf": `"AAAA"`})),
	}
}

// FuzzVerify checks that no input makes Verify panic or return an error
// outside §4.9's codes, and that the cached Verifier agrees with Verify,
// including on the second, cached call. Plain go test runs only the seeds.
func FuzzVerify(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s, "administrator", appA, timeA)
		f.Add(s, identB, appA, int64(math.MaxInt64))
	}
	allowed := map[int]bool{
		0: true, im.CodeBadURLParam: true, im.CodeSigExpired: true, im.CodeSigInvalid: true,
		im.CodeSigMismatch: true, im.CodeSigIdentifier: true, im.CodeSigSDKAppID: true,
	}
	f.Fuzz(func(t *testing.T, sig, identifier string, app uint64, now int64) {
		at := time.Unix(now, 0)
		want := codeOf(Verify(keyA, app, identifier, sig, at))
		if !allowed[want] {
			t.Fatalf("Verify(%q) returned code %d", sig, want)
		}
		v := NewVerifier(2, func() time.Time { return at })
		for i := range 2 {
			if got := codeOf(v.Verify(keyA, app, identifier, sig)); got != want {
				t.Fatalf("Verifier call %d = %d, Verify = %d", i, got, want)
			}
		}
	})
}

// FuzzGenerateVerify checks that whatever Generate produces verifies at its
// own issue time, as long as the identifier is valid UTF-8: encoding/json,
// like the reference generator, writes invalid bytes as U+FFFD while the
// HMAC covers the raw bytes, so such a sig can never verify.
func FuzzGenerateVerify(f *testing.F) {
	f.Add("administrator", appA, timeA, expireA, []byte(nil))
	f.Add("a<b>&c", uint64(0), int64(math.MaxInt64), int64(1), []byte{})
	f.Add("用户", uint64(math.MaxUint64), int64(-5), int64(-1), []byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, identifier string, app uint64, issued, expire int64, userBuf []byte) {
		if !utf8.ValidString(identifier) {
			t.Skip()
		}
		sig := GenerateWithUserBuf(keyA, app, identifier, expire, time.Unix(issued, 0), userBuf)
		want := 0
		if expire < 0 {
			want = im.CodeSigExpired
		}
		if got := codeOf(Verify(keyA, app, identifier, sig, time.Unix(issued, 0))); got != want {
			t.Fatalf("Verify(Generate(%q, %d, %d, %d)) = %d, want %d", identifier, app, issued, expire, got, want)
		}
	})
}

// BenchmarkCheck is a first login's verification: the sig in full, no
// cache.
func BenchmarkCheck(b *testing.B) {
	const key, app, user = "bench-key", 1400000001, "alice"
	sig := Generate(key, app, user, 86400, time.Now())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Check(key, app, user, sig, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
