package api

import (
	"context"

	"github.com/chatd/chatd/internal/conversation"
	"github.com/chatd/chatd/internal/im"
)

// convDomain are the recentcontact commands' shared codes (S8).
var convDomain = Domain{BadParam: im.CodeConvBadParam, Internal: im.CodeConvInternal}

// conversationAPI serves the conversation list and its group and mark data
// (rest-messages.md, "Pulling a Conversation List" to "Pulling
// Conversation Group Mark Data").
type conversationAPI struct{ svc *conversation.Service }

func (a conversationAPI) commands() []Command {
	return []Command{
		command("v4/recentcontact/get_list", 200, convDomain, a.list),
		command("v4/recentcontact/delete", 200, convDomain, a.delete),
		command("v4/group_open_http_svc/set_unread_msg_num", 200, groupDomain, a.setUnread),
		command("v4/recentcontact/create_contact_group", 200, convDomain, a.createGroup),
		command("v4/recentcontact/update_contact_group", 200, convDomain, a.updateGroup),
		command("v4/recentcontact/del_contact_group", 200, convDomain, a.deleteGroup),
		command("v4/recentcontact/mark_contact", 200, convDomain, a.mark),
		command("v4/recentcontact/search_contact_group", 200, convDomain, a.search),
		command("v4/recentcontact/get_contact_group", 200, convDomain, a.contactPage),
	}
}

// display is the ErrorDisplay every recentcontact answer carries.
type display struct {
	ErrorDisplay string
}

type getListReq struct {
	From_Account  string
	TimeStamp     int64
	StartIndex    int
	TopTimeStamp  int64
	TopStartIndex int
	AssistFlags   int
}

type sessionItem struct {
	Type       int
	To_Account string `json:",omitempty"`
	GroupId    string `json:",omitempty"`
	MsgTime    int64
	TopFlag    int
}

type getListResp struct {
	display
	SessionItem   []sessionItem
	CompleteFlag  int
	TimeStamp     int64
	StartIndex    int
	TopTimeStamp  int64
	TopStartIndex int
}

// list pages From_Account's conversations: pinned first when AssistFlags
// bit 0 is set, then the others; the four cursors go back in unchanged.
func (a conversationAPI) list(ctx context.Context, call *Call, req *getListReq) (*getListResp, error) {
	if req.TimeStamp < 0 || req.StartIndex < 0 || req.TopTimeStamp < 0 || req.TopStartIndex < 0 || req.AssistFlags < 0 {
		return nil, im.Errorf(im.CodeConvBadParam, "the cursors and AssistFlags must not be negative")
	}
	app := call.App.SDKAppID
	if err := a.svc.RequireOwner(ctx, app, req.From_Account); err != nil {
		return nil, err
	}
	page, err := a.svc.List(ctx, app, conversation.ListInput{Owner: req.From_Account, AssistFlags: req.AssistFlags,
		Ordinary: im.ConvCursor{Time: req.TimeStamp, Index: req.StartIndex},
		Top:      im.ConvCursor{Time: req.TopTimeStamp, Index: req.TopStartIndex}})
	if err != nil {
		return nil, err
	}
	resp := &getListResp{SessionItem: make([]sessionItem, len(page.Items)),
		TimeStamp: page.Ordinary.Time, StartIndex: page.Ordinary.Index, TopTimeStamp: page.Top.Time, TopStartIndex: page.Top.Index}
	if page.Complete {
		resp.CompleteFlag = 1
	}
	for i, c := range page.Items {
		it := sessionItem{Type: c.Type, MsgTime: c.MsgTime}
		if c.Type == im.ConvGroup {
			it.GroupId = c.Peer
		} else {
			it.To_Account = c.Peer
		}
		if c.Pinned {
			it.TopFlag = 1
		}
		resp.SessionItem[i] = it
	}
	return resp, nil
}

type deleteConvReq struct {
	From_Account string
	Type         int
	To_Account   string
	ToGroupid    string // sic (S8)
	ClearRamble  int
}

// delete removes one conversation from From_Account's list.
func (a conversationAPI) delete(ctx context.Context, call *Call, req *deleteConvReq) (*display, error) {
	key := conversation.Key(req.Type, req.To_Account, req.ToGroupid)
	if err := conversation.CheckKey(key); err != nil {
		return nil, err
	}
	if req.ClearRamble != 0 && req.ClearRamble != 1 {
		return nil, im.Errorf(im.CodeConvBadParam, "ClearRamble %d must be 0 or 1", req.ClearRamble)
	}
	app := call.App.SDKAppID
	if err := a.svc.RequireOwner(ctx, app, req.From_Account); err != nil {
		return nil, err
	}
	if err := a.svc.Delete(ctx, app, req.From_Account, key, req.ClearRamble == 1); err != nil {
		return nil, err
	}
	return &display{}, nil
}

type setUnreadReq struct {
	GroupId        string
	Member_Account string
	UnreadMsgNum   *int64
}

// setUnread sets a member's unread count of a group.
func (a conversationAPI) setUnread(ctx context.Context, call *Call, req *setUnreadReq) (*empty, error) {
	switch {
	case req.Member_Account == "" || !im.ValidUserID(req.Member_Account):
		return nil, im.Errorf(im.CodeGroupBadParam, "Member_Account %q is not a UserID", req.Member_Account)
	case req.UnreadMsgNum == nil || *req.UnreadMsgNum < 0:
		return nil, im.Errorf(im.CodeGroupBadParam, "UnreadMsgNum is required and must not be negative")
	}
	return done(a.svc.SetGroupUnread(ctx, call.App.SDKAppID, req.GroupId, req.Member_Account, *req.UnreadMsgNum))
}

// contactItem is a conversation of the group and mark commands (S8:
// ToGroupId).
type contactItem struct {
	Type       int
	To_Account string `json:",omitempty"`
	ToGroupId  string `json:",omitempty"`
}

func (c contactItem) key() im.ConvKey { return conversation.Key(c.Type, c.To_Account, c.ToGroupId) }

func contactItemOf(k im.ConvKey) contactItem {
	i := conversation.ItemOf(k)
	return contactItem{Type: i.Type, To_Account: i.To_Account, ToGroupId: i.GroupId}
}

type contactGroupItem struct {
	GroupName string
	GroupId   int64
}

type createContactGroupReq struct {
	From_Account     string
	GroupContactItem []struct {
		GroupName   string
		ContactItem []contactItem
	}
}

type contactResult struct {
	ContactItem contactItem
	ResultCode  int
	ResultInfo  string
}

type createContactGroupResp struct {
	display
	GroupResultItem []struct {
		GroupItem  contactGroupItem
		ResultItem []contactResult
	}
}

// createGroup creates one conversation group with its conversations.
func (a conversationAPI) createGroup(ctx context.Context, call *Call, req *createContactGroupReq) (*createContactGroupResp, error) {
	if len(req.GroupContactItem) != 1 {
		return nil, im.Errorf(im.CodeConvBadParam, "GroupContactItem must hold exactly one group")
	}
	g := req.GroupContactItem[0]
	app := call.App.SDKAppID
	if err := a.svc.RequireOwner(ctx, app, req.From_Account); err != nil {
		return nil, err
	}
	keys := make([]im.ConvKey, len(g.ContactItem))
	for i, c := range g.ContactItem {
		keys[i] = c.key()
	}
	id, err := a.svc.CreateContactGroup(ctx, app, req.From_Account, g.GroupName, keys)
	if err != nil {
		return nil, err
	}
	resp := &createContactGroupResp{}
	resp.GroupResultItem = make([]struct {
		GroupItem  contactGroupItem
		ResultItem []contactResult
	}, 1)
	resp.GroupResultItem[0].GroupItem = contactGroupItem{GroupName: g.GroupName, GroupId: id}
	resp.GroupResultItem[0].ResultItem = make([]contactResult, len(keys))
	for i, k := range keys {
		resp.GroupResultItem[0].ResultItem[i] = contactResult{ContactItem: contactItemOf(k)}
	}
	return resp, nil
}

type contactUpdate struct {
	ContactOptType int
	ContactItem    contactItem
}

type updateContactGroupReq struct {
	From_Account string
	UpdateType   int
	UpdateGroup  struct {
		UpdateGroupType   int
		OldGroupName      string
		NewGroupName      string
		ContactUpdateItem []contactUpdate
	}
}

type contactUpdateResult struct {
	ContactOptType int
	ContactItem    contactItem
	ResultCode     int
	ResultInfo     string
}

type updateContactGroupResp struct {
	display
	UpdateType        int
	UpdateGroupResult struct {
		UpdateGroupType   int
		GroupName         string
		OldGroupName      string
		GroupId           int64
		ContactResultItem []contactUpdateResult
	}
}

// updateGroup renames a conversation group (type 1) or changes its
// conversations (type 2).
func (a conversationAPI) updateGroup(ctx context.Context, call *Call, req *updateContactGroupReq) (*updateContactGroupResp, error) {
	u := req.UpdateGroup
	if req.UpdateType != 1 {
		return nil, im.Errorf(im.CodeConvBadParam, "UpdateType %d must be 1", req.UpdateType)
	}
	var newName string
	var changes []im.ContactGroupChange
	switch u.UpdateGroupType {
	case 1:
		if u.NewGroupName == "" {
			return nil, im.Errorf(im.CodeConvBadParam, "NewGroupName is required to rename")
		}
		newName = u.NewGroupName
	case 2:
		for _, c := range u.ContactUpdateItem {
			if c.ContactOptType != 1 && c.ContactOptType != 2 {
				return nil, im.Errorf(im.CodeConvBadParam, "ContactOptType %d must be 1 or 2", c.ContactOptType)
			}
			changes = append(changes, im.ContactGroupChange{ConvKey: c.ContactItem.key(), Add: c.ContactOptType == 1})
		}
	default:
		return nil, im.Errorf(im.CodeConvBadParam, "UpdateGroupType %d must be 1 or 2", u.UpdateGroupType)
	}
	app := call.App.SDKAppID
	if err := a.svc.RequireOwner(ctx, app, req.From_Account); err != nil {
		return nil, err
	}
	id, err := a.svc.UpdateContactGroup(ctx, app, req.From_Account, u.OldGroupName, newName, changes)
	if err != nil {
		return nil, err
	}
	resp := &updateContactGroupResp{UpdateType: 1}
	r := &resp.UpdateGroupResult
	r.UpdateGroupType, r.OldGroupName, r.GroupName, r.GroupId = u.UpdateGroupType, u.OldGroupName, u.OldGroupName, id
	if newName != "" {
		r.GroupName = newName
	}
	r.ContactResultItem = make([]contactUpdateResult, len(u.ContactUpdateItem))
	for i, c := range u.ContactUpdateItem {
		r.ContactResultItem[i] = contactUpdateResult{ContactOptType: c.ContactOptType, ContactItem: c.ContactItem}
	}
	return resp, nil
}

type deleteContactGroupReq struct {
	From_Account string
	GroupName    []string
}

type deleteContactGroupResp struct {
	display
	GroupItem []contactGroupItem
}

// deleteGroup deletes one conversation group; its conversations stay.
func (a conversationAPI) deleteGroup(ctx context.Context, call *Call, req *deleteContactGroupReq) (*deleteContactGroupResp, error) {
	if len(req.GroupName) != 1 {
		return nil, im.Errorf(im.CodeConvBadParam, "GroupName must name exactly one group")
	}
	app := call.App.SDKAppID
	if err := a.svc.RequireOwner(ctx, app, req.From_Account); err != nil {
		return nil, err
	}
	id, err := a.svc.DeleteContactGroup(ctx, app, req.From_Account, req.GroupName[0])
	if err != nil {
		return nil, err
	}
	return &deleteContactGroupResp{GroupItem: []contactGroupItem{{GroupName: req.GroupName[0], GroupId: id}}}, nil
}

type contactMarkReq struct {
	From_Account string
	MarkItem     []struct {
		OptType     int
		ContactItem contactItem
		SetMark     []int
		ClearMark   []int
		CustomMark  *string
	}
}

type contactMarkResult struct {
	OptType     int
	ContactItem contactItem
	ResultCode  int
	ResultInfo  string
}

type contactMarkResp struct {
	display
	ResultItem []contactMarkResult
}

// mark sets standard and custom marks on up to 100 conversations.
func (a conversationAPI) mark(ctx context.Context, call *Call, req *contactMarkReq) (*contactMarkResp, error) {
	in := make([]conversation.MarkInput, len(req.MarkItem))
	resp := &contactMarkResp{ResultItem: make([]contactMarkResult, len(req.MarkItem))}
	for i, m := range req.MarkItem {
		in[i] = conversation.MarkInput{OptType: m.OptType, Key: m.ContactItem.key(), Set: m.SetMark, Clear: m.ClearMark, Custom: m.CustomMark}
		resp.ResultItem[i] = contactMarkResult{OptType: m.OptType, ContactItem: m.ContactItem}
	}
	app := call.App.SDKAppID
	if err := a.svc.RequireOwner(ctx, app, req.From_Account); err != nil {
		return nil, err
	}
	if err := a.svc.Mark(ctx, app, req.From_Account, in); err != nil {
		return nil, err
	}
	return resp, nil
}

type contactDataItem struct {
	Type           int
	To_Account     string  `json:",omitempty"`
	ToGroupId      string  `json:",omitempty"`
	StandardMark   string  `json:",omitempty"`
	CustomMark     string  `json:",omitempty"`
	ContactGroupId []int64 `json:",omitempty"`
	Timestamp      int64
}

func contactDataItems(data []im.ContactData) []contactDataItem {
	out := make([]contactDataItem, len(data))
	for i, d := range data {
		c := contactItemOf(d.ConvKey)
		out[i] = contactDataItem{Type: c.Type, To_Account: c.To_Account, ToGroupId: c.ToGroupId,
			StandardMark: conversation.StandardMarkString(d.StandardMark), CustomMark: d.CustomMark,
			ContactGroupId: d.Groups, Timestamp: d.Time}
	}
	return out
}

func contactGroupItems(groups []im.ContactGroup) []contactGroupItem {
	out := make([]contactGroupItem, len(groups))
	for i, g := range groups {
		out[i] = contactGroupItem{GroupName: g.Name, GroupId: g.ID}
	}
	return out
}

type contactSearchReq struct {
	From_Account string
	ContactItem  []contactItem
}

type contactSearchResp struct {
	display
	ContactResultItem []contactDataItem
	GroupItem         []contactGroupItem
}

// search returns the group and mark data of the listed conversations.
func (a conversationAPI) search(ctx context.Context, call *Call, req *contactSearchReq) (*contactSearchResp, error) {
	keys := make([]im.ConvKey, len(req.ContactItem))
	for i, c := range req.ContactItem {
		keys[i] = c.key()
	}
	app := call.App.SDKAppID
	if err := a.svc.RequireOwner(ctx, app, req.From_Account); err != nil {
		return nil, err
	}
	data, groups, err := a.svc.Search(ctx, app, req.From_Account, keys)
	if err != nil {
		return nil, err
	}
	return &contactSearchResp{ContactResultItem: contactDataItems(data), GroupItem: contactGroupItems(groups)}, nil
}

type contactPageReq struct {
	From_Account string
	StartIndex   int
}

type contactPageResp struct {
	display
	ContactItem    []contactDataItem
	GroupItem      []contactGroupItem
	CompleteFlag   int
	NextStartIndex int
}

// contactPage pages through all of From_Account's group and mark data.
func (a conversationAPI) contactPage(ctx context.Context, call *Call, req *contactPageReq) (*contactPageResp, error) {
	app := call.App.SDKAppID
	if err := a.svc.RequireOwner(ctx, app, req.From_Account); err != nil {
		return nil, err
	}
	data, groups, next, err := a.svc.ContactPage(ctx, app, req.From_Account, req.StartIndex)
	if err != nil {
		return nil, err
	}
	resp := &contactPageResp{ContactItem: contactDataItems(data), GroupItem: contactGroupItems(groups)}
	if next < 0 {
		resp.CompleteFlag = 1
	} else {
		resp.NextStartIndex = next
	}
	return resp, nil
}
