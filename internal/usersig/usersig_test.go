package usersig

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"
)

// The worked vectors of overview.md §4.10, copied verbatim so a change in
// the spec or the code shows up as a diff here.
const (
	keyA       = "d1f0c2b3a4e5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f809"
	appA       = uint64(1400012345)
	timeA      = int64(1700000000)
	expireA    = int64(15552000)
	sigALevel0 = "eAEAsgBN-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoiYWRtaW5pc3RyYXRvciIsIlRMUy5zZGthcHBpZCI6MTQwMDAxMjM0NSwiVExTLmV4cGlyZSI6MTU1NTIwMDAsIlRMUy50aW1lIjoxNzAwMDAwMDAwLCJUTFMuc2lnIjoiNC8zWmx3Y0xhMkZnRm1ERkRzS21wZ3pwcnZuOFlBTkdCRm82OGFzTm5QND0ifQoBAAD--39mNMU_"
	sigALevel6 = "eJyqVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwokpuZl5mcUlRYkl*UVQBcUp2YkFBZkpSlaGJgYGBoZGxiamEJnUioLMolQlK0NTU1MjAwMDiGhJZi5IzNwACqCmZKYrWSmZ6BtH5ZQn*yQauaW75bq4uRR75xakVxUUleVZRDr6uTu55ZtZJBb75QWY2CrVcgECAAD--39mNMU_"
	sigAPy     = "eJw1jUELwiAcxb-K8BzLOa0RdCiGHRojqEvdJE3*lE5UVhR997a1vePv93jvg07VMW2VR6sEkRSjWTIQkMpGuMFfCGnAQohexMZPlSDvwjmQXSGjGOOM5JSNTr0ceNUbxhjp5MgjmIEu8ZhpC3T-Q*f55fG8VoJwzU3Jy7A3Tr*db21x3tS7LW8WhQi1PdA1*v4A0VM2Gw__"

	identB  = "user_01"
	expireB = int64(86400)
	sigB    = "eAEA4gAd-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoidXNlcl8wMSIsIlRMUy5zZGthcHBpZCI6MTQwMDAxMjM0NSwiVExTLmV4cGlyZSI6ODY0MDAsIlRMUy50aW1lIjoxNzAwMDAwMDAwLCJUTFMudXNlcmJ1ZiI6IkFBQUhkWE5sY2w4d01WTnlmamtBQUFUU1pWVkNnQUFBQVA4QUFBQUEiLCJUTFMuc2lnIjoiY1lBZmRXeDJVNUtBRnFUUzVVem9iOFNOT0hwbXNxNGlKUVIzNUNFWERlYz0ifQoBAAD--xYKQog_"
)

// mustHex decodes a hex string written with spaces for readability.
func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		tb.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// unpack reverses the outer layers of a UserSig to the zlib bytes and the
// JSON text, so tests can check each layer of a generated sig.
func unpack(tb testing.TB, sig string) (zbytes, doc []byte) {
	tb.Helper()
	z, err := base64.StdEncoding.DecodeString(decodeAlphabet(sig))
	if err != nil {
		tb.Fatalf("base64: %v", err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		tb.Fatalf("zlib: %v", err)
	}
	doc, err = io.ReadAll(zr)
	if err != nil {
		tb.Fatalf("inflate: %v", err)
	}
	return z, doc
}

func strPtr(s string) *string { return &s }

func TestVectors(t *testing.T) {
	userBufB := mustHex(t, "00 0007 757365725f3031 53727e39 000004d2 65554280 000000ff 00000000")
	tests := []struct {
		name       string
		identifier string
		expire     int64
		userBuf    []byte
		userBufB64 string
		signed     string
		macHex     string
		tlsSig     string
		doc        string
		zlen       int
		zhead      string
		ztail      string
		usersig    string
	}{
		{
			name:       "A plain",
			identifier: "administrator",
			expire:     expireA,
			signed:     "TLS.identifier:administrator\nTLS.sdkappid:1400012345\nTLS.time:1700000000\nTLS.expire:15552000\n",
			macHex:     "e3fdd997070b6b61601660c50ec2a6a60ce9aef9fc600346045a3af1ab0d9cfe",
			tlsSig:     "4/3ZlwcLa2FgFmDFDsKmpgzprvn8YANGBFo68asNnP4=",
			doc:        `{"TLS.ver":"2.0","TLS.identifier":"administrator","TLS.sdkappid":1400012345,"TLS.expire":15552000,"TLS.time":1700000000,"TLS.sig":"4/3ZlwcLa2FgFmDFDsKmpgzprvn8YANGBFo68asNnP4="}` + "\n",
			zlen:       194,
			zhead:      "78 01 00 b2 00 4d ff",
			ztail:      "01 00 00 ff ff 7f 66 34 c5",
			usersig:    sigALevel0,
		},
		{
			name:       "B userbuf",
			identifier: identB,
			expire:     expireB,
			userBuf:    userBufB,
			userBufB64: "AAAHdXNlcl8wMVNyfjkAAATSZVVCgAAAAP8AAAAA",
			signed:     "TLS.identifier:user_01\nTLS.sdkappid:1400012345\nTLS.time:1700000000\nTLS.expire:86400\nTLS.userbuf:AAAHdXNlcl8wMVNyfjkAAATSZVVCgAAAAP8AAAAA\n",
			macHex:     "71801f756c7653928016a4d2e54ce86fc48d387a66b2ae22250477e421170de7",
			tlsSig:     "cYAfdWx2U5KAFqTS5Uzob8SNOHpmsq4iJQR35CEXDec=",
			doc:        `{"TLS.ver":"2.0","TLS.identifier":"user_01","TLS.sdkappid":1400012345,"TLS.expire":86400,"TLS.time":1700000000,"TLS.userbuf":"AAAHdXNlcl8wMVNyfjkAAATSZVVCgAAAAP8AAAAA","TLS.sig":"cYAfdWx2U5KAFqTS5Uzob8SNOHpmsq4iJQR35CEXDec="}` + "\n",
			usersig:    sigB,
		},
	}
	now := time.Unix(timeA, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ub *string
			if tt.userBuf != nil {
				if got := base64.StdEncoding.EncodeToString(tt.userBuf); got != tt.userBufB64 {
					t.Fatalf("userbuf base64 = %s, want %s", got, tt.userBufB64)
				}
				ub = strPtr(tt.userBufB64)
			}
			if got := string(signedText(tt.identifier, appA, timeA, tt.expire, ub)); got != tt.signed {
				t.Errorf("signed text = %q, want %q", got, tt.signed)
			}
			mac := sign(keyA, tt.identifier, appA, timeA, tt.expire, ub)
			if got := hex.EncodeToString(mac); got != tt.macHex {
				t.Errorf("hmac = %s, want %s", got, tt.macHex)
			}
			// Cross-check sign against a direct HMAC of the spec's text.
			h := hmac.New(sha256.New, []byte(keyA))
			h.Write([]byte(tt.signed))
			if !hmac.Equal(h.Sum(nil), mac) {
				t.Errorf("sign differs from HMAC of the spec's signed text")
			}
			if got := base64.StdEncoding.EncodeToString(mac); got != tt.tlsSig {
				t.Errorf("TLS.sig = %s, want %s", got, tt.tlsSig)
			}

			got := GenerateWithUserBuf(keyA, appA, tt.identifier, tt.expire, now, tt.userBuf)
			if tt.userBuf == nil {
				if plain := Generate(keyA, appA, tt.identifier, tt.expire, now); plain != got {
					t.Errorf("Generate and GenerateWithUserBuf(nil) differ")
				}
			}
			if got != tt.usersig {
				t.Errorf("usersig =\n%s\nwant\n%s", got, tt.usersig)
			}
			z, doc := unpack(t, got)
			if string(doc) != tt.doc {
				t.Errorf("json =\n%q\nwant\n%q", doc, tt.doc)
			}
			if tt.zlen != 0 && len(z) != tt.zlen {
				t.Errorf("zlib length = %d, want %d", len(z), tt.zlen)
			}
			if tt.zhead != "" && !bytes.HasPrefix(z, mustHex(t, tt.zhead)) {
				t.Errorf("zlib starts % x, want %s", z[:7], tt.zhead)
			}
			if tt.ztail != "" && !bytes.HasSuffix(z, mustHex(t, tt.ztail)) {
				t.Errorf("zlib ends % x, want %s", z[len(z)-9:], tt.ztail)
			}
			if err := Verify(keyA, appA, tt.identifier, got, now); err != nil {
				t.Errorf("Verify(own output) = %v", err)
			}
		})
	}
}

// TestUserBufLayout pins the §4.8 layouts given as hex in §4.10 to their
// field values, so the vectors above are known to describe what they claim.
func TestUserBufLayout(t *testing.T) {
	build := func(version byte, user string, room uint32, expireAt, priv uint32, roomStr string) []byte {
		b := []byte{version, 0, byte(len(user))}
		b = append(b, user...)
		for _, v := range []uint32{uint32(appA), room, expireAt, priv, 0} {
			b = append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
		}
		if version == 1 {
			b = append(b, 0, byte(len(roomStr)))
			b = append(b, roomStr...)
		}
		return b
	}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"numeric room", build(0, identB, 1234, 1700086400, 255, ""),
			"00 0007 757365725f3031 53727e39 000004d2 65554280 000000ff 00000000"},
		{"string room", build(1, identB, 0, 1700086400, 42, "room-a"),
			"01 0007 757365725f3031 53727e39 00000000 65554280 0000002a 00000000 0006 726f6f6d2d61"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := mustHex(t, tt.want)
			if !bytes.Equal(tt.got, want) {
				t.Fatalf("layout = % x, want % x", tt.got, want)
			}
			sig := GenerateWithUserBuf(keyA, appA, identB, expireB, time.Unix(timeA, 0), want)
			c, err := Check(keyA, appA, identB, sig, time.Unix(timeA, 0))
			if err != nil {
				t.Fatalf("Check = %v", err)
			}
			if !bytes.Equal(c.UserBuf, want) {
				t.Errorf("claims userbuf = % x, want % x", c.UserBuf, want)
			}
		})
	}
}

// TestGenerateEdgeCases covers inputs the vectors do not: the reference Go
// generator's HTML escaping, non-ASCII identifiers and an empty userbuf,
// all of which must still round-trip through Verify.
func TestGenerateEdgeCases(t *testing.T) {
	now := time.Unix(timeA, 0)
	tests := []struct {
		name       string
		identifier string
		userBuf    []byte
		docHas     string
	}{
		{"html escaped like encoding/json", "a<b>&c", nil, `"TLS.identifier":"a\u003cb\u003e\u0026c"`},
		{"non-ascii kept as utf-8", "用户_01", nil, `"TLS.identifier":"用户_01"`},
		{"empty userbuf is written", "u", []byte{}, `"TLS.userbuf":""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig := GenerateWithUserBuf(keyA, appA, tt.identifier, 60, now, tt.userBuf)
			if strings.ContainsAny(sig, "+/=") {
				t.Errorf("sig %q contains standard base64 characters", sig)
			}
			if _, doc := unpack(t, sig); !strings.Contains(string(doc), tt.docHas) {
				t.Errorf("json %s lacks %s", doc, tt.docHas)
			}
			if err := Verify(keyA, appA, tt.identifier, sig, now); err != nil {
				t.Errorf("Verify = %v", err)
			}
		})
	}
}
