package presence

import (
	"testing"
	"time"
)

// TestMarkAlwaysOnline: mark 500 holds a member online without
// connections for at most three days.
func TestMarkAlwaysOnline(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1700000000, 0)}
	tr := newSolo(t, clock.now)
	count := func() int { return tr.Count(1, "room") }

	// Set on a user who is not connected: they enter the room.
	if !tr.SetMarks(1, "room", "host", []int{MarkAlwaysOnline}, true) {
		t.Fatal("mark 500 on an offline user was refused")
	}
	if count() != 1 || !tr.IsOnline(1, "room", "host") {
		t.Fatalf("pinned user not online: count %d", count())
	}
	if page, _ := tr.Members(1, "room", MarkAlwaysOnline, 0, 10); len(page) != 1 {
		t.Fatalf("mark 500 lists %v", page)
	}
	// Other marks still need the user online, or pinned.
	if tr.SetMarks(1, "room", "guest", []int{1001}, true) {
		t.Fatal("an ordinary mark was set on an offline user")
	}
	if !tr.SetMarks(1, "room", "host", []int{1001}, true) {
		t.Fatal("an ordinary mark on a pinned user was refused")
	}
	// Connections come and go: the pinned user stays, marks and all.
	tr.Enter(1, "room", "host", 7)
	tr.Leave(1, "room", "host", 7)
	if count() != 1 {
		t.Fatalf("a disconnect dropped the pinned user: count %d", count())
	}
	if page, _ := tr.Members(1, "room", 1001, 0, 10); len(page) != 1 {
		t.Fatalf("a disconnect cleared the marks of a pinned user: %v", page)
	}
	// Removing mark 500 from a user without connections takes them out.
	tr.SetMarks(1, "room", "host", []int{MarkAlwaysOnline}, false)
	if count() != 0 {
		t.Fatalf("unpinned offline user still counted: %d", count())
	}

	// A pinned connected user whose mark is removed stays while connected.
	tr.Enter(1, "room", "viewer", 8)
	tr.SetMarks(1, "room", "viewer", []int{MarkAlwaysOnline}, true)
	tr.SetMarks(1, "room", "viewer", []int{MarkAlwaysOnline}, false)
	if count() != 1 {
		t.Fatalf("count %d, want the connected viewer", count())
	}
	if !tr.Leave(1, "room", "viewer", 8) || count() != 0 {
		t.Fatalf("viewer did not leave with the last connection: count %d", count())
	}

	// The pin runs out after three days; Sweep takes the user out.
	tr.SetMarks(1, "room", "host", []int{MarkAlwaysOnline}, true)
	clock.add(MaxAlwaysOnline - time.Second)
	if tr.Sweep() != 0 || count() != 1 {
		t.Fatal("the pin ran out early")
	}
	clock.add(2 * time.Second)
	if n := tr.Sweep(); n != 1 || count() != 0 {
		t.Fatalf("sweep removed %d, count %d", n, count())
	}

	// Forwarded marks never create members.
	if tr.SetMarksIfPresent(1, "room", "host", []int{MarkAlwaysOnline}, true) || count() != 0 {
		t.Fatal("SetMarksIfPresent put an absent user in the room")
	}
}
