package client

import "context"

// Conversation types.
const (
	ConvC2C   = 1
	ConvGroup = 2
)

// TypeConversationChanged is the event, in the user's stream, of a change
// to the user's conversations made on another device or by the app's
// backend: a pin, a read, a deletion, a conversation group or mark change.
// A new message changes a conversation too, but has its own event (the
// message): the client moves the conversation up and, for a message the
// user received, adds one to its unread count.
const TypeConversationChanged = "ConversationChanged"

// Actions of a ConversationChange.
const (
	ConvActionPin          = "pin"
	ConvActionUnpin        = "unpin"
	ConvActionRead         = "read"
	ConvActionDelete       = "delete"
	ConvActionContactGroup = "contact_group"
	ConvActionMark         = "mark"
)

// ConvRef names a conversation: a peer (Type ConvC2C) or a group.
type ConvRef struct {
	Type    int    `json:"Type"`
	Peer    string `json:"To_Account,omitempty"`
	GroupID string `json:"GroupId,omitempty"`
}

// C2CConv names the one-to-one conversation with peer.
func C2CConv(peer string) ConvRef { return ConvRef{Type: ConvC2C, Peer: peer} }

// GroupConv names a group conversation.
func GroupConv(groupID string) ConvRef { return ConvRef{Type: ConvGroup, GroupID: groupID} }

// Conversation is one entry of the user's conversation list.
type Conversation struct {
	ConvRef
	MsgTime int64 `json:"MsgTime"`
	TopFlag int   `json:"TopFlag"` // 1 pinned
	Unread  int64 `json:"UnreadMsgNum"`
	// LastMsgKey and LastFrom name the latest one-to-one message;
	// LastMsgSeq is a group's latest MsgSeq.
	LastMsgKey string `json:"LastMsgKey"`
	LastFrom   string `json:"LastFrom_Account"`
	LastMsgSeq int64  `json:"LastMsgSeq"`
}

// ConvCursor is where the next page of the list starts; the zero value is
// the first page.
type ConvCursor struct {
	TimeStamp     int64 `json:"TimeStamp"`
	StartIndex    int   `json:"StartIndex"`
	TopTimeStamp  int64 `json:"TopTimeStamp"`
	TopStartIndex int   `json:"TopStartIndex"`
}

// ConversationPage is one page of the list: pinned conversations first,
// then the others, newest first.
type ConversationPage struct {
	Conversations []Conversation `json:"Conversations"`
	CompleteFlag  int            `json:"CompleteFlag"`
	ConvCursor
}

// Next is the cursor of the next page, or false when p was the last.
func (p *ConversationPage) Next() (ConvCursor, bool) {
	return p.ConvCursor, p.CompleteFlag == 0
}

// Conversations reads one page of the user's conversation list from
// cursor (pinned ones first; with empty, also conversations without
// messages).
func (c *Client) Conversations(ctx context.Context, cursor ConvCursor, empty bool) (*ConversationPage, error) {
	flags := 1
	if empty {
		flags |= 2
	}
	req := map[string]any{"TimeStamp": cursor.TimeStamp, "StartIndex": cursor.StartIndex,
		"TopTimeStamp": cursor.TopTimeStamp, "TopStartIndex": cursor.TopStartIndex, "AssistFlags": flags}
	var out ConversationPage
	if err := c.request(ctx, "get_conversations", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PinConversation pins (or unpins) a conversation.
func (c *Client) PinConversation(ctx context.Context, conv ConvRef, pinned bool) error {
	flag := 0
	if pinned {
		flag = 1
	}
	return c.request(ctx, "pin_conversation", map[string]any{"Type": conv.Type, "To_Account": conv.Peer, "GroupId": conv.GroupID, "TopFlag": flag}, nil)
}

// ReadConversation marks a conversation read (a one-to-one one sends the
// peer a read receipt, as ReadC2C).
func (c *Client) ReadConversation(ctx context.Context, conv ConvRef) error {
	return c.request(ctx, "read_conversation", conv, nil)
}

// ReadAllConversations marks every conversation read.
func (c *Client) ReadAllConversations(ctx context.Context) error {
	return c.request(ctx, "read_conversation", map[string]any{"All": 1}, nil)
}

// DeleteConversation removes a conversation from the list until its next
// message; clearHistory also removes the user's copy of a one-to-one
// history.
func (c *Client) DeleteConversation(ctx context.Context, conv ConvRef, clearHistory bool) error {
	clear := 0
	if clearHistory {
		clear = 1
	}
	return c.request(ctx, "delete_conversation", map[string]any{"Type": conv.Type, "To_Account": conv.Peer, "GroupId": conv.GroupID, "ClearRamble": clear}, nil)
}

// CreateConversationGroup creates a named conversation group (at most 20,
// names up to 32 bytes) holding convs, and returns its ID.
func (c *Client) CreateConversationGroup(ctx context.Context, name string, convs ...ConvRef) (int64, error) {
	var out struct {
		GroupID int64 `json:"ContactGroupId"`
	}
	err := c.request(ctx, "create_conversation_group", map[string]any{"GroupName": name, "Conversations": refs(convs)}, &out)
	return out.GroupID, err
}

// UpdateConversationGroup renames a conversation group (newName not "")
// and adds and removes conversations.
func (c *Client) UpdateConversationGroup(ctx context.Context, name, newName string, add, remove []ConvRef) error {
	return c.request(ctx, "update_conversation_group", map[string]any{"GroupName": name, "NewGroupName": newName,
		"Conversations": refs(add), "RemoveConversations": refs(remove)}, nil)
}

// DeleteConversationGroup deletes a conversation group; its conversations
// stay.
func (c *Client) DeleteConversationGroup(ctx context.Context, name string) error {
	return c.request(ctx, "delete_conversation_group", map[string]any{"GroupName": name}, nil)
}

func refs(convs []ConvRef) []ConvRef {
	if convs == nil {
		return []ConvRef{}
	}
	return convs
}

// ConvMark is one mark change: standard mark bits (1-64) to set and clear,
// and the custom mark (nil keeps it).
type ConvMark struct {
	Conv       ConvRef
	Set, Clear []int
	Custom     *string
}

// MarkConversations applies mark changes to 1-100 conversations.
func (c *Client) MarkConversations(ctx context.Context, marks ...ConvMark) error {
	items := make([]map[string]any, len(marks))
	for i, m := range marks {
		opt := 1
		if m.Custom != nil {
			opt = 3
		}
		items[i] = map[string]any{"OptType": opt, "Conversation": m.Conv, "SetMark": m.Set, "ClearMark": m.Clear, "CustomMark": m.Custom}
	}
	return c.request(ctx, "mark_conversations", map[string]any{"MarkItem": items}, nil)
}

// ConvData is a conversation's groups and marks.
type ConvData struct {
	ConvRef
	StandardMark string  `json:"StandardMark"` // binary digits, highest bit first
	CustomMark   string  `json:"CustomMark"`
	Groups       []int64 `json:"ContactGroupId"`
	Timestamp    int64   `json:"Timestamp"`
}

// ConvGroupsPage is a page of the user's conversation groups and marks.
type ConvGroupsPage struct {
	Conversations []ConvData `json:"Conversations"`
	Groups        []struct {
		Name string `json:"GroupName"`
		ID   int64  `json:"GroupId"`
	} `json:"Groups"`
	CompleteFlag   int `json:"CompleteFlag"`
	NextStartIndex int `json:"NextStartIndex"`
}

// ConversationGroups reads a page of the user's conversation groups and
// the conversations with groups or marks, from start (0 first).
func (c *Client) ConversationGroups(ctx context.Context, start int) (*ConvGroupsPage, error) {
	var out ConvGroupsPage
	if err := c.request(ctx, "get_conversation_groups", map[string]any{"StartIndex": start}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ConversationChange is a "ConversationChanged" event.
type ConversationChange struct {
	Action        string    `json:"Action"`
	Conversations []ConvRef `json:"Conversations"`
	// All is 1 when every conversation was read.
	All int `json:"All"`
	// The conversation group of a contact_group change; NewGroupName is
	// set by a rename, Deleted by a deletion.
	GroupName    string `json:"GroupName"`
	GroupID      int64  `json:"ContactGroupId"`
	NewGroupName string `json:"NewGroupName"`
	Deleted      int    `json:"Deleted"`
}

// ConversationChanged decodes a "ConversationChanged" event.
func (e Event) ConversationChanged() (*ConversationChange, bool) {
	return decodeEvent[ConversationChange](e, TypeConversationChanged)
}
