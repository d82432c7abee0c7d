package storetest

import (
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// RunCounters checks the counter half of im.GroupStore.
func RunCounters(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("Update", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		mustCreate(t, s, group(app2, "g", im.GroupPublic))
		got, err := s.UpdateCounters(t.Context(), app1, "g", []im.CounterChange{
			{Key: "likes", Value: 5, Add: true}, {Key: "gifts", Value: 7}, {Key: "likes", Value: -2, Add: true},
		}, 20)
		ok(t, "update", err)
		equal(t, "values by first change", got, []im.Counter{{Key: "likes", Value: 3}, {Key: "gifts", Value: 7}})

		for _, tt := range []struct {
			name string
			keys []string
			want []im.Counter
		}{
			{"all, by key", nil, []im.Counter{{Key: "gifts", Value: 7}, {Key: "likes", Value: 3}}},
			{"some", []string{"likes", "nope"}, []im.Counter{{Key: "likes", Value: 3}}},
			{"none exist", []string{"nope"}, nil},
		} {
			got, err := s.GetCounters(t.Context(), app1, "g", tt.keys)
			ok(t, tt.name, err)
			equal(t, tt.name, got, tt.want)
		}
		got, err = s.GetCounters(t.Context(), app2, "g", nil)
		ok(t, "other app", err)
		equal(t, "other app has none", len(got), 0)

		_, err = s.UpdateCounters(t.Context(), app1, "nope", []im.CounterChange{{Key: "k", Value: 1}}, 20)
		wantErr(t, "no such group", err, im.ErrNotFound)
	})

	t.Run("Limits", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		var changes []im.CounterChange
		for i := range 3 {
			changes = append(changes, im.CounterChange{Key: fmt.Sprintf("k%d", i), Value: int64(i)})
		}
		_, err := s.UpdateCounters(t.Context(), app1, "g", changes, 3)
		ok(t, "up to the key limit", err)
		_, err = s.UpdateCounters(t.Context(), app1, "g", []im.CounterChange{{Key: "k0", Value: 9}, {Key: "k3", Value: 1}}, 3)
		wantErr(t, "a fourth key", err, im.ErrFull)
		got, err := s.GetCounters(t.Context(), app1, "g", nil)
		ok(t, "get", err)
		equal(t, "nothing written", got, []im.Counter{{Key: "k0", Value: 0}, {Key: "k1", Value: 1}, {Key: "k2", Value: 2}})

		_, err = s.UpdateCounters(t.Context(), app1, "g", []im.CounterChange{{Key: "k1", Value: math.MaxInt64}, {Key: "k2", Value: math.MinInt64}}, 3)
		ok(t, "extremes", err)
		for _, tt := range []struct {
			name string
			ch   im.CounterChange
		}{
			{"over the top", im.CounterChange{Key: "k1", Value: 1, Add: true}},
			{"under the bottom", im.CounterChange{Key: "k2", Value: -1, Add: true}},
		} {
			_, err := s.UpdateCounters(t.Context(), app1, "g", []im.CounterChange{{Key: "k0", Value: 5}, tt.ch}, 3)
			wantErr(t, tt.name, err, im.ErrOverflow)
		}
		got, err = s.GetCounters(t.Context(), app1, "g", nil)
		ok(t, "get after overflow", err)
		equal(t, "nothing written on overflow", got, []im.Counter{{Key: "k0", Value: 0}, {Key: "k1", Value: math.MaxInt64}, {Key: "k2", Value: math.MinInt64}})
		got, err = s.UpdateCounters(t.Context(), app1, "g", []im.CounterChange{{Key: "k1", Value: -1, Add: true}, {Key: "k1", Value: 1, Add: true}}, 3)
		ok(t, "back to the top", err)
		equal(t, "at the top", got, []im.Counter{{Key: "k1", Value: math.MaxInt64}})
	})

	t.Run("Delete", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic))
		mustCreate(t, s, group(app1, "h", im.GroupPublic))
		for _, id := range []string{"g", "h"} {
			_, err := s.UpdateCounters(t.Context(), app1, id, []im.CounterChange{{Key: "a", Value: 1}, {Key: "b", Value: 2}, {Key: "c", Value: 3}}, 20)
			ok(t, "seed "+id, err)
		}
		ok(t, "delete some", s.DeleteCounters(t.Context(), app1, "g", []string{"a", "nope"}))
		got, err := s.GetCounters(t.Context(), app1, "g", nil)
		ok(t, "get", err)
		equal(t, "after delete", got, []im.Counter{{Key: "b", Value: 2}, {Key: "c", Value: 3}})
		ok(t, "delete all", s.DeleteCounters(t.Context(), app1, "g", nil))
		got, err = s.GetCounters(t.Context(), app1, "g", nil)
		ok(t, "get after delete all", err)
		equal(t, "none left", len(got), 0)
		got, err = s.GetCounters(t.Context(), app1, "h", nil)
		ok(t, "other group", err)
		equal(t, "other group untouched", len(got), 3)
	})

	// Concurrent increments, on PostgreSQL from several pooled connections
	// at once, never lose one, and concurrent creations of new keys never
	// pass the key limit.
	t.Run("Concurrent", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupAVChatRoom))
		const workers, rounds = 8, 25
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for range rounds {
					_, err := s.UpdateCounters(t.Context(), app1, "g", []im.CounterChange{
						{Key: "likes", Value: 1, Add: true}, {Key: "gifts", Value: -2, Add: true},
					}, 20)
					if err != nil {
						t.Error(err)
						return
					}
				}
				// Each worker also tries to create its own three keys.
				_, _ = s.UpdateCounters(t.Context(), app1, "g", []im.CounterChange{
					{Key: fmt.Sprintf("w%d-a", w), Value: 1}, {Key: fmt.Sprintf("w%d-b", w), Value: 1}, {Key: fmt.Sprintf("w%d-c", w), Value: 1},
				}, 20)
			})
		}
		wg.Wait()
		got, err := s.GetCounters(t.Context(), app1, "g", []string{"likes", "gifts"})
		ok(t, "get", err)
		equal(t, "no increment lost", got, []im.Counter{{Key: "gifts", Value: -2 * workers * rounds}, {Key: "likes", Value: workers * rounds}})
		all, err := s.GetCounters(t.Context(), app1, "g", nil)
		ok(t, "get all", err)
		// 2 shared keys + 3 per worker whose creation fit: 2+3*6 = 20.
		equal(t, "keys within the limit", len(all), 20)
	})
}
