package webhook

import (
	"context"
	"sync"
	"time"

	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/im"
)

// How long a live-room member who dropped off is remembered, so that their
// return is reported as Online rather than as a new join, and how many
// such members are remembered at most.
const (
	offlineMemory = 24 * time.Hour
	maxOffline    = 100000
)

// Connections are the gateway's callbacks (gateway.Hooks): State.StateChange
// and, for live groups, joins, quits and Group.CallbackOnMemberStateChange.
type Connections struct {
	s *Sender
	// offline remembers the live-room members who dropped off without
	// quitting, with when.
	mu      sync.Mutex
	offline map[roomMember]time.Time
}

type roomMember struct {
	app   uint64
	group string
	user  string
}

// Connections returns the gateway's callbacks.
func (s *Sender) Connections() *Connections {
	return &Connections{s: s, offline: map[roomMember]time.Time{}}
}

var _ gateway.Hooks = (*Connections)(nil)

// OpContext gives a client op the origin its callbacks report: the
// client's platform and address.
func (h *Connections) OpContext(ctx context.Context, s *gateway.Session) context.Context {
	return WithOrigin(ctx, Origin{Platform: ClientPlatform(s.Platform), ClientIP: HostOf(s.Remote)})
}

type stateInfo struct {
	Action     string
	To_Account string
	Reason     string
}

type kickedDevice struct{ Platform string }

type stateBody struct {
	CallbackCommand string
	EventTime       int64
	Info            stateInfo
	KickedDevice    []kickedDevice `json:",omitempty"`
}

// stateInfos are the Action and Reason of each change.
var stateInfos = map[gateway.StateChange]stateInfo{
	gateway.StateLogin:   {Action: "Login", Reason: "Register"},
	gateway.StateLogout:  {Action: "Logout", Reason: "Unregister"},
	gateway.StateKicked:  {Action: "Logout", Reason: "Unregister"},
	gateway.StateClosed:  {Action: "Disconnect", Reason: "LinkClose"},
	gateway.StateTimeout: {Action: "Disconnect", Reason: "TimeOut"},
}

// StateChanged queues State.StateChange.
func (h *Connections) StateChanged(ev gateway.StateEvent) {
	if h.s.on(ev.AppID, StateChange) == nil {
		return // every login and logout comes here: build nothing for nobody
	}
	info := stateInfos[ev.Change]
	info.To_Account = ev.UserID
	body := &stateBody{CallbackCommand: StateChange, EventTime: h.s.eventTime(), Info: info}
	for _, p := range ev.Kicked {
		body.KickedDevice = append(body.KickedDevice, kickedDevice{ClientPlatform(p)})
	}
	ctx := WithOrigin(context.Background(), Origin{Platform: ClientPlatform(ev.Platform), ClientIP: HostOf(ev.Remote)})
	h.s.after(ctx, ev.AppID, StateChange, "state "+ev.UserID, job{value: body})
}

type memberStateBody struct {
	CallbackCommand string
	GroupId         string
	Type            string
	EventType       string
	MemberList      []member
}

// RoomChanged reports a live-room member: a first entry is a join
// (Apply), a quit an exit, a connection that ended Offline, and the
// return of a member who dropped off Online.
func (h *Connections) RoomChanged(ev gateway.RoomEvent) {
	ctx := WithOrigin(context.Background(), Origin{Platform: ClientPlatform(ev.Platform), ClientIP: HostOf(ev.Remote)})
	g := &im.Group{AppID: ev.AppID, ID: ev.GroupID, Type: im.GroupAVChatRoom}
	k := roomMember{ev.AppID, ev.GroupID, ev.UserID}
	now := h.s.now()
	h.mu.Lock()
	at, returning := h.offline[k]
	returning = returning && now.Sub(at) <= offlineMemory
	delete(h.offline, k)
	dropped := !ev.Entered && !ev.Quit
	if dropped {
		h.remember(k, now)
	}
	h.mu.Unlock()
	groups := h.s.Groups()
	switch {
	case ev.Entered && returning:
		h.memberState(ctx, g, "Online", ev.UserID)
	case ev.Entered:
		groups.AfterJoin(ctx, g, ev.UserID, []string{ev.UserID}, false)
	case dropped:
		h.memberState(ctx, g, "Offline", ev.UserID)
	default:
		groups.AfterLeave(ctx, g, ev.UserID, []string{ev.UserID}, false)
	}
}

// remember notes a member who dropped off; h.mu is held.
func (h *Connections) remember(k roomMember, now time.Time) {
	if len(h.offline) >= maxOffline {
		for m, at := range h.offline {
			if now.Sub(at) > offlineMemory {
				delete(h.offline, m)
			}
		}
		if len(h.offline) >= maxOffline {
			return // a return is then reported as a join
		}
	}
	h.offline[k] = now
}

func (h *Connections) memberState(ctx context.Context, g *im.Group, event, userID string) {
	h.s.after(ctx, g.AppID, GroupOnMemberStateChange, groupKey(g), job{value: &memberStateBody{CallbackCommand: GroupOnMemberStateChange,
		GroupId: g.ID, Type: string(g.Type), EventType: event, MemberList: members([]string{userID})}})
}
