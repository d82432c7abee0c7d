package api

import (
	"context"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/push"
)

// pushDomain is the push-to-all family (90xxx): its own codes for the
// fields of im_push, 90001 for any other malformed field.
var pushDomain = Domain{BadParam: im.CodeMsgBodyNotJSON, Internal: im.CodeMsgInternal, Fields: map[string]int{
	"MsgRandom":       im.CodeMsgRandomInvalid,
	"MsgBody":         im.CodeMsgBodyNotArray,
	"MsgBody.MsgType": im.CodePushBadElem,
	"MsgLifeTime":     im.CodeMsgLifeTimeType,
}}

// pushAPI is the Pushing to all users section of rest-users.md. Every
// answer carries ErrorDisplay, as the family's does.
type pushAPI struct{ svc *push.Service }

func (a pushAPI) commands() []Command {
	pushRow := command("v4/all_member_push/im_push", 1, pushDomain, a.push)
	// A second push within the second is the family's own code.
	pushRow.LimitCode = im.CodePushTooSoon
	return []Command{
		pushRow,
		command("v4/all_member_push/im_set_attr_name", 100, pushDomain, a.setAttrNames),
		command("v4/all_member_push/im_get_attr_name", 100, pushDomain, a.attrNames),
		command("v4/all_member_push/im_get_attr", 100, pushDomain, a.attrs),
		command("v4/all_member_push/im_set_attr", 100, pushDomain, a.setAttrs),
		command("v4/all_member_push/im_remove_attr", 100, pushDomain, a.removeAttrs),
		command("v4/all_member_push/im_get_tag", 100, pushDomain, a.tags),
		command("v4/all_member_push/im_add_tag", 100, pushDomain, a.addTags),
		command("v4/all_member_push/im_remove_tag", 100, pushDomain, a.removeTags),
		command("v4/all_member_push/im_remove_all_tags", 100, pushDomain, a.removeAllTags),
	}
}

type pushResp struct {
	errorDisplay
	TaskId string
}

func (a pushAPI) push(ctx context.Context, call *Call, req *push.Request) (*pushResp, error) {
	id, err := a.svc.Push(ctx, call.App, call.Identifier, req)
	if err != nil {
		return nil, err
	}
	return &pushResp{TaskId: id}, nil
}

type attrNamesBody struct {
	AttrNames map[string]string
}

func (a pushAPI) setAttrNames(ctx context.Context, call *Call, req *attrNamesBody) (*errorDisplay, error) {
	return displayed(a.svc.SetAttrNames(ctx, call.App, req.AttrNames))
}

type attrNamesResp struct {
	errorDisplay
	AttrNames map[string]string
}

func (a pushAPI) attrNames(ctx context.Context, call *Call, _ *struct{}) (*attrNamesResp, error) {
	names, err := a.svc.AttrNames(ctx, call.App)
	if err != nil {
		return nil, err
	}
	return &attrNamesResp{AttrNames: names}, nil
}

// usersReq names users: im_get_attr, im_get_tag, im_remove_all_tags.
type usersReq struct {
	To_Account []string
}

type userAttrs struct {
	To_Account string
	Attrs      map[string]string
}

type userAttrsResp struct {
	errorDisplay
	UserAttrs []userAttrs
}

func (a pushAPI) attrs(ctx context.Context, call *Call, req *usersReq) (*userAttrsResp, error) {
	got, err := a.svc.Attrs(ctx, call.App, req.To_Account)
	if err != nil {
		return nil, err
	}
	resp := &userAttrsResp{UserAttrs: make([]userAttrs, len(got))}
	for i, u := range got {
		resp.UserAttrs[i] = userAttrs{To_Account: u.UserID, Attrs: u.Attrs}
	}
	return resp, nil
}

type setAttrsReq struct {
	UserAttrs []userAttrs
}

func (a pushAPI) setAttrs(ctx context.Context, call *Call, req *setAttrsReq) (*errorDisplay, error) {
	items := make([]push.UserAttrs, len(req.UserAttrs))
	for i, u := range req.UserAttrs {
		items[i] = push.UserAttrs{UserID: u.To_Account, Attrs: u.Attrs}
	}
	return displayed(a.svc.SetAttrs(ctx, call.App, items))
}

func (a pushAPI) removeAttrs(ctx context.Context, call *Call, req *removeAttrsReq) (*errorDisplay, error) {
	items := make([]push.UserNames, len(req.UserAttrs))
	for i, u := range req.UserAttrs {
		items[i] = push.UserNames{UserID: u.To_Account, Names: u.Attrs}
	}
	return displayed(a.svc.RemoveAttrs(ctx, call.App, items))
}

type removeAttrsReq struct {
	UserAttrs []struct {
		To_Account string
		Attrs      []string
	}
}

type userTags struct {
	To_Account string
	Tags       []string
}

type userTagsBody struct {
	UserTags []userTags
}

type userTagsResp struct {
	errorDisplay
	userTagsBody
}

func (a pushAPI) tags(ctx context.Context, call *Call, req *usersReq) (*userTagsResp, error) {
	got, err := a.svc.Tags(ctx, call.App, req.To_Account)
	if err != nil {
		return nil, err
	}
	resp := &userTagsResp{userTagsBody: userTagsBody{UserTags: make([]userTags, len(got))}}
	for i, u := range got {
		resp.UserTags[i] = userTags{To_Account: u.UserID, Tags: u.Names}
	}
	return resp, nil
}

// tagItems are the users and tags of an im_add_tag or im_remove_tag.
func (b *userTagsBody) tagItems() []push.UserNames {
	items := make([]push.UserNames, len(b.UserTags))
	for i, u := range b.UserTags {
		items[i] = push.UserNames{UserID: u.To_Account, Names: u.Tags}
	}
	return items
}

func (a pushAPI) addTags(ctx context.Context, call *Call, req *userTagsBody) (*errorDisplay, error) {
	return displayed(a.svc.AddTags(ctx, call.App, req.tagItems()))
}

func (a pushAPI) removeTags(ctx context.Context, call *Call, req *userTagsBody) (*errorDisplay, error) {
	return displayed(a.svc.RemoveTags(ctx, call.App, req.tagItems()))
}

func (a pushAPI) removeAllTags(ctx context.Context, call *Call, req *usersReq) (*errorDisplay, error) {
	return displayed(a.svc.RemoveAllTags(ctx, call.App, req.To_Account))
}

// displayed answers a family command that returns nothing but
// ErrorDisplay.
func displayed(err error) (*errorDisplay, error) {
	if err != nil {
		return nil, err
	}
	return &errorDisplay{}, nil
}
