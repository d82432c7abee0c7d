package client

import "testing"

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
