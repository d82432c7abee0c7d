package message

import (
	"encoding/json"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// TestEncodeBody checks the stored form of MsgBody: compact, in the order
// sent, and every string exactly as the sender wrote it, escapes included.
func TestEncodeBody(t *testing.T) {
	tests := []struct {
		name string
		in   []im.MsgElem
		want string
		code int
	}{
		{
			name: "compacted, escapes kept",
			in: []im.MsgElem{
				{Type: "TIMTextElem", Content: json.RawMessage(" { \"Text\" : \"a\\u00e9 <b>\\n\" } ")},
				{Type: "TIMCustomElem", Content: json.RawMessage(`{"Data":"\u0000\"x\"\\/", "Ext" : "é", "App":{"n": [1, 2.50]}}`)},
			},
			want: `[{"MsgType":"TIMTextElem","MsgContent":{"Text":"a\u00e9 <b>\n"}},` +
				`{"MsgType":"TIMCustomElem","MsgContent":{"Data":"\u0000\"x\"\\/","Ext":"é","App":{"n":[1,2.50]}}}]`,
		},
		{
			name: "null optional fields",
			in:   []im.MsgElem{{Type: "TIMFaceElem", Content: json.RawMessage(`{"Index":3,"Data":null}`)}},
			want: `[{"MsgType":"TIMFaceElem","MsgContent":{"Index":3,"Data":null}}]`,
		},
		{name: "nothing", in: nil, code: im.CodeGroupBadParam},
		{name: "invalid UTF-8", in: []im.MsgElem{{Type: "TIMTextElem", Content: json.RawMessage("{\"Text\":\"\xff\"}")}}, code: im.CodeGroupBadParam},
		{name: "download flag 2.0", in: []im.MsgElem{{Type: "TIMFileElem", Content: json.RawMessage(`{"Url":"u","UUID":"f","Download_Flag":2.0}`)}},
			want: `[{"MsgType":"TIMFileElem","MsgContent":{"Url":"u","UUID":"f","Download_Flag":2.0}}]`},
		{name: "download flag as text", in: []im.MsgElem{{Type: "TIMFileElem", Content: json.RawMessage(`{"Url":"u","UUID":"f","Download_Flag":"2"}`)}},
			code: im.CodeGroupBadParam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeBody(tt.in, im.CodeGroupBadParam)
			if code := im.CodeOf(err); code != tt.code {
				t.Fatalf("error %v, want code %d", err, tt.code)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
