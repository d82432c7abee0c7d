package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gobwas/ws"

	"github.com/chatd/chatd/internal/im"
)

// The wire protocol; docs/client-protocol.md is its specification and must
// change together with this file.

// Ops a client may send.
const (
	opLogin     = "login"
	opHeartbeat = "heartbeat"
	opJoinGroup = "join_group"
	opQuitGroup = "quit_group"
	opLogout    = "logout"
)

// Ops the server pushes (frames without "id").
const (
	opKicked       = "kicked"
	opGroupDropped = "group_dropped"
	opPush         = "push"
	opResync       = "resync"
)

// Reasons carried by kicked and group_dropped pushes.
const (
	// ReasonAdmin: the app admin kicked the user (REST kick).
	ReasonAdmin = "admin"
	// ReasonMaxConnections: the user opened more connections than allowed
	// and this, their oldest, was closed to make room.
	ReasonMaxConnections = "max_connections"
	// ReasonBanned: the user was banned from the live room.
	ReasonBanned = "banned"
	// ReasonDestroyed: the group was destroyed.
	ReasonDestroyed = "destroyed"
)

// Close status codes. Standard ones where one fits; 4001 is ours because no
// standard code means "another party ended your session".
const (
	closeLogout   = ws.StatusNormalClosure   // 1000: client logged out
	closeShutdown = ws.StatusGoingAway       // 1001: server shutting down
	closeProtocol = ws.StatusProtocolError   // 1002: RFC 6455 violated
	closePolicy   = ws.StatusPolicyViolation // 1008: login/heartbeat timeout, login refused, op before login
	closeTooBig   = ws.StatusMessageTooBig   // 1009: a message over MaxFrameBytes
	closeKicked   = ws.StatusCode(4001)      // kicked (reason in the preceding kicked push)
)

// request is every frame a client sends; fields unused by an op are ignored.
type request struct {
	ID       int64    `json:"id"`
	Op       string   `json:"op"`
	SDKAppID flexUint `json:"SDKAppID"`
	UserID   string   `json:"UserID"`
	UserSig  string   `json:"UserSig"`
	Platform string   `json:"Platform"`
	GroupID  string   `json:"GroupId"`
	// Login only: the highest protocol version the client speaks (see
	// compact.go); absent is 1.
	Protocol int `json:"Protocol"`
}

// Platforms a client may name at login, as query_online_status reports
// them (rest-users.md). A client that names none is a Web client: it
// speaks WebSocket.
var platforms = map[string]bool{"iPhone": true, "Android": true, "Web": true, "PC": true, "iPad": true, "Mac": true}

const defaultPlatform = "Web"

// reply answers one request, echoing its id and op.
type reply struct {
	ID        int64  `json:"id"`
	Op        string `json:"op"`
	ErrorCode int    `json:"ErrorCode"`
	ErrorInfo string `json:"ErrorInfo"`
	GroupID   string `json:"GroupId,omitempty"`
	// Login only: how often the client should send a heartbeat, and after
	// how long without any frame the server closes the connection.
	HeartbeatIntervalMs int64 `json:"HeartbeatIntervalMs,omitempty"`
	IdleTimeoutMs       int64 `json:"IdleTimeoutMs,omitempty"`
	// Login only: the protocol version in force on the connection.
	Protocol int `json:"Protocol,omitempty"`
}

// kickedPush tells a client why its connection is about to close.
type kickedPush struct {
	Op     string `json:"op"`
	Reason string `json:"Reason"`
}

// droppedPush tells a client it is no longer in a room.
type droppedPush struct {
	Op      string `json:"op"`
	GroupID string `json:"GroupId"`
	Reason  string `json:"Reason"`
}

// mustEncode marshals frames made of our own types, which cannot fail.
func mustEncode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("gateway: encode %T: %v", v, err))
	}
	return b
}

// pushFrame is a push as it goes on the wire: {"op":"push", ...Push}.
type pushFrame struct {
	Op string `json:"op"`
	im.Push
}

// encodePush builds a push frame once; the same bytes then go to every
// receiving connection. Encoding validates and compacts the event.
func encodePush(p im.Push) ([]byte, error) {
	if len(bytes.TrimSpace(p.Event)) == 0 {
		return nil, fmt.Errorf("gateway: empty push event")
	}
	b, err := im.EncodeJSON(pushFrame{Op: opPush, Push: p})
	if err != nil {
		return nil, fmt.Errorf("gateway: encode push: %w", err)
	}
	return b, nil
}

// flexUint accepts an unsigned integer written as a JSON number or as a
// decimal string: clients in JavaScript often carry SDKAppIDs as strings.
type flexUint uint64

// UnmarshalJSON accepts 1400000001 and "1400000001" alike.
func (f *flexUint) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		return nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return fmt.Errorf("SDKAppID: not an unsigned integer: %s", b)
	}
	*f = flexUint(v)
	return nil
}
