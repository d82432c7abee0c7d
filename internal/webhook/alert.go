package webhook

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Alert.RequestOverLimit (webhooks.md): sent while one REST API's call
// rate is above 80% of its limit. The spec leaves the window and the
// repetition open: chatd measures whole seconds and alarms at most once
// per alertEvery for each API.
const (
	alertShare = 0.8
	alertEvery = time.Minute
)

// meter counts REST calls per app and API.
type meter struct {
	s    *Sender
	apis sync.Map // meterKey -> *rate
}

type meterKey struct {
	app  uint64
	path string
}

// rate is one API's calls in the current second on this node.
type rate struct {
	mu        sync.Mutex
	second    int64
	calls     int
	lastAlert time.Time
}

func newMeter(s *Sender) *meter { return &meter{s: s} }

// alertBody is Alert.RequestOverLimit's body.
type alertBody struct {
	CallbackCommand string
	ServiceName     string
	Command         string
	Request         int
	Limit           int
}

// CountREST records one call of the REST API at path ("v4/<service>/
// <command>") for the app. limit is the API's per-second limit for the
// whole cluster (0: none) and nodes the live nodes sharing it: this node
// compares its own calls with its share, and reports its rate times nodes,
// the cluster's rate behind a balancer that spreads calls evenly. Every
// call counts, those refused by the limit included ("Request may be above
// Limit").
func (s *Sender) CountREST(appID uint64, path string, limit, nodes int) {
	if limit <= 0 || s.apps[appID] == nil {
		return
	}
	nodes = max(nodes, 1)
	k := meterKey{appID, path}
	v, ok := s.alert.apis.Load(k)
	if !ok {
		v, _ = s.alert.apis.LoadOrStore(k, &rate{})
	}
	r := v.(*rate)
	now := s.now()
	sec := now.Unix()
	r.mu.Lock()
	if r.second == sec {
		r.calls++
		r.mu.Unlock()
		return
	}
	// A new second: judge the one before, if it was the last one.
	prev, prevSec := r.calls, r.second
	r.second, r.calls = sec, 1
	fire := prevSec == sec-1 && float64(prev) > alertShare*float64(limit)/float64(nodes) && now.Sub(r.lastAlert) >= alertEvery
	if fire {
		r.lastAlert = now
	}
	r.mu.Unlock()
	if !fire {
		return
	}
	service, command := splitPath(path)
	ctx := WithOrigin(context.Background(), Origin{Platform: PlatformREST})
	s.after(ctx, appID, AlertRequestOverLimit, "alert "+path, job{value: &alertBody{CallbackCommand: AlertRequestOverLimit,
		ServiceName: service, Command: command, Request: prev * nodes, Limit: limit}})
}

// splitPath splits "v4/<service>/<command>".
func splitPath(path string) (service, command string) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) == 3 {
		return parts[1], parts[2]
	}
	return "", path
}
