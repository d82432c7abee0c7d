package api

import (
	"context"

	"github.com/chatd/chatd/internal/profile"
)

// noSpeakingAPI is the Global mute management section of rest-users.md.
type noSpeakingAPI struct{ svc *profile.Service }

func (a noSpeakingAPI) commands() []Command {
	return []Command{
		command("v4/openconfigsvr/setnospeaking", 200, profileDomain, a.set),
		command("v4/openconfigsvr/getnospeaking", 200, profileDomain, a.get),
	}
}

func (a noSpeakingAPI) set(ctx context.Context, call *Call, req *profile.SetMuteRequest) (*empty, error) {
	if err := a.svc.SetMute(ctx, call.App.SDKAppID, req); err != nil {
		return nil, err
	}
	return &empty{}, nil
}

type getNoSpeakingReq struct {
	Get_Account string
}

func (a noSpeakingAPI) get(ctx context.Context, call *Call, req *getNoSpeakingReq) (*profile.MuteState, error) {
	return a.svc.Mute(ctx, call.App.SDKAppID, req.Get_Account)
}
