package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// RunGroupAttrs checks the custom-attribute half of im.GroupStore.
func RunGroupAttrs(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("WriteAndGet", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupAVChatRoom))
		mustCreate(t, s, group(app2, "g", im.GroupAVChatRoom))
		got, err := s.GetGroupAttrs(t.Context(), app1, "g")
		ok(t, "get empty", err)
		equal(t, "empty", got, im.GroupAttrs{})

		attrs := []im.Attr{{Key: "stage", Value: "q&a <b>"}, {Key: "speaker", Value: "é\u0000\"{}"}}
		stored, err := s.WriteGroupAttrs(t.Context(), app1, "g", func(a *im.GroupAttrs) error {
			equal(t, "first write sees nothing", *a, im.GroupAttrs{})
			a.Attrs, a.Version, a.WindowStart, a.WindowWrites = attrs, 1, 1000, 1
			return nil
		})
		ok(t, "write", err)
		want := im.GroupAttrs{Attrs: attrs, Version: 1, WindowStart: 1000, WindowWrites: 1}
		equal(t, "returned", stored, want)
		got, err = s.GetGroupAttrs(t.Context(), app1, "g")
		ok(t, "get", err)
		equal(t, "round trip keeps order and bytes", got, want)

		_, err = s.WriteGroupAttrs(t.Context(), app1, "g", func(a *im.GroupAttrs) error {
			equal(t, "second write sees the first", *a, want)
			a.Attrs, a.Version = nil, 2
			return nil
		})
		ok(t, "clear", err)
		got, err = s.GetGroupAttrs(t.Context(), app1, "g")
		ok(t, "get cleared", err)
		equal(t, "cleared", got, im.GroupAttrs{Version: 2, WindowStart: 1000, WindowWrites: 1})

		boom := errors.New("boom")
		_, err = s.WriteGroupAttrs(t.Context(), app1, "g", func(a *im.GroupAttrs) error { a.Version = 99; return boom })
		wantErr(t, "apply error", err, boom)
		got, err = s.GetGroupAttrs(t.Context(), app1, "g")
		ok(t, "get after rollback", err)
		equal(t, "rolled back", got.Version, int64(2))

		_, err = s.WriteGroupAttrs(t.Context(), app1, "nope", func(a *im.GroupAttrs) error { return nil })
		wantErr(t, "no such group", err, im.ErrNotFound)
		got, err = s.GetGroupAttrs(t.Context(), app2, "g")
		ok(t, "other app", err)
		equal(t, "other app untouched", got, im.GroupAttrs{})

		ok(t, "delete group", s.DeleteGroup(t.Context(), app1, "g"))
		mustCreate(t, s, group(app1, "g", im.GroupAVChatRoom))
		got, err = s.GetGroupAttrs(t.Context(), app1, "g")
		ok(t, "after recreate", err)
		equal(t, "gone with the group", got, im.GroupAttrs{})
	})

	t.Run("WritesSerialized", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		// Each write appends one key to what it reads: a write that did not
		// see the one before would lose a key.
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				_, err := s.WriteGroupAttrs(t.Context(), app1, "g", func(a *im.GroupAttrs) error {
					a.Attrs = append(a.Attrs, im.Attr{Key: fmt.Sprintf("k%d", i), Value: "v"})
					a.Version++
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := s.GetGroupAttrs(t.Context(), app1, "g")
		ok(t, "get", err)
		equal(t, "keys", len(got.Attrs), 16)
		equal(t, "version", got.Version, int64(16))
	})
}
