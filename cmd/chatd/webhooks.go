package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/usersig"
	"github.com/chatd/chatd/internal/webhook"
)

// withCallbacks puts in front of the REST handler what the app callbacks
// need of each REST call: its origin (OptPlatform RESTAPI, the caller's
// address, the admin, the command, ForbidCallbackControl) in the request's
// context, where the domains' callbacks read it, and its count for
// Alert.RequestOverLimit. It also serves the delivery log. Calls of apps
// without a callback URL pass untouched.
func withCallbacks(next http.Handler, hooks *webhook.Sender, cfg config.Config, v webhook.Verifier, limit func(appID uint64, path string) int, nodes func() int) http.Handler {
	logs := hooks.LogHandler(cfg.Apps, v)
	active := false
	for _, app := range cfg.Apps {
		active = active || hooks.Active(app.SDKAppID)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == webhook.LogPath {
			logs.ServeHTTP(w, r)
			return
		}
		// Without callbacks a REST call costs one comparison more.
		if !active || !strings.HasPrefix(r.URL.Path, "/v4/") || r.URL.Path == gateway.Path {
			next.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		appID, _ := strconv.ParseUint(q.Get("sdkappid"), 10, 64)
		if !hooks.Active(appID) {
			next.ServeHTTP(w, r)
			return
		}
		path := strings.TrimPrefix(r.URL.Path, "/")
		hooks.CountREST(appID, path, limit(appID, path), nodes())
		o := webhook.Origin{Platform: webhook.PlatformREST, ClientIP: webhook.HostOf(r.RemoteAddr), Admin: q.Get("identifier"), Command: path}
		next.ServeHTTP(w, r.WithContext(webhook.WithOrigin(r.Context(), o)))
	})
}

// tailPoll is how long one read of the delivery log waits for news.
const tailPoll = 20 * time.Second

// runWebhooks is `chatd webhooks tail`: it prints an app's callback
// deliveries as they happen, from a running chatd's delivery log.
func runWebhooks(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "tail" {
		fmt.Fprintln(stderr, "usage: chatd webhooks tail [flags]   (chatd webhooks tail -h for flags)")
		return errors.New("webhooks: unknown or missing subcommand")
	}
	fs := flag.NewFlagSet("webhooks tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "http://127.0.0.1:8080", "chatd server base URL")
	appID := fs.Uint64("sdkappid", 0, "SDKAppID (default: the app in the data dir)")
	key := fs.String("secret-key", "", "the app's secret key, to sign the admin's UserSig (default: from the data dir)")
	admin := fs.String("admin", config.DefaultAdmin, "the app admin to read the log as")
	all := fs.Bool("all", false, "print the deliveries kept so far first, then follow")
	bodies := fs.Bool("bodies", true, "print each request's body and the answer")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if (*appID == 0 || *key == "") && loadAppDefaults != nil {
		if a, k, ok := loadAppDefaults(); ok {
			*appID = cmp.Or(*appID, a)
			*key = cmp.Or(*key, k)
		}
	}
	if *appID == 0 || *key == "" {
		return errors.New("webhooks: --sdkappid and --secret-key are required (no app found in the data dir)")
	}
	t := &tail{server: strings.TrimSuffix(*server, "/"), appID: *appID, key: *key, admin: *admin, out: stdout, bodies: *bodies}
	after := int64(-1) // first read: only learn where the log stands
	if *all {
		after = 0
	}
	for ctx.Err() == nil {
		next, err := t.read(ctx, after)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		after = next
	}
	return nil
}

// tail reads the delivery log of one app.
type tail struct {
	server, key, admin string
	appID              uint64
	out                io.Writer
	bodies             bool
	dropped            int64
}

// read fetches the deliveries after the given ID (after -1: none, only
// the position) and prints them; it returns the ID to read after next.
func (t *tail) read(ctx context.Context, after int64) (int64, error) {
	q := url.Values{}
	q.Set("sdkappid", strconv.FormatUint(t.appID, 10))
	q.Set("identifier", t.admin)
	q.Set("usersig", usersig.Generate(t.key, t.appID, t.admin, 3600, time.Now()))
	q.Set("after", strconv.FormatInt(max(after, 0), 10))
	if after >= 0 {
		q.Set("wait", strconv.Itoa(int(tailPoll/time.Second)))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.server+webhook.LogPath+"?"+q.Encode(), nil)
	if err != nil {
		return after, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return after, fmt.Errorf("webhooks: %w", err)
	}
	defer resp.Body.Close()
	var reply webhook.LogReply
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		return after, fmt.Errorf("webhooks: the server's answer (HTTP %d) is not a delivery log: %w", resp.StatusCode, err)
	}
	switch {
	case reply.ErrorCode != 0:
		return after, fmt.Errorf("webhooks: %d %s", reply.ErrorCode, reply.ErrorInfo)
	case !reply.Enabled:
		return after, fmt.Errorf("webhooks: app %d has no callback URL on %s", t.appID, t.server)
	case after < 0:
		fmt.Fprintf(t.out, "following the callbacks of app %d (Ctrl-C to stop)\n", t.appID)
		t.dropped = reply.Dropped
		return reply.Next, nil
	}
	for _, d := range reply.Deliveries {
		t.print(d)
	}
	if reply.Dropped > t.dropped {
		fmt.Fprintf(t.out, "!! %d after callbacks dropped: the queue was full\n", reply.Dropped-t.dropped)
		t.dropped = reply.Dropped
	}
	return reply.Next, nil
}

func (t *tail) print(d webhook.Delivery) {
	at := time.UnixMilli(d.Time).Format("15:04:05.000")
	status := d.Outcome
	if d.Status != 0 {
		status = fmt.Sprintf("%s HTTP %d", d.Outcome, d.Status)
	}
	attempt := ""
	if d.Attempt > 1 {
		attempt = fmt.Sprintf(" (attempt %d)", d.Attempt)
	}
	fmt.Fprintf(t.out, "%s %-6s %s -> %s in %.1f ms%s\n", at, d.Kind, d.Command, status, d.LatencyMs, attempt)
	if d.Error != "" {
		fmt.Fprintf(t.out, "    error:   %s\n", d.Error)
	}
	if t.bodies && len(d.Request) > 0 {
		fmt.Fprintf(t.out, "    request: %s\n    answer:  %s\n", d.Request, strings.TrimSpace(d.Answer))
	}
}
