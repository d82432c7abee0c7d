// Package clientapi is the client side of chatd's domains: the requests a
// logged-in end user sends over the gateway (docs/client-protocol.md §4),
// each one typed handler plus one row in the op table, like the REST
// command table of package api. The gateway frames, orders and answers
// them; the domains decide.
package clientapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/conversation"
	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
	"github.com/chatd/chatd/internal/profile"
	"github.com/chatd/chatd/internal/push"
	"github.com/chatd/chatd/internal/relation"
	"github.com/chatd/chatd/internal/stream"
)

// Services are the domains client requests reach.
type Services struct {
	Messages  *message.Service
	Streams   *stream.Service
	Groups    *group.Service
	Profiles  *profile.Service
	Relations *relation.Service
	Push      *push.Service
	// Conversations serves the conversation-list ops.
	Conversations *conversation.Service
	// Apps are the hosted apps, whose settings (limits, switches) the
	// group ops apply as REST does.
	Apps []config.App
}

// enabled reports whether an add-on feature is on for the app (its
// per-app switch, config.App.Disabled).
func (s Services) enabled(appID uint64, feature string) bool {
	for i := range s.Apps {
		if s.Apps[i].SDKAppID == appID {
			return s.Apps[i].Enabled(feature)
		}
	}
	return true
}

// families are the op blocks of the domains, one per file.
var families = []func(Services) map[string]gateway.Op{
	messageOps,
	c2cOps,
	extOps,
	groupMessageOps,
	groupOps,
	userOps,
	pushOps,
	conversationOps,
}

// Ops is the whole client op table. A name served twice is a table
// mistake, caught at start-up.
func Ops(s Services) (map[string]gateway.Op, error) {
	ops := map[string]gateway.Op{}
	for _, family := range families {
		for name, op := range family(s) {
			if _, dup := ops[name]; dup {
				return nil, fmt.Errorf("clientapi: op %s registered twice", name)
			}
			ops[name] = op
		}
	}
	return ops, nil
}

// op builds a table row from a typed handler: the one place that decodes
// a request frame into its type. A field of the wrong JSON type is
// answered with badParam, the area's parameter code.
func op[Req, Resp any](badParam, internal int, fn func(ctx context.Context, s *gateway.Session, req *Req) (*Resp, error)) gateway.Op {
	return gateway.Op{Internal: internal, Handle: func(ctx context.Context, s *gateway.Session, frame json.RawMessage) (any, error) {
		var req Req
		if err := json.Unmarshal(frame, &req); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				return nil, im.Errorf(badParam, "%s has the wrong type: want %s", strings.TrimPrefix(typeErr.Field, "."), typeErr.Type)
			}
			return nil, im.Errorf(im.CodeBodyNotJSON, "frame is not a JSON object of the protocol")
		}
		resp, err := fn(ctx, s, &req)
		if err != nil || resp == nil {
			return nil, err
		}
		return resp, nil
	}}
}
