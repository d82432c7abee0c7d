package api

import (
	"context"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/profile"
)

// profileDomain is the profile area (40xxx), which also answers the
// global mute commands (docs/compatibility.md, Global mute).
var profileDomain = Domain{BadParam: im.CodeProfileBadParam, Internal: im.CodeProfileInternal}

// profileAPI is the User information (profiles) section of rest-users.md.
type profileAPI struct{ svc *profile.Service }

func (a profileAPI) commands() []Command {
	return []Command{
		command("v4/profile/portrait_set", 200, profileDomain, a.set),
		command("v4/profile/portrait_get", 200, profileDomain, a.get),
	}
}

// errorDisplay is the answer of profile and relationship commands that
// return nothing else.
type errorDisplay struct {
	ErrorDisplay string
}

func (a profileAPI) set(ctx context.Context, call *Call, req *profile.SetRequest) (*errorDisplay, error) {
	if err := a.svc.Set(ctx, call.App.SDKAppID, profile.Admin, req); err != nil {
		return nil, err
	}
	return &errorDisplay{}, nil
}

func (a profileAPI) get(ctx context.Context, call *Call, req *profile.GetRequest) (*profile.GetResult, error) {
	return a.svc.Get(ctx, call.App.SDKAppID, profile.Admin, req)
}

// forApp makes a handler of a service method that needs nothing of the
// call but its app.
func forApp[Req, Resp any](fn func(ctx context.Context, appID uint64, req *Req) (*Resp, error)) func(context.Context, *Call, *Req) (*Resp, error) {
	return func(ctx context.Context, call *Call, req *Req) (*Resp, error) { return fn(ctx, call.App.SDKAppID, req) }
}
