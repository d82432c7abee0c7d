package api

import (
	"context"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

// attrCommands are the Group custom attributes section of rest-groups.md.
// Note the read's own service prefix.
func (a groupAPI) attrCommands() []Command {
	return []Command{
		command("v4/group_open_attr_http_svc/get_group_attr", 200, groupDomain, a.attrs),
		command("v4/group_open_http_svc/modify_group_attr", 200, groupDomain, a.writeAttrs(group.AttrModify)),
		command("v4/group_open_http_svc/clear_group_attr", 200, groupDomain, a.writeAttrs(group.AttrClear)),
		command("v4/group_open_http_svc/set_group_attr", 200, groupDomain, a.writeAttrs(group.AttrSet)),
		command("v4/group_open_http_svc/delete_group_attr", 200, groupDomain, a.writeAttrs(group.AttrDelete)),
	}
}

type attrsResp struct {
	GroupAttrAry []im.Attr
}

func (a groupAPI) attrs(ctx context.Context, call *Call, req *groupIDReq) (*attrsResp, error) {
	attrs, err := a.svc.Attrs(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId)
	if err != nil {
		return nil, err
	}
	return &attrsResp{GroupAttrAry: nonNil(attrs)}, nil
}

// attrWriteReq is every attribute write; clear_group_attr sends no
// GroupAttr, delete_group_attr only keys.
type attrWriteReq struct {
	GroupId   string
	GroupAttr []im.Attr
}

func (a groupAPI) writeAttrs(op group.AttrOp) func(ctx context.Context, call *Call, req *attrWriteReq) (*empty, error) {
	return func(ctx context.Context, call *Call, req *attrWriteReq) (*empty, error) {
		if err := a.svc.WriteAttrs(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId, op, req.GroupAttr, call.Now); err != nil {
			return nil, err
		}
		return &empty{}, nil
	}
}
