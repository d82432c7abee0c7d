package wsdeflate

import (
	"bytes"
	"compress/flate"
	"errors"
	"strings"
	"testing"
)

// compressed is text as a permessage-deflate sender sends it: a sync
// flush, its 00 00 ff ff removed.
func compressed(t *testing.T, text string) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte(text))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{0, 0, 0xff, 0xff})
}

func TestInflate(t *testing.T) {
	long := strings.Repeat("chatd ", 100)
	tests := []struct {
		name    string
		msg     []byte
		limit   int64
		want    string
		wantErr error
	}{
		{"a message", compressed(t, `{"op":"heartbeat"}`), 1 << 10, `{"op":"heartbeat"}`, nil},
		{"exactly the limit", compressed(t, long), int64(len(long)), long, nil},
		{"over the limit once inflated", compressed(t, long), int64(len(long)) - 1, "", ErrTooBig},
		{"not DEFLATE data", []byte{0xff, 0xff, 0xff}, 1 << 10, "", ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Inflate(tt.msg, tt.limit)
			if !errors.Is(err, tt.wantErr) || string(got) != tt.want {
				t.Fatalf("Inflate = %.40q, %v; want %.40q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
