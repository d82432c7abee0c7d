package gateway

import (
	"slices"

	"github.com/chatd/chatd/internal/presence"
)

// Platforms returns the distinct platforms of the user's connections on
// this node, nil when the user is not connected here.
func (g *Gateway) Platforms(appID uint64, userID string) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return platformsOf(g.users[userKey{appID, userID}])
}

// OnlineUsers lists every user connected to this node with their
// platforms, for the presence snapshots other nodes answer from.
func (g *Gateway) OnlineUsers() []presence.UserRef {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]presence.UserRef, 0, len(g.users))
	for k, ue := range g.users {
		out = append(out, presence.UserRef{AppID: k.app, UserID: k.user, Platforms: platformsOf(ue)})
	}
	return out
}

func platformsOf(ue *userEntry) []string {
	if ue == nil {
		return nil
	}
	var out []string
	for _, c := range ue.conns {
		if !slices.Contains(out, c.platform) {
			out = append(out, c.platform)
		}
	}
	return out
}
