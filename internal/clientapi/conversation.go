package clientapi

import (
	"context"

	"github.com/chatd/chatd/internal/conversation"
	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/im"
)

// conversationOps are the user's own conversation list: paging it, pins,
// reads, deletions, conversation groups and marks. Each change reaches
// the user's other devices as a ConversationChanged event.
func conversationOps(s Services) map[string]gateway.Op {
	c := convClient(s)
	bad, internal := im.CodeConvBadParam, im.CodeConvInternal
	return map[string]gateway.Op{
		"get_conversations":         op(bad, internal, c.list),
		"pin_conversation":          op(bad, internal, c.pin),
		"read_conversation":         op(bad, internal, c.read),
		"delete_conversation":       op(bad, internal, c.delete),
		"create_conversation_group": op(bad, internal, c.createGroup),
		"update_conversation_group": op(bad, internal, c.updateGroup),
		"delete_conversation_group": op(bad, internal, c.deleteGroup),
		"mark_conversations":        op(bad, internal, c.mark),
		"get_conversation_groups":   op(bad, internal, c.groups),
	}
}

type convClient Services

type listConvReq struct {
	TimeStamp     int64 `json:"TimeStamp"`
	StartIndex    int   `json:"StartIndex"`
	TopTimeStamp  int64 `json:"TopTimeStamp"`
	TopStartIndex int   `json:"TopStartIndex"`
	// AssistFlags as get_list's; absent means 1 (pinned first).
	AssistFlags *int `json:"AssistFlags"`
}

type convItem struct {
	conversation.Item
	MsgTime      int64  `json:"MsgTime"`
	TopFlag      int    `json:"TopFlag"`
	UnreadMsgNum int64  `json:"UnreadMsgNum"`
	LastMsgKey   string `json:"LastMsgKey,omitempty"`
	LastFrom     string `json:"LastFrom_Account,omitempty"`
	LastMsgSeq   int64  `json:"LastMsgSeq,omitempty"`
}

type listConvResp struct {
	Conversations []convItem `json:"Conversations"`
	CompleteFlag  int        `json:"CompleteFlag"`
	TimeStamp     int64      `json:"TimeStamp"`
	StartIndex    int        `json:"StartIndex"`
	TopTimeStamp  int64      `json:"TopTimeStamp"`
	TopStartIndex int        `json:"TopStartIndex"`
}

// list pages the user's conversations as recentcontact/get_list does,
// with each one's unread count and last message.
func (c convClient) list(ctx context.Context, s *gateway.Session, req *listConvReq) (*listConvResp, error) {
	flags := conversation.FlagPins
	if req.AssistFlags != nil {
		flags = *req.AssistFlags
	}
	if req.TimeStamp < 0 || req.StartIndex < 0 || req.TopTimeStamp < 0 || req.TopStartIndex < 0 || flags < 0 {
		return nil, im.Errorf(im.CodeConvBadParam, "the cursors and AssistFlags must not be negative")
	}
	page, err := c.Conversations.List(ctx, s.AppID, conversation.ListInput{Owner: s.UserID, AssistFlags: flags,
		Ordinary: im.ConvCursor{Time: req.TimeStamp, Index: req.StartIndex},
		Top:      im.ConvCursor{Time: req.TopTimeStamp, Index: req.TopStartIndex}})
	if err != nil {
		return nil, err
	}
	resp := &listConvResp{Conversations: make([]convItem, len(page.Items)), TimeStamp: page.Ordinary.Time,
		StartIndex: page.Ordinary.Index, TopTimeStamp: page.Top.Time, TopStartIndex: page.Top.Index}
	if page.Complete {
		resp.CompleteFlag = 1
	}
	for i, it := range page.Items {
		resp.Conversations[i] = convItem{Item: conversation.ItemOf(it.ConvKey), MsgTime: it.MsgTime, UnreadMsgNum: it.Unread,
			LastMsgKey: it.LastMsgKey, LastFrom: it.LastFrom, LastMsgSeq: it.LastSeq}
		if it.Pinned {
			resp.Conversations[i].TopFlag = 1
		}
	}
	return resp, nil
}

type pinReq struct {
	conversation.Item
	TopFlag int `json:"TopFlag"`
}

// pin pins (TopFlag 1) or unpins (0) a conversation.
func (c convClient) pin(ctx context.Context, s *gateway.Session, req *pinReq) (*noFields, error) {
	if req.TopFlag != 0 && req.TopFlag != 1 {
		return nil, im.Errorf(im.CodeConvBadParam, "TopFlag %d must be 0 or 1", req.TopFlag)
	}
	return &noFields{}, c.Conversations.Pin(ctx, s.AppID, s.UserID, req.Key(), req.TopFlag == 1)
}

type readConvReq struct {
	conversation.Item
	// All 1 reads every conversation; Type and the peer are then unused.
	All int `json:"All"`
}

// read marks one conversation, or all, read.
func (c convClient) read(ctx context.Context, s *gateway.Session, req *readConvReq) (*noFields, error) {
	if req.All == 1 {
		return &noFields{}, c.Conversations.ReadAll(ctx, s.AppID, s.UserID)
	}
	return &noFields{}, c.Conversations.Read(ctx, s.AppID, s.UserID, req.Key())
}

type deleteConvReq struct {
	conversation.Item
	ClearRamble int `json:"ClearRamble"`
}

// delete removes a conversation from the list, as recentcontact/delete.
func (c convClient) delete(ctx context.Context, s *gateway.Session, req *deleteConvReq) (*noFields, error) {
	return &noFields{}, c.Conversations.Delete(ctx, s.AppID, s.UserID, req.Key(), req.ClearRamble == 1)
}

type convGroupReq struct {
	GroupName     string              `json:"GroupName"`
	NewGroupName  string              `json:"NewGroupName"`
	Conversations []conversation.Item `json:"Conversations"`
	Remove        []conversation.Item `json:"RemoveConversations"`
}

// convGroupResp names the conversation group: ContactGroupId, as
// GroupId names a group in every frame.
type convGroupResp struct {
	ContactGroupId int64 `json:"ContactGroupId"`
}

func keysOf(refs []conversation.Item) []im.ConvKey {
	out := make([]im.ConvKey, len(refs))
	for i, r := range refs {
		out[i] = r.Key()
	}
	return out
}

// createGroup creates a conversation group holding Conversations.
func (c convClient) createGroup(ctx context.Context, s *gateway.Session, req *convGroupReq) (*convGroupResp, error) {
	id, err := c.Conversations.CreateContactGroup(ctx, s.AppID, s.UserID, req.GroupName, keysOf(req.Conversations))
	if err != nil {
		return nil, err
	}
	return &convGroupResp{ContactGroupId: id}, nil
}

// updateGroup renames a group (NewGroupName), adds Conversations and
// removes RemoveConversations.
func (c convClient) updateGroup(ctx context.Context, s *gateway.Session, req *convGroupReq) (*convGroupResp, error) {
	var changes []im.ContactGroupChange
	for _, k := range keysOf(req.Conversations) {
		changes = append(changes, im.ContactGroupChange{ConvKey: k, Add: true})
	}
	for _, k := range keysOf(req.Remove) {
		changes = append(changes, im.ContactGroupChange{ConvKey: k})
	}
	id, err := c.Conversations.UpdateContactGroup(ctx, s.AppID, s.UserID, req.GroupName, req.NewGroupName, changes)
	if err != nil {
		return nil, err
	}
	return &convGroupResp{ContactGroupId: id}, nil
}

// deleteGroup deletes a conversation group.
func (c convClient) deleteGroup(ctx context.Context, s *gateway.Session, req *convGroupReq) (*convGroupResp, error) {
	id, err := c.Conversations.DeleteContactGroup(ctx, s.AppID, s.UserID, req.GroupName)
	if err != nil {
		return nil, err
	}
	return &convGroupResp{ContactGroupId: id}, nil
}

type markConvReq struct {
	MarkItem []struct {
		OptType      int               `json:"OptType"`
		Conversation conversation.Item `json:"Conversation"`
		SetMark      []int             `json:"SetMark"`
		ClearMark    []int             `json:"ClearMark"`
		CustomMark   *string           `json:"CustomMark"`
	} `json:"MarkItem"`
}

// mark sets marks on up to 100 conversations, as mark_contact.
func (c convClient) mark(ctx context.Context, s *gateway.Session, req *markConvReq) (*noFields, error) {
	in := make([]conversation.MarkInput, len(req.MarkItem))
	for i, m := range req.MarkItem {
		in[i] = conversation.MarkInput{OptType: m.OptType, Key: m.Conversation.Key(), Set: m.SetMark, Clear: m.ClearMark, Custom: m.CustomMark}
	}
	return &noFields{}, c.Conversations.Mark(ctx, s.AppID, s.UserID, in)
}

type convGroupsReq struct {
	StartIndex int `json:"StartIndex"`
}

type convDataItem struct {
	conversation.Item
	StandardMark   string  `json:"StandardMark"`
	CustomMark     string  `json:"CustomMark,omitempty"`
	ContactGroupId []int64 `json:"ContactGroupId,omitempty"`
	Timestamp      int64   `json:"Timestamp"`
}

type convGroupsResp struct {
	Conversations  []convDataItem `json:"Conversations"`
	Groups         []convGroup    `json:"Groups"`
	CompleteFlag   int            `json:"CompleteFlag"`
	NextStartIndex int            `json:"NextStartIndex"`
}

type convGroup struct {
	GroupName string `json:"GroupName"`
	GroupId   int64  `json:"GroupId"`
}

// groups pages the user's conversation groups and marks, as
// get_contact_group.
func (c convClient) groups(ctx context.Context, s *gateway.Session, req *convGroupsReq) (*convGroupsResp, error) {
	data, groups, next, err := c.Conversations.ContactPage(ctx, s.AppID, s.UserID, req.StartIndex)
	if err != nil {
		return nil, err
	}
	resp := &convGroupsResp{Conversations: make([]convDataItem, len(data)), Groups: make([]convGroup, len(groups))}
	for i, d := range data {
		resp.Conversations[i] = convDataItem{Item: conversation.ItemOf(d.ConvKey), StandardMark: conversation.StandardMarkString(d.StandardMark),
			CustomMark: d.CustomMark, ContactGroupId: d.Groups, Timestamp: d.Time}
	}
	for i, g := range groups {
		resp.Groups[i] = convGroup{GroupName: g.Name, GroupId: g.ID}
	}
	if next < 0 {
		resp.CompleteFlag = 1
	} else {
		resp.NextStartIndex = next
	}
	return resp, nil
}
