package api

import (
	"context"

	"github.com/chatd/chatd/internal/bot"
	"github.com/chatd/chatd/internal/im"
)

// robotDomain is the chatbot service's: 10008 for an invalid request,
// 10002 for an internal error. Robot_Account holds a UserID.
var robotDomain = Domain{BadParam: im.CodeRobotInvalid, Internal: im.CodeRobotInternal,
	Fields: map[string]int{"Robot_Account": im.CodeAccountNotStr}}

// robotAPI is the Chatbots section of rest-users.md.
type robotAPI struct{ svc *bot.Service }

func (a robotAPI) commands() []Command {
	return []Command{
		command("v4/openim_robot_http_svc/get_all_robots", 200, robotDomain, a.list),
		command("v4/openim_robot_http_svc/create_robot", 200, robotDomain, a.create),
		command("v4/openim_robot_http_svc/delete_robot", 200, robotDomain, a.delete),
	}
}

type robotsResp struct {
	Robot_Account []string
}

func (a robotAPI) list(ctx context.Context, call *Call, _ *struct{}) (*robotsResp, error) {
	ids, err := a.svc.List(ctx, call.App.SDKAppID)
	if err != nil {
		return nil, err
	}
	return &robotsResp{Robot_Account: ids}, nil
}

type createRobotReq struct {
	UserID        string
	Nick          *string
	FaceUrl       *string
	SelfSignature *string
}

func (a robotAPI) create(ctx context.Context, call *Call, req *createRobotReq) (*empty, error) {
	return done(a.svc.Create(ctx, call.App, bot.Robot{UserID: req.UserID, Nick: req.Nick, FaceURL: req.FaceUrl,
		SelfSignature: req.SelfSignature}, call.Now))
}

type deleteRobotReq struct {
	Robot_Account string
}

func (a robotAPI) delete(ctx context.Context, call *Call, req *deleteRobotReq) (*empty, error) {
	return done(a.svc.Delete(ctx, call.App.SDKAppID, req.Robot_Account))
}
