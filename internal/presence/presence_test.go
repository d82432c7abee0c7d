package presence

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/bus"
)

const app = 1400000001

// fixedClock returns a clock stuck at a given second, so JoinTime is exact
// and many joins share one second (the case the seq cursor exists for).
func fixedClock(sec int64) func() time.Time {
	return func() time.Time { return time.Unix(sec, 0) }
}

// op is one step of a table-driven scenario.
type op struct {
	kind  string // enter, leave, remove, drop
	user  string
	conn  uint64
	want  bool     // enter/leave result
	conns []uint64 // remove/drop result (sorted)
}

func TestMembership(t *testing.T) {
	tests := []struct {
		name      string
		ops       []op
		wantCount int
		online    []string
	}{
		{
			name:      "first connection enters, second does not",
			ops:       []op{{kind: "enter", user: "a", conn: 1, want: true}, {kind: "enter", user: "a", conn: 2, want: false}},
			wantCount: 1,
			online:    []string{"a"},
		},
		{
			name: "re-entering with the same connection is a no-op",
			ops: []op{
				{kind: "enter", user: "a", conn: 1, want: true},
				{kind: "enter", user: "a", conn: 1, want: false},
				{kind: "leave", user: "a", conn: 1, want: true},
			},
			wantCount: 0,
		},
		{
			name: "user stays while one connection remains",
			ops: []op{
				{kind: "enter", user: "a", conn: 1, want: true},
				{kind: "enter", user: "a", conn: 2, want: false},
				{kind: "enter", user: "a", conn: 3, want: false},
				{kind: "leave", user: "a", conn: 1, want: false},
				{kind: "leave", user: "a", conn: 3, want: false},
			},
			wantCount: 1,
			online:    []string{"a"},
		},
		{
			name: "last connection leaves",
			ops: []op{
				{kind: "enter", user: "a", conn: 1, want: true},
				{kind: "enter", user: "a", conn: 2, want: false},
				{kind: "leave", user: "a", conn: 2, want: false},
				{kind: "leave", user: "a", conn: 1, want: true},
			},
			wantCount: 0,
		},
		{
			name: "unknown connection or user changes nothing",
			ops: []op{
				{kind: "enter", user: "a", conn: 1, want: true},
				{kind: "leave", user: "a", conn: 9, want: false},
				{kind: "leave", user: "b", conn: 1, want: false},
			},
			wantCount: 1,
			online:    []string{"a"},
		},
		{
			name: "remove returns every connection",
			ops: []op{
				{kind: "enter", user: "a", conn: 1, want: true},
				{kind: "enter", user: "a", conn: 2, want: false},
				{kind: "enter", user: "b", conn: 3, want: true},
				{kind: "remove", user: "a", conns: []uint64{1, 2}},
				{kind: "remove", user: "a", conns: nil},
				{kind: "leave", user: "a", conn: 1, want: false},
			},
			wantCount: 1,
			online:    []string{"b"},
		},
		{
			name: "drop room returns every connection",
			ops: []op{
				{kind: "enter", user: "a", conn: 1, want: true},
				{kind: "enter", user: "a", conn: 2, want: false},
				{kind: "enter", user: "b", conn: 3, want: true},
				{kind: "drop", conns: []uint64{1, 2, 3}},
				{kind: "drop", conns: nil},
			},
			wantCount: 0,
		},
		{
			name: "room is reusable after it emptied",
			ops: []op{
				{kind: "enter", user: "a", conn: 1, want: true},
				{kind: "leave", user: "a", conn: 1, want: true},
				{kind: "enter", user: "a", conn: 1, want: true},
			},
			wantCount: 1,
			online:    []string{"a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := NewTracker(fixedClock(100))
			for i, o := range tt.ops {
				switch o.kind {
				case "enter":
					if got := tr.Enter(app, "room", o.user, o.conn); got != o.want {
						t.Fatalf("op %d: Enter(%s,%d) = %v, want %v", i, o.user, o.conn, got, o.want)
					}
				case "leave":
					if got := tr.Leave(app, "room", o.user, o.conn); got != o.want {
						t.Fatalf("op %d: Leave(%s,%d) = %v, want %v", i, o.user, o.conn, got, o.want)
					}
				case "remove":
					got := tr.Remove(app, "room", o.user)
					slices.Sort(got)
					if !slices.Equal(got, o.conns) {
						t.Fatalf("op %d: Remove(%s) = %v, want %v", i, o.user, got, o.conns)
					}
				case "drop":
					got := tr.DropRoom(app, "room")
					slices.Sort(got)
					if !slices.Equal(got, o.conns) {
						t.Fatalf("op %d: DropRoom = %v, want %v", i, got, o.conns)
					}
				}
			}
			if got := tr.Count(app, "room"); got != tt.wantCount {
				t.Errorf("Count = %d, want %d", got, tt.wantCount)
			}
			for _, u := range []string{"a", "b"} {
				if got, want := tr.IsOnline(app, "room", u), slices.Contains(tt.online, u); got != want {
					t.Errorf("IsOnline(%s) = %v, want %v", u, got, want)
				}
			}
		})
	}
}

func TestRoomsAreIsolated(t *testing.T) {
	tr := NewTracker(nil)
	tr.Enter(app, "r1", "a", 1)
	tr.Enter(app, "r2", "a", 1)
	tr.Enter(app+1, "r1", "b", 2)
	if got := tr.Count(app, "r1"); got != 1 {
		t.Fatalf("Count(app, r1) = %d, want 1", got)
	}
	tr.DropRoom(app, "r1")
	if tr.Count(app, "r1") != 0 || tr.Count(app, "r2") != 1 || tr.Count(app+1, "r1") != 1 {
		t.Fatalf("DropRoom leaked into other rooms: %d %d %d",
			tr.Count(app, "r1"), tr.Count(app, "r2"), tr.Count(app+1, "r1"))
	}
}

// solo is one node's tracker with the cluster view that lists its members,
// on a bus of its own.
type solo struct {
	*Tracker
	c *Cluster
}

func newSolo(t testing.TB, now func() time.Time) solo {
	t.Helper()
	tr := NewTracker(now)
	c, err := NewCluster(tr, bus.NewLocal(), ClusterOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return solo{tr, c}
}

// Members lists through the cluster view, as the REST layer does.
func (s solo) Members(appID uint64, groupID string, mark int, cursor int64, limit int) ([]OnlineMember, int64) {
	return s.c.Members(appID, groupID, mark, cursor, limit)
}

// fill enters n users u0..u{n-1} in join order, all in the same second.
func fill(tr solo, n int) {
	for i := range n {
		tr.Enter(app, "room", fmt.Sprintf("u%d", i), uint64(i+1))
	}
}

// pageAll follows the cursor to the end and returns every listed user.
func pageAll(t *testing.T, tr solo, mark, limit int) (users []string, pages int) {
	t.Helper()
	var cursor int64
	for {
		ms, next := tr.Members(app, "room", mark, cursor, limit)
		pages++
		for _, m := range ms {
			users = append(users, m.UserID)
		}
		if next == 0 {
			return users, pages
		}
		if pages > 100 {
			t.Fatal("paging does not terminate")
		}
		cursor = next
	}
}

// newest returns the names u{n-1} down to u{n-k}.
func newest(n, k int) []string {
	var out []string
	for i := n - 1; i >= n-k && i >= 0; i-- {
		out = append(out, fmt.Sprintf("u%d", i))
	}
	return out
}

func TestMembersPaging(t *testing.T) {
	tests := []struct {
		name      string
		online    int
		limit     int
		wantUsers []string
		wantPages int
	}{
		{"empty room", 0, 250, nil, 1},
		{"fits in one page", 250, 250, newest(250, 250), 1},
		{"one over the page", 251, 250, newest(251, 251), 2},
		{"three pages in one second", 600, 250, newest(600, 600), 3},
		{"capped at MaxListed", 1200, 250, newest(1200, MaxListed), 4},
		{"cap with page size dividing it", 5000, 500, newest(5000, MaxListed), 2},
		{"zero limit means MaxListed", 1500, 0, newest(1500, MaxListed), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newSolo(t, fixedClock(1717100000))
			fill(tr, tt.online)
			users, pages := pageAll(t, tr, 0, tt.limit)
			if !slices.Equal(users, tt.wantUsers) {
				t.Errorf("listed %d users (first %v), want %d (first %v)",
					len(users), head(users), len(tt.wantUsers), head(tt.wantUsers))
			}
			if pages != tt.wantPages {
				t.Errorf("pages = %d, want %d", pages, tt.wantPages)
			}
		})
	}
}

func head(s []string) []string { return s[:min(3, len(s))] }

func TestMembersCursorStableWhileMembersLeave(t *testing.T) {
	tr := newSolo(t, fixedClock(1))
	fill(tr, 10) // u9 newest
	page1, next := tr.Members(app, "room", 0, 0, 4)
	if got := names(page1); !slices.Equal(got, []string{"u9", "u8", "u7", "u6"}) {
		t.Fatalf("page 1 = %v", got)
	}
	// Leaves on the page already seen and on the next page, and a new join:
	// none of it may repeat or skip members of the next page.
	tr.Leave(app, "room", "u8", 9)
	tr.Leave(app, "room", "u4", 5)
	tr.Enter(app, "room", "late", 99)
	page2, next := tr.Members(app, "room", 0, next, 4)
	if got := names(page2); !slices.Equal(got, []string{"u5", "u3", "u2", "u1"}) {
		t.Fatalf("page 2 = %v", got)
	}
	page3, next := tr.Members(app, "room", 0, next, 4)
	if got := names(page3); !slices.Equal(got, []string{"u0"}) || next != 0 {
		t.Fatalf("page 3 = %v next %d", got, next)
	}
}

func names(ms []OnlineMember) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.UserID)
	}
	return out
}

func TestMembersJoinTimeAndMarks(t *testing.T) {
	sec := int64(1717100000)
	tr := newSolo(t, func() time.Time { return time.Unix(sec, 0) })
	tr.Enter(app, "room", "host", 1)
	sec++
	tr.Enter(app, "room", "guest", 2)
	tr.Enter(app, "room", "guest", 3) // second device keeps the first JoinTime
	if !tr.SetMarks(app, "room", "host", []int{1001, 1002, 1001}, true) {
		t.Fatal("SetMarks on an online member failed")
	}
	if tr.SetMarks(app, "room", "nobody", []int{1001}, true) {
		t.Fatal("SetMarks on an offline member succeeded")
	}
	ms, next := tr.Members(app, "room", 0, 0, 250)
	want := []OnlineMember{
		{UserID: "guest", JoinTime: sec},
		{UserID: "host", JoinTime: sec - 1, Marks: []int{1001, 1002}},
	}
	if next != 0 || !equalMembers(ms, want) {
		t.Fatalf("Members = %+v next %d, want %+v", ms, next, want)
	}
	ms[1].Marks[0] = 7 // callers get copies
	if ms, _ := tr.Members(app, "room", 1001, 0, 250); !equalMembers(ms, want[1:]) {
		t.Fatalf("Members(mark 1001) = %+v", ms)
	}
	tr.SetMarks(app, "room", "host", []int{1001}, false)
	if ms, _ := tr.Members(app, "room", 1001, 0, 250); len(ms) != 0 {
		t.Fatalf("removed mark still listed: %+v", ms)
	}
	// Leaving clears marks: a rejoin starts bare.
	tr.Leave(app, "room", "host", 1)
	tr.Enter(app, "room", "host", 1)
	if ms, _ := tr.Members(app, "room", 1002, 0, 250); len(ms) != 0 {
		t.Fatalf("marks survived leaving: %+v", ms)
	}
}

func equalMembers(a, b []OnlineMember) bool {
	return slices.EqualFunc(a, b, func(x, y OnlineMember) bool {
		return x.UserID == y.UserID && x.JoinTime == y.JoinTime && slices.Equal(x.Marks, y.Marks)
	})
}

func TestMembersHiddenMark(t *testing.T) {
	tests := []struct {
		name  string
		mark  int
		limit int
		want  []string
	}{
		{"unfiltered hides 600", 0, 250, []string{"u5", "u3", "u2", "u0"}},
		{"600 lists only hidden", MarkHidden, 250, []string{"u4", "u1"}},
		{"600 paged", MarkHidden, 1, []string{"u4", "u1"}},
		{"ordinary mark", 1001, 250, []string{"u3", "u1"}},
		{"unused mark", 1005, 250, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newSolo(t, fixedClock(1))
			fill(tr, 6)
			tr.SetMarks(app, "room", "u1", []int{MarkHidden, 1001}, true)
			tr.SetMarks(app, "room", "u4", []int{MarkHidden}, true)
			tr.SetMarks(app, "room", "u3", []int{1001}, true)
			got, _ := pageAll(t, tr, tt.mark, tt.limit)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("listed %v, want %v", got, tt.want)
			}
			if local, _ := tr.Tracker.Members(app, "room", tt.mark, 0, 0); !slices.Equal(names(local), tt.want) {
				t.Fatalf("the tracker alone lists %v, want %v", names(local), tt.want)
			}
		})
	}
}

// TestConcurrent runs joins, leaves, bans, marks and reads on shared rooms
// at once; under -race it proves the locking, and the final counts, in the
// tracker and in the cluster view, prove no update was lost.
func TestConcurrent(t *testing.T) {
	tr := newSolo(t, nil)
	const workers, users = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			room := fmt.Sprintf("room%d", w%2)
			for i := range users {
				u := fmt.Sprintf("w%d-u%d", w, i)
				c1, c2 := uint64(w*10000+2*i+1), uint64(w*10000+2*i+2)
				tr.Enter(app, room, u, c1)
				tr.Enter(app, room, u, c2)
				tr.SetMarks(app, room, u, []int{1000 + i%3}, true)
				tr.Members(app, room, 0, 0, 250)
				tr.Members(app, room, 1000, 0, 250)
				tr.Count(app, room)
				tr.c.MarkCounts(app, room)
				switch i % 3 {
				case 0: // stays online
				case 1:
					tr.Leave(app, room, u, c1)
					tr.Leave(app, room, u, c2)
				case 2:
					tr.Remove(app, room, u)
				}
			}
		})
	}
	wg.Wait()
	stay := (users + 2) / 3 // i%3 == 0
	for r := range 2 {
		room := fmt.Sprintf("room%d", r)
		if got, want := tr.Count(app, room), workers/2*stay; got != want {
			t.Errorf("Count(%s) = %d, want %d", room, got, want)
		}
		if got, want := tr.c.Count(app, room), workers/2*stay; got != want {
			t.Errorf("cluster Count(%s) = %d, want %d", room, got, want)
		}
	}
}

// BenchmarkMemberMemory reports the heap one online member costs in a
// 50,000-member room, the size this package is built for: in the tracker
// and in the cluster view, which lists it.
func BenchmarkMemberMemory(b *testing.B) {
	const n = 50000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("user_%08d", i)
	}
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		tr := newSolo(b, nil)
		for i, id := range ids {
			tr.Enter(app, "big", id, uint64(i+1))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/member")
		runtime.KeepAlive(tr)
	}
}
