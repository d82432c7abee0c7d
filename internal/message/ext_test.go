package message

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// TestExtWriteApply works writes out on a message holding a=1@1 and b=2@3
// (LatestSeq 4, ClearSeq 0): the Seq check for users, none for the app,
// deletes, clears and the pair cap.
func TestExtWriteApply(t *testing.T) {
	user, app := ExtCaller{UserID: "bob"}, ExtCaller{UserID: "administrator", Admin: true}
	p := func(key, value string, seq int64) im.MsgExt { return im.MsgExt{Key: key, Value: value, Seq: seq} }
	tests := []struct {
		name    string
		by      ExtCaller
		op      int
		pairs   []im.MsgExt
		held    int // pairs the message holds, a and b among them
		results string
		change  string
		code    int
	}{
		{name: "user with the current Seqs", by: user, op: ExtSet, pairs: []im.MsgExt{p("a", "x", 1), p("c", "y", 0)},
			results: "[{0 a=x@5} {0 c=y@6}]", change: "set [a=x@5 c=y@6] delete [] clear false latest 6 clear 0 pairs 3"},
		{name: "user with a stale Seq fails that pair alone", by: user, op: ExtSet, pairs: []im.MsgExt{p("a", "x", 0), p("b", "y", 3)},
			results: "[{23001 a=1@1} {0 b=y@5}]", change: "set [b=y@5] delete [] clear false latest 5 clear 0 pairs 2"},
		{name: "user writing a new key that exists", by: user, op: ExtSet, pairs: []im.MsgExt{p("b", "y", 0)},
			results: "[{23001 b=2@3}]", change: "set [] delete [] clear false latest 4 clear 0 pairs 2"},
		{name: "user naming a Seq for a key that does not exist", by: user, op: ExtSet, pairs: []im.MsgExt{p("c", "y", 2)},
			results: "[{23001 c=@0}]", change: "set [] delete [] clear false latest 4 clear 0 pairs 2"},
		{name: "the app is not checked", by: app, op: ExtSet, pairs: []im.MsgExt{p("a", "x", 0), p("c", "y", 9)},
			results: "[{0 a=x@5} {0 c=y@6}]", change: "set [a=x@5 c=y@6] delete [] clear false latest 6 clear 0 pairs 3"},
		{name: "delete, checked", by: user, op: ExtDelete, pairs: []im.MsgExt{p("a", "", 1), p("b", "", 1), p("c", "", 0)},
			results: "[{0 a=@0} {23001 b=2@3} {0 c=@0}]", change: "set [] delete [a] clear false latest 4 clear 0 pairs 1"},
		{name: "clear", by: user, op: ExtClear,
			results: "[]", change: "set [] delete [] clear true latest 4 clear 4 pairs 0"},
		{name: "full message takes overwrites", by: app, op: ExtSet, held: MaxExtPairs, pairs: []im.MsgExt{p("a", "x", 0)},
			results: "[{0 a=x@5}]", change: "set [a=x@5] delete [] clear false latest 5 clear 0 pairs 300"},
		{name: "one pair over the cap", by: app, op: ExtSet, held: MaxExtPairs - 1, pairs: []im.MsgExt{p("c", "x", 0), p("d", "x", 0)},
			code: im.CodeExtBadParam},
		{name: "conflicting new keys do not count", by: user, op: ExtSet, held: MaxExtPairs, pairs: []im.MsgExt{p("c", "x", 1)},
			results: "[{23001 c=@0}]", change: "set [] delete [] clear false latest 4 clear 0 pairs 300"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			current := map[string]im.MsgExt{"a": p("a", "1", 1), "b": p("b", "2", 3)}
			held := max(tt.held, 2)
			w := ExtWrite{Op: tt.op, Pairs: tt.pairs}
			keys, err := w.check()
			if err != nil {
				t.Fatalf("check: %v", err)
			}
			// The store passes the current pairs among the keys only.
			among := map[string]im.MsgExt{}
			for _, k := range keys {
				if e, ok := current[k]; ok {
					among[k] = e
				}
			}
			ch, results, err := w.apply(im.MsgExtHead{SupportExtension: true, LatestSeq: 4, Pairs: held}, among, tt.by)
			if code := im.CodeOf(err); code != tt.code {
				t.Fatalf("code %d, want %d (%v)", code, tt.code, err)
			}
			if err != nil {
				return
			}
			var got []string
			for _, r := range results {
				got = append(got, fmt.Sprintf("{%d %s=%s@%d}", r.Code, r.Ext.Key, r.Ext.Value, r.Ext.Seq))
			}
			if s := fmt.Sprint(got); s != tt.results {
				t.Errorf("results %s, want %s", s, tt.results)
			}
			var set []string
			for _, e := range ch.Set {
				set = append(set, fmt.Sprintf("%s=%s@%d", e.Key, e.Value, e.Seq))
			}
			change := fmt.Sprintf("set %v delete %v clear %v latest %d clear %d pairs %d", set, ch.Delete, ch.Clear,
				ch.Head.LatestSeq, ch.Head.ClearSeq, ch.Head.Pairs)
			if change != tt.change {
				t.Errorf("change %s, want %s", change, tt.change)
			}
		})
	}
}

// TestExtWriteCheck: what a request alone decides.
func TestExtWriteCheck(t *testing.T) {
	long := func(n int) string { return string(make([]byte, n)) }
	key := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'k'
		}
		return string(b)
	}
	many := func(n int) []im.MsgExt {
		out := make([]im.MsgExt, n)
		for i := range out {
			out[i].Key = fmt.Sprint("k", i)
		}
		return out
	}
	tests := []struct {
		name string
		w    ExtWrite
		keys []string
		code int
	}{
		{"set", ExtWrite{Op: ExtSet, Pairs: []im.MsgExt{{Key: "a"}, {Key: "b"}}}, []string{"a", "b"}, 0},
		{"clear ignores the list", ExtWrite{Op: ExtClear, Pairs: []im.MsgExt{{Key: ""}}}, nil, 0},
		{"no operation", ExtWrite{Pairs: []im.MsgExt{{Key: "a"}}}, nil, im.CodeExtBadParam},
		{"nothing to set", ExtWrite{Op: ExtSet}, nil, im.CodeExtBadParam},
		{"20 pairs", ExtWrite{Op: ExtDelete, Pairs: many(20)}, nil, 0},
		{"21 pairs", ExtWrite{Op: ExtDelete, Pairs: many(21)}, nil, im.CodeExtBadParam},
		{"key of 100 bytes", ExtWrite{Op: ExtSet, Pairs: []im.MsgExt{{Key: key(100)}}}, []string{key(100)}, 0},
		{"key of 101 bytes", ExtWrite{Op: ExtSet, Pairs: []im.MsgExt{{Key: key(101)}}}, nil, im.CodeExtBadParam},
		{"value of 1000 bytes", ExtWrite{Op: ExtSet, Pairs: []im.MsgExt{{Key: "a", Value: long(1000)}}}, []string{"a"}, 0},
		{"value of 1001 bytes", ExtWrite{Op: ExtSet, Pairs: []im.MsgExt{{Key: "a", Value: long(1001)}}}, nil, im.CodeExtBadParam},
		{"a long value to delete", ExtWrite{Op: ExtDelete, Pairs: []im.MsgExt{{Key: "a", Value: long(1001)}}}, []string{"a"}, 0},
		{"key twice", ExtWrite{Op: ExtDelete, Pairs: []im.MsgExt{{Key: "a"}, {Key: "a"}}}, nil, im.CodeExtBadParam},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := tt.w.check()
			if code := im.CodeOf(err); code != tt.code {
				t.Fatalf("code %d, want %d (%v)", code, tt.code, err)
			}
			if tt.keys != nil && !reflect.DeepEqual(keys, tt.keys) {
				t.Errorf("keys %v, want %v", keys, tt.keys)
			}
		})
	}
}
