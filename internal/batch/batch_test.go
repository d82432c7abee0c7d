package batch

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"
)

// TestCommitterGroupsConcurrentWrites: concurrent callers each get their own
// results back, in order, and while one commit runs the others queue into
// the next one.
func TestCommitterGroupsConcurrentWrites(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var sizes []int // written by the committer goroutine only
	c := New(t.Context(), 0, func(_ context.Context, items []int) ([]int, error) {
		sizes = append(sizes, len(items))
		if len(sizes) == 1 {
			close(started)
			<-release // hold the first commit so the rest pile up
		}
		out := make([]int, len(items))
		for i, v := range items {
			out[i] = v * 10
		}
		return out, nil
	})
	var wg sync.WaitGroup
	results := make([][]int, 20)
	wg.Add(1)
	go func() {
		defer wg.Done()
		results[0], _ = c.Do(context.Background(), 0)
	}()
	<-started
	for i := 1; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], _ = c.Do(context.Background(), i, i+100)
		}()
	}
	for len(c.reqs) < 19 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if len(results[0]) != 1 || results[0][0] != 0 {
		t.Fatalf("first caller got %v, want [0]", results[0])
	}
	for i := 1; i < 20; i++ {
		if len(results[i]) != 2 || results[i][0] != i*10 || results[i][1] != (i+100)*10 {
			t.Fatalf("caller %d got %v", i, results[i])
		}
	}
	if len(sizes) != 2 || sizes[1] != 38 {
		t.Fatalf("batch sizes %v, want [1 38]", sizes)
	}
}

func TestCommitterErrorFailsTheBatch(t *testing.T) {
	boom := errors.New("boom")
	c := New(t.Context(), 0, func(context.Context, []string) ([]string, error) { return nil, boom })
	if _, err := c.One(context.Background(), "x"); !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
}

func TestCommitterStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	c := New(ctx, 0, func(_ context.Context, items []int) ([]int, error) { return items, nil })
	cancel()
	<-c.stopped
	if _, err := c.One(context.Background(), 1); !errors.Is(err, ErrStopped) {
		t.Fatalf("got %v, want ErrStopped", err)
	}
}

func TestCommitterSkipsAbandonedCallers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls := 0
	c := New(t.Context(), 0, func(_ context.Context, items []int) ([]int, error) { calls++; return items, nil })
	// The request may be refused at the door or dropped from its batch:
	// either way it is not written.
	if _, err := c.One(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if _, err := c.One(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Fatalf("commit ran %d times, want 1", calls)
	}
}

// TestCommitterBatchesOnOneP: on a single P, callers that are ready when
// the committer wakes join its batch instead of waiting for the next one,
// even when nothing holds the commit (a server given one core).
func TestCommitterBatchesOnOneP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var batches int // written by the committer goroutine only
	c := New(t.Context(), 0, func(_ context.Context, items []int) ([]int, error) {
		batches++
		return make([]int, len(items)), nil
	})
	const callers = 50
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.One(context.Background(), 1); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if batches > callers/2 {
		t.Fatalf("%d callers took %d batches, want them grouped", callers, batches)
	}
}

// TestLookupByApp: concurrent keys of two apps are read with one call per
// app, each caller gets its own key's value, a key not found its zero
// value, and a failed read fails the batch.
func TestLookupByApp(t *testing.T) {
	var calls sync.Map // app -> keys of its one call
	fail := errors.New("store down")
	l := LookupByApp(func(_ context.Context, app uint64, keys []string) (map[string]int, error) {
		if app == 3 {
			return nil, fail
		}
		if _, again := calls.LoadOrStore(app, keys); again {
			t.Errorf("app %d read twice", app)
		}
		out := map[string]int{}
		for _, k := range keys {
			if k != "ghost" {
				out[k] = int(app)*100 + len(k)
			}
		}
		return out, nil
	})
	got, err := l.Do(t.Context(), AppKey[string]{1, "a"}, AppKey[string]{2, "bb"}, AppKey[string]{1, "ghost"}, AppKey[string]{1, "a"})
	if err != nil || !slices.Equal(got, []int{101, 202, 0, 101}) {
		t.Fatalf("Do = %v, %v; want [101 202 0 101]", got, err)
	}
	if _, err := l.One(t.Context(), AppKey[string]{3, "x"}); !errors.Is(err, fail) {
		t.Fatalf("a failed read: err = %v", err)
	}
}
