package api

import (
	"context"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/profile"
	"github.com/chatd/chatd/internal/relation"
)

// snsDomain is the relationship chain (30xxx): friends, friend lists and
// blocklists.
var snsDomain = Domain{BadParam: im.CodeSNSBadParam, Internal: im.CodeSNSInternal}

// friendAPI is the Friend management and Friend lists sections of
// rest-users.md.
type friendAPI struct{ svc *relation.Service }

func (a friendAPI) commands() []Command {
	return []Command{
		command("v4/sns/friend_add", 200, snsDomain, a.add),
		command("v4/sns/friend_import", 200, snsDomain, forApp(a.svc.Import)),
		command("v4/sns/friend_update", 200, snsDomain, forApp(a.svc.Update)),
		command("v4/sns/friend_delete", 200, snsDomain, forApp(a.svc.Delete)),
		command("v4/sns/friend_delete_all", 200, snsDomain, forApp(a.svc.DeleteAll)),
		command("v4/sns/friend_check", 200, snsDomain, forApp(a.svc.Check)),
		command("v4/sns/friend_get", 200, snsDomain, forApp(a.svc.Get)),
		command("v4/sns/friend_get_list", 200, snsDomain, a.getList),
		command("v4/sns/group_add", 200, snsDomain, forApp(a.svc.AddLists)),
		command("v4/sns/group_delete", 200, snsDomain, forApp(a.svc.DeleteLists)),
		command("v4/sns/group_get", 200, snsDomain, forApp(a.svc.GetLists)),
	}
}

func (a friendAPI) add(ctx context.Context, call *Call, req *relation.AddRequest) (*relation.BatchResult, error) {
	return a.svc.Add(ctx, call.App.SDKAppID, profile.Admin, req)
}

func (a friendAPI) getList(ctx context.Context, call *Call, req *relation.GetListRequest) (*relation.GetListResult, error) {
	return a.svc.GetList(ctx, call.App.SDKAppID, profile.Admin, req)
}
