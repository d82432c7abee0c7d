package webhook

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// LogPath is where the delivery log is served: chatd's own extension,
// outside the vendor's v4 paths (docs/webhooks.md).
const LogPath = "/chatd/webhooks/deliveries"

// maxWait bounds how long one read of the delivery log waits for news,
// inside the HTTP server's 30 s write timeout.
const maxWait = 25 * time.Second

// Verifier checks an admin's UserSig; *usersig.Verifier satisfies it.
type Verifier interface {
	Verify(key string, sdkAppID uint64, identifier, sig string) error
}

// LogReply is the delivery log's answer: the envelope of the REST API and
// the deliveries after the one asked for.
type LogReply struct {
	ActionStatus string
	ErrorCode    int
	ErrorInfo    string
	// Enabled says the app has a callback URL.
	Enabled    bool       `json:",omitempty"`
	Deliveries []Delivery `json:",omitempty"`
	// Next is the ID to ask after next time.
	Next int64 `json:",omitempty"`
	// Dropped counts after callbacks lost to a full queue since start;
	// Queued is how many wait now.
	Dropped int64 `json:",omitempty"`
	Queued  int64 `json:",omitempty"`
}

// LogHandler serves the delivery log to an app's admins: GET or POST
// LogPath?sdkappid=&identifier=&usersig=[&after=ID][&wait=seconds]
// answers the deliveries with an ID above after, waiting up to wait
// seconds (at most 25) for one when there is none. The checks and codes
// are the REST API's: 60012/60006 for the app, 60025 without identifier
// or usersig, the UserSig codes, 60010 for a user who is not an admin.
func (s *Sender) LogHandler(apps []config.App, v Verifier) http.Handler {
	byID := map[uint64]*config.App{}
	for i := range apps {
		byID[apps[i].SDKAppID] = &apps[i]
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply := s.serveLog(r, byID, v)
		if reply.ErrorCode != 0 {
			reply.ActionStatus = "FAIL"
		} else {
			reply.ActionStatus = "OK"
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(reply)
	})
}

func (s *Sender) serveLog(r *http.Request, apps map[uint64]*config.App, v Verifier) LogReply {
	q := r.URL.Query()
	fail := func(e *im.Error) LogReply { return LogReply{ErrorCode: e.Code, ErrorInfo: e.Info} }
	raw := q.Get("sdkappid")
	if raw == "" {
		return fail(&im.Error{Code: im.CodeMissingSDKAppID, Info: "sdkappid is missing from the URL"})
	}
	appID, err := strconv.ParseUint(raw, 10, 64)
	app := apps[appID]
	if err != nil || app == nil {
		return fail(im.Errorf(im.CodeBadSDKAppID, "sdkappid %q is not an app of this server", raw))
	}
	identifier, sig := q.Get("identifier"), q.Get("usersig")
	if identifier == "" || sig == "" {
		return fail(&im.Error{Code: im.CodeBadURLParam, Info: "identifier and usersig are required in the URL"})
	}
	if err := v.Verify(app.SecretKey, appID, identifier, sig); err != nil {
		return fail(im.AsError(err, im.CodeSigInvalid))
	}
	if !app.IsAdmin(identifier) {
		return fail(im.Errorf(im.CodeNeedAdmin, "%s is not an app admin", identifier))
	}
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	wait, _ := strconv.Atoi(q.Get("wait"))
	ctx, cancel := context.WithTimeout(r.Context(), min(time.Duration(max(wait, 0))*time.Second, maxWait))
	defer cancel()
	a := s.apps[appID]
	if a == nil {
		return LogReply{}
	}
	got, dropped := s.Deliveries(ctx, appID, after)
	reply := LogReply{Enabled: true, Deliveries: got, Next: after, Dropped: dropped, Queued: a.queued.Load()}
	if len(got) > 0 {
		reply.Next = got[len(got)-1].ID
	}
	return reply
}
