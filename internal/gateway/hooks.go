package gateway

import "context"

// Hooks hear of what happens to connections, for the app's callbacks
// (State.StateChange, live-group joins, quits and drops). StateChanged
// and RoomChanged are called with the gateway's lock held: they must not
// block (queue and return).
type Hooks interface {
	// OpContext returns the context a client op of s runs in, so that
	// what the op triggers knows who asked (its platform and address).
	OpContext(ctx context.Context, s *Session) context.Context
	// StateChanged: a connection logged in, logged out or ended.
	StateChanged(ev StateEvent)
	// RoomChanged: a user's first connection on this node entered a live
	// room, or their last one left it.
	RoomChanged(ev RoomEvent)
}

// StateEvent is a change of one connection's login state.
type StateEvent struct {
	AppID    uint64
	UserID   string
	Platform string // as the client named it at login
	Remote   string // the client's address (host:port)
	Change   StateChange
	// Kicked lists the platforms of the connections a login closed to
	// respect the per-user limit.
	Kicked []string
}

// StateChange is what happened to a connection.
type StateChange int

// The state changes.
const (
	StateLogin   StateChange = iota + 1
	StateLogout              // the client logged out
	StateKicked              // an admin's kick ended the session
	StateClosed              // the connection closed or broke
	StateTimeout             // the client sent nothing for the idle timeout
)

// RoomEvent is a user entering or leaving a live room on this node.
type RoomEvent struct {
	AppID    uint64
	GroupID  string
	UserID   string
	Platform string
	Remote   string
	Entered  bool
	// Quit: the user left with quit_group; otherwise their connection
	// ended (logout, kick, close), which leaves them offline.
	Quit bool
}

// noHooks tells nobody.
type noHooks struct{}

func (noHooks) OpContext(ctx context.Context, _ *Session) context.Context { return ctx }
func (noHooks) StateChanged(StateEvent)                                   {}
func (noHooks) RoomChanged(RoomEvent)                                     {}

// stateEvent is c's state change; the caller holds g.mu.
func (c *conn) stateEvent(change StateChange) StateEvent {
	return StateEvent{AppID: c.app, UserID: c.user, Platform: c.platform, Remote: c.remote, Change: change}
}

// roomEvent is c's user entering or leaving a room; the caller holds g.mu.
func (c *conn) roomEvent(group string, entered, quit bool) RoomEvent {
	return RoomEvent{AppID: c.app, GroupID: group, UserID: c.user, Platform: c.platform, Remote: c.remote, Entered: entered, Quit: quit}
}
