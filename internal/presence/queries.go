package presence

import (
	"context"
	"encoding/json"
	"time"

	"github.com/chatd/chatd/internal/bus"
)

// Every query waits while the other nodes' snapshots are being asked for
// (see Start), and is otherwise answered from this
// node's memory: exact for this node's connections at the moment of the
// call, and for the other nodes' as of their latest changes.

// Count is the number of distinct users online in the live room across
// the cluster: a user with devices on several nodes counts once. O(1).
func (c *Cluster) Count(appID uint64, groupID string) int {
	c.waitSync()
	n := 0
	c.rooms.read(roomKey{appID, groupID}, func(v *roomView) {
		if v != nil {
			n = len(v.users)
		}
	})
	return n
}

// Members pages through the live room's online members across the
// cluster, newest first, each user once, with the join time and join
// stamp of their earliest connection and the marks they hold on any node.
// Only the MaxListed most recently joined (visible) members are ever
// listed.
//
// mark 0 lists everyone except holders of MarkHidden; any other mark lists
// only its holders. limit is the page size (MaxListed when <= 0). cursor is
// 0 for the first page, then the previous call's next; next is 0 when
// nothing is left. The cursor is a join stamp, which orders members of
// every node and stays exact when thousands of users join within one
// second; members leaving between two calls never shift later pages.
func (c *Cluster) Members(appID uint64, groupID string, mark int, cursor int64, limit int) (members []OnlineMember, next int64) {
	c.waitSync()
	if limit <= 0 || limit > MaxListed {
		limit = MaxListed
	}
	c.rooms.read(roomKey{appID, groupID}, func(v *roomView) {
		if v != nil {
			members, next = v.list(mark, cursor, limit)
		}
	})
	return members, next
}

// MarkCounts returns how many distinct members of the live room hold each
// mark across the cluster.
func (c *Cluster) MarkCounts(appID uint64, groupID string) map[int]int {
	c.waitSync()
	out := map[int]int{}
	c.rooms.read(roomKey{appID, groupID}, func(v *roomView) {
		if v != nil {
			for mark, holders := range v.marks {
				out[mark] = len(holders)
			}
		}
	})
	return out
}

// SetMarks changes the marks of an online member wherever their
// connections are. It reports whether the member is online in the room on
// any node.
func (c *Cluster) SetMarks(appID uint64, groupID, userID string, marks []int, add bool) bool {
	c.waitSync()
	remote := false
	c.rooms.read(roomKey{appID, groupID}, func(v *roomView) {
		if v == nil {
			return
		}
		for _, e := range v.users[userID] {
			remote = remote || e.peer != c.self
		}
	})
	// A user online on another node gets the mark there; only a user online
	// nowhere may be held in the room here by MarkAlwaysOnline.
	var online bool
	if remote {
		online = c.local.SetMarksIfPresent(appID, groupID, userID, marks, add) || remote
	} else {
		online = c.local.SetMarks(appID, groupID, userID, marks, add)
	}
	data, _ := json.Marshal(marksMsg{Node: c.node, AppID: appID, GroupID: groupID, UserID: userID, Marks: marks, Add: add})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.bus.Publish(ctx, bus.MarksSubject(), data); err != nil {
		c.log.Warn("publish marks", "err", err)
	}
	return online
}

// RemotePlatforms returns the platforms userID is connected from on other
// nodes: at most one interval old, as a node tells its logins and logouts
// once per interval.
func (c *Cluster) RemotePlatforms(appID uint64, userID string) []string {
	c.waitSync()
	return c.users.platforms(userKey{appID, userID})
}
