package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestGatewayURL(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "http://127.0.0.1:8080", want: "ws://127.0.0.1:8080/v4/ws"},
		{in: "http://127.0.0.1:8080/", want: "ws://127.0.0.1:8080/v4/ws"},
		{in: "https://chat.example.com", want: "wss://chat.example.com/v4/ws"},
		{in: "https://example.com/chat/", want: "wss://example.com/chat/v4/ws"},
		{in: "ws://h:1/v4/ws", want: "ws://h:1/v4/ws"},
		{in: "wss://h/v4/ws?x=1", want: "wss://h/v4/ws?x=1"},
		{in: "ftp://h", wantErr: true},
		{in: "127.0.0.1:8080", wantErr: true},
		{in: "http://", wantErr: true},
	}
	for _, tt := range tests {
		got, err := gatewayURL(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("gatewayURL(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestErrorText(t *testing.T) {
	if got := (&Error{Code: 70001, Info: "UserSig expired"}).Error(); got != "chatd error 70001: UserSig expired" {
		t.Errorf("Error() = %q", got)
	}
}

// TestCompressionOffer: the client offers per-message compression without
// context takeover, as the server accepts it, unless told not to.
func TestCompressionOffer(t *testing.T) {
	offers := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offers <- r.Header.Get("Sec-WebSocket-Extensions")
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"by default", nil, "permessage-deflate; client_no_context_takeover; server_no_context_takeover"},
		{"WithoutCompression", []Option{WithoutCompression()}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Dial(context.Background(), srv.URL, 1, "u", "sig", tt.opts...); err == nil {
				t.Fatal("dial to a server that refuses the upgrade succeeded")
			}
			if got := <-offers; got != tt.want {
				t.Fatalf("offered %q, want %q", got, tt.want)
			}
		})
	}
}

// TestSocketReleasedWhenServerDrops: a connection the server cuts without
// a close handshake frees its descriptor at once, not at the next GC.
func TestSocketReleasedWhenServerDrops(t *testing.T) {
	before := openFDs(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		_, _, _ = ws.Read(r.Context()) // the login frame
		_ = ws.CloseNow()              // no reply, no handshake
	}))
	defer srv.Close()
	for range 20 {
		_, err := Dial(context.Background(), srv.URL, 1, "u", "sig")
		if err == nil {
			t.Fatal("login against a server that hangs up succeeded")
		}
	}
	srv.CloseClientConnections()
	deadline := time.Now().Add(5 * time.Second)
	for openFDs(t) > before+5 {
		if time.Now().After(deadline) {
			t.Fatalf("descriptors: %d before, %d after 20 dropped connections", before, openFDs(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

func TestFullEvent(t *testing.T) {
	tests := []struct {
		name, event, group string
		seq                int64
		want               string
	}{
		{"compact group message", `{"Type":"GroupMsg","MsgTime":1}`, "g1", 18, `{"GroupId":"g1","MsgSeq":18,"MsgPriority":"Normal","Type":"GroupMsg","MsgTime":1}`},
		{"full group message", `{"Type":"GroupMsg","GroupId":"g1","MsgSeq":18,"MsgPriority":"High"}`, "g1", 18, `{"Type":"GroupMsg","GroupId":"g1","MsgSeq":18,"MsgPriority":"High"}`},
		{"topic message keeps its MsgSeq", `{"Type":"TopicMsg","MsgSeq":8}`, "c", 0, `{"GroupId":"c","Type":"TopicMsg","MsgSeq":8}`},
		{"empty event", `{}`, "g", 0, `{"GroupId":"g"}`},
		{"one-to-one message", `{"Type":"C2CMsg","MsgSeq":1}`, "", 0, `{"Type":"C2CMsg","MsgSeq":1}`},
		{"not an object", `"x"`, "g", 1, `"x"`},
	}
	for _, tt := range tests {
		if got := string(fullEvent(json.RawMessage(tt.event), tt.group, tt.seq)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}
