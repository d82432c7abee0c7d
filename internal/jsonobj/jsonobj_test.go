package jsonobj

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestMembers(t *testing.T) {
	tests := []struct {
		name string
		in   string
		keys []string // nil: not an object
		vals []string
	}{
		{"empty", `{}`, []string{}, []string{}},
		{"flat", `{"a":1,"b":"x","c":null}`, []string{"a", "b", "c"}, []string{`1`, `"x"`, `null`}},
		{"spaces", " {\n \"a\" : [1, {\"b\":\"]}\"}] ,\t\"c\":true } ", []string{"a", "c"}, []string{`[1, {"b":"]}"}]`, `true`}},
		{"escapes stay in keys and values", `{"k\"q":"v\\\"w","\u0041":-1.5e3}`, []string{`k\"q`, `\u0041`}, []string{`"v\\\"w"`, `-1.5e3`}},
		{"repeated key", `{"a":1,"a":2}`, []string{"a", "a"}, []string{`1`, `2`}},
		{"not an object", `[1]`, nil, nil},
		{"cut short", `{"a":{"b":1}`, nil, nil},
		{"open string", `{"a":"x}`, nil, nil},
		{"no colon", `{"a" 1}`, nil, nil},
		{"trailing comma", `{"a":1,}`, nil, nil},
		{"bytes after", `{"a":1} x`, nil, nil},
		{"missing value", `{"a":}`, nil, nil},
		{"empty input", ``, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Members([]byte(tt.in))
			if ok != (tt.keys != nil) {
				t.Fatalf("Members(%q) ok = %v", tt.in, ok)
			}
			var keys, vals []string
			for _, m := range got {
				keys, vals = append(keys, m.Key), append(vals, string(m.Value))
				if string(m.Value) != tt.in[m.Start:m.End] {
					t.Errorf("member %s: Value %q is not the object's [%d:%d]", m.Key, m.Value, m.Start, m.End)
				}
			}
			if ok && (!slices.Equal(keys, tt.keys) || !slices.Equal(vals, tt.vals)) {
				t.Fatalf("Members(%q) = %q %q, want %q %q", tt.in, keys, vals, tt.keys, tt.vals)
			}
		})
	}
}

// TestMembersOfEncodedObjects: every object encoding/json writes splits into
// its members, each member's raw text a valid key and value.
func TestMembersOfEncodedObjects(t *testing.T) {
	for _, v := range []any{
		map[string]any{"op": "push", "GroupId": "g<>&", "event": map[string]any{"MsgBody": []any{map[string]any{"Text": "a \"b\" \\ }]"}}}, "n": 1.5},
		map[string]any{"": "", "日本": []any{nil, true, false, 0, "\u2028"}},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := Members(b)
		if !ok || len(got) != len(v.(map[string]any)) {
			t.Fatalf("Members(%s) = %d members, ok %v", b, len(got), ok)
		}
		for _, m := range got {
			var one map[string]any
			if err := json.Unmarshal(append(append([]byte("{"), m.Raw...), '}'), &one); err != nil || len(one) != 1 {
				t.Fatalf("member %q is not one key and value: %v", m.Raw, err)
			}
		}
	}
}
