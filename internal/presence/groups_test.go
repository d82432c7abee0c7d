package presence

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func groupIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("@TGS#%04d", i)
	}
	return out
}

func (tc *testCluster) wantGroupCount(t *testing.T, group string, want int, when string) {
	t.Helper()
	for i, n := range tc.nodes {
		if got := n.c.GroupOnlineCount(app, group); got != want {
			t.Fatalf("%s: node %d counts %d online in %s, want %d", when, i, got, group, want)
		}
	}
}

// TestGroupOnlineCount: the gateway's calls on first attach and last
// detach give every node the distinct online members of a stored group;
// a login into 1,000 groups is one message.
func TestGroupOnlineCount(t *testing.T) {
	tc := newTestCluster(t, 3)
	a, b, c := tc.nodes[0], tc.nodes[1], tc.nodes[2]
	groups := groupIDs(1000)
	for _, n := range tc.nodes {
		n.bus.sentBytes.Store(0)
	}
	a.c.GroupMemberOnlineMany(app, "alice", groups, true)
	if got := a.c.GroupOnlineCount(app, groups[0]); got != 1 {
		t.Fatalf("on the node of the login, at once: %d online, want 1", got)
	}
	tc.settle()
	login := a.bus.sentBytes.Load()
	t.Logf("a login into %d groups sent %d bytes", len(groups), login)
	if login > int64(len(groups))*20 {
		t.Fatalf("a login into %d groups sent %d bytes, want one message of their IDs", len(groups), login)
	}
	b.c.GroupMemberOnline(app, groups[0], "alice", true) // a second device, on B
	b.c.GroupMemberOnline(app, groups[0], "bob", true)
	b.c.GroupMemberOnline(app, groups[0], "bob", true) // again: no change
	c.c.GroupMemberOnline(app, groups[1], "carol", true)
	tc.settle()
	tc.wantGroupCount(t, groups[0], 2, "alice on A and B, bob on B")
	tc.wantGroupCount(t, groups[1], 2, "alice on A, carol on C")
	tc.wantGroupCount(t, groups[999], 1, "alice on A")
	tc.wantGroupCount(t, "@TGS#none", 0, "nobody")

	// alice logs out of A: still online in group 0 through B.
	a.c.GroupMemberOnlineMany(app, "alice", groups, false)
	tc.settle()
	tc.wantGroupCount(t, groups[0], 2, "alice left A")
	tc.wantGroupCount(t, groups[1], 1, "alice left A")
	tc.wantGroupCount(t, groups[999], 0, "alice left A")

	// B dies: its members stop counting after the expiry.
	b.bus.down.Store(true)
	tc.clock.add(a.c.Expiry() + time.Second)
	tc.beat()
	a.c.expire()
	c.c.expire()
	for _, n := range []*testNode{a, c} {
		if got := n.c.GroupOnlineCount(app, groups[0]); got != 0 {
			t.Fatalf("after B died a node counts %d online in group 0, want 0", got)
		}
	}
}

// TestGroupOnlineResync: lost changes and a restarted node end in exact
// counts, through snapshots that list each user's groups once.
func TestGroupOnlineResync(t *testing.T) {
	tc := newTestCluster(t, 2)
	a, b := tc.nodes[0], tc.nodes[1]
	groups := groupIDs(2500) // more than one change's worth
	a.c.GroupMemberOnlineMany(app, "alice", groups, true)
	b.bus.lose.Store(1)
	tc.settle()
	a.c.GroupMemberOnline(app, groups[7], "dave", true)
	tc.settle() // B noticed the gap and took A's snapshot
	tc.wantGroupCount(t, groups[2499], 1, "after the resync")
	tc.wantGroupCount(t, groups[7], 2, "after the resync")

	// A restarts under its ID: its old state goes, the new one counts.
	a.bus.down.Store(true)
	tc.nodes = tc.nodes[1:]
	a2 := tc.add(t, "node0", time.Second).join()
	a2.c.GroupMemberOnline(app, groups[7], "alice", true)
	tc.settle()
	tc.wantGroupCount(t, groups[7], 1, "after the restart")
	tc.wantGroupCount(t, groups[0], 0, "after the restart")
}

// TestGroupOnlineConcurrent: many users attaching and detaching at once
// on two nodes (under -race: the locking) leave both nodes agreeing.
func TestGroupOnlineConcurrent(t *testing.T) {
	tc := newTestCluster(t, 2)
	groups := groupIDs(20)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			n := tc.nodes[w%2]
			user := fmt.Sprint("user", w/2) // each user on both nodes
			for i := range 100 {
				n.c.GroupMemberOnlineMany(app, user, groups[i%5:i%5+10], i%4 != 3)
				n.c.GroupOnlineCount(app, groups[i%20])
				if i%10 == 0 {
					n.c.flush(t.Context())
				}
			}
		})
	}
	wg.Wait()
	tc.settle()
	for _, g := range groups {
		want := tc.nodes[0].c.GroupOnlineCount(app, g)
		tc.wantGroupCount(t, g, want, "after the storm")
	}
}

// TestRemotePlatforms: a node tells the others its users' logins and
// logouts once an interval, and nothing when nobody came or went.
func TestRemotePlatforms(t *testing.T) {
	tc := newTestCluster(t, 2)
	a, b := tc.nodes[0], tc.nodes[1]
	var mu sync.Mutex
	online := []UserRef{}
	a.c.localUsers = func() []UserRef { mu.Lock(); defer mu.Unlock(); return slices.Clone(online) }
	set := func(refs ...UserRef) { mu.Lock(); online = refs; mu.Unlock() }

	set(UserRef{app, "alice", []string{"Web", "Android"}}, UserRef{app, "bob", []string{"iOS"}})
	tc.beat()
	if got := b.c.RemotePlatforms(app, "alice"); !slices.Equal(got, []string{"Android", "Web"}) {
		t.Fatalf("B sees alice on %v", got)
	}
	a.bus.sentBytes.Store(0)
	tc.clock.add(time.Second)
	tc.beat()
	if got := a.bus.sentBytes.Load(); got > 200 {
		t.Fatalf("an interval without logins sent %d bytes, want a beat", got)
	}
	set(UserRef{app, "alice", []string{"Web"}})
	tc.beat()
	if got := b.c.RemotePlatforms(app, "alice"); !slices.Equal(got, []string{"Web"}) {
		t.Fatalf("B sees alice on %v after her phone left", got)
	}
	if got := b.c.RemotePlatforms(app, "bob"); got != nil {
		t.Fatalf("B sees bob on %v after he left", got)
	}
	if got := a.c.RemotePlatforms(app, "alice"); got != nil {
		t.Fatalf("A sees its own user as remote: %v", got)
	}
}
