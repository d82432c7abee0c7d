package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

func TestCompactPush(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"group message: GroupId and MsgSeq once, Normal priority left out",
			`{"op":"push","GroupId":"g1","MsgSeq":18,"event":{"Type":"GroupMsg","GroupId":"g1","MsgSeq":18,"MsgTime":1717000001,"From_Account":"alice","Random":77,"MsgPriority":"Normal","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"a \u003cb\u003e \"c\""}}]}}`,
			`{"op":"push","GroupId":"g1","MsgSeq":18,"event":{"Type":"GroupMsg","MsgTime":1717000001,"From_Account":"alice","Random":77,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"a \u003cb\u003e \"c\""}}]}}`},
		{"other priorities stay",
			`{"op":"push","GroupId":"g1","MsgSeq":18,"event":{"Type":"GroupMsg","GroupId":"g1","MsgSeq":18,"MsgPriority":"High"}}`,
			`{"op":"push","GroupId":"g1","MsgSeq":18,"event":{"Type":"GroupMsg","MsgPriority":"High"}}`},
		{"a topic message keeps its own MsgSeq",
			`{"op":"push","GroupId":"c","event":{"Type":"TopicMsg","GroupId":"c","TopicId":"c@t","MsgSeq":8}}`,
			`{"op":"push","GroupId":"c","event":{"Type":"TopicMsg","TopicId":"c@t","MsgSeq":8}}`},
		{"different values stay",
			`{"op":"push","GroupId":"g1","MsgSeq":18,"event":{"GroupId":"g2","MsgSeq":17}}`,
			`{"op":"push","GroupId":"g1","MsgSeq":18,"event":{"GroupId":"g2","MsgSeq":17}}`},
		{"a one-to-one message has nothing to leave out",
			`{"op":"push","Seq":42,"event":{"Type":"C2CMsg","From_Account":"alice","MsgSeq":6630}}`,
			`{"op":"push","Seq":42,"event":{"Type":"C2CMsg","From_Account":"alice","MsgSeq":6630}}`},
		{"only the first member goes", `{"op":"push","GroupId":"g","event":{"GroupId":"g","Type":"X"}}`, `{"op":"push","GroupId":"g","event":{"Type":"X"}}`},
		{"every member goes", `{"op":"push","GroupId":"g","event":{"GroupId":"g"}}`, `{"op":"push","GroupId":"g","event":{}}`},
		{"spaces, and brackets and quotes inside strings",
			`{"op":"push", "GroupId" : "g" , "event" : { "GroupId" : "g" , "T" : "{]\\\"" , "A":[{"x":"]"}] } }`,
			`{"op":"push", "GroupId" : "g" , "event" : {"T" : "{]\\\"","A":[{"x":"]"}]} }`},
		{"an escaped key is kept", `{"op":"push","GroupId":"g","event":{"Group\u0049d":"g"}}`, `{"op":"push","GroupId":"g","event":{"Group\u0049d":"g"}}`},
		{"cut short", `{"op":"push","GroupId":"g","event":{"GroupId":"g"`, `{"op":"push","GroupId":"g","event":{"GroupId":"g"`},
		{"trailing bytes", `{"op":"push","GroupId":"g","event":{"GroupId":"g"}}x`, `{"op":"push","GroupId":"g","event":{"GroupId":"g"}}x`},
		{"not an object", `[1]`, `[1]`},
		{"event not an object", `{"op":"push","GroupId":"g","event":"x"}`, `{"op":"push","GroupId":"g","event":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(compactPush([]byte(tt.in)))
			if got != tt.want {
				t.Fatalf("compactPush\n got %s\nwant %s", got, tt.want)
			}
			if json.Valid([]byte(tt.in)) && !json.Valid([]byte(got)) {
				t.Fatalf("not JSON: %s", got)
			}
		})
	}
}

// TestProtocolCompact: in one room, a connection that logged in with
// Protocol 2 receives the compact push and one that did not the full one;
// each login reply names the protocol in force.
func TestProtocolCompact(t *testing.T) {
	h := newHarness(t, Config{})
	clients := map[int]*rawConn{}
	for _, proto := range []int{0, 2, 3} {
		r := h.raw()
		r.send(fmt.Sprintf(`{"id":1,"op":"login","SDKAppID":%d,"UserID":"u%d","UserSig":"good","Protocol":%d}`, testApp, proto, proto))
		want := float64(min(max(proto, 1), 2))
		if m := r.read(); m["ErrorCode"] != float64(0) || m["Protocol"] != want {
			t.Fatalf("protocol %d: login reply %v, want Protocol %v", proto, m, want)
		}
		r.send(`{"id":2,"op":"join_group","GroupId":"av-1"}`)
		if m := r.read(); m["ErrorCode"] != float64(0) {
			t.Fatalf("join: %v", m)
		}
		clients[proto] = r
	}
	event := `{"Type":"GroupMsg","GroupId":"av-1","MsgSeq":5,"MsgPriority":"Normal","MsgBody":[]}`
	if err := h.gw.DeliverRoom(context.Background(), testApp, "av-1", im.Push{MsgSeq: 5, Event: json.RawMessage(event)}); err != nil {
		t.Fatal(err)
	}
	for proto, want := range map[int]string{
		0: `{"op":"push","GroupId":"av-1","MsgSeq":5,"event":` + event + `}`,
		2: `{"op":"push","GroupId":"av-1","MsgSeq":5,"event":{"Type":"GroupMsg","MsgBody":[]}}`,
		3: `{"op":"push","GroupId":"av-1","MsgSeq":5,"event":{"Type":"GroupMsg","MsgBody":[]}}`,
	} {
		if got := string(clients[proto].readRaw()); got != want {
			t.Errorf("protocol %d: got %s, want %s", proto, got, want)
		}
	}
}
