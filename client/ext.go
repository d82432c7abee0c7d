package client

import (
	"context"
	"fmt"
)

// Extension is one key/value pair attached to a message that was sent
// with WithExtensions (message extensions: the server's rest-messages.md
// S9). Seq is the version the message gave the pair when it was last
// written.
type Extension struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
	Seq   int64  `json:"Seq"`
}

// CodeExtensionConflict is the ErrorCode of a pair that another writer
// changed since the client read it.
const CodeExtensionConflict = 23001

// MsgRef names a message whose extensions are read or written: made by
// C2CMsgRef or GroupMsgRef.
type MsgRef struct {
	group  bool
	fields map[string]any
}

// C2CMsgRef names a one-to-one message by its sender, its recipient and
// its MsgKey (C2CMessage and C2CSent carry them). Either party may read
// and write its extensions.
func C2CMsgRef(from, to, msgKey string) MsgRef {
	return MsgRef{fields: map[string]any{"From_Account": from, "To_Account": to, "MsgKey": msgKey}}
}

// GroupMsgRef names a group message; the group's members who may see the
// message may read and write its extensions.
func GroupMsgRef(groupID string, msgSeq int64) MsgRef {
	return MsgRef{group: true, fields: map[string]any{"GroupId": groupID, "MsgSeq": msgSeq}}
}

// The extension ops (docs/client-protocol.md §4).
func (m MsgRef) op(verb string) string {
	if m.group {
		return verb + "_group_ext"
	}
	return verb + "_c2c_ext"
}

// request is m's fields plus more.
func (m MsgRef) request(more map[string]any) map[string]any {
	out := make(map[string]any, len(m.fields)+len(more))
	for k, v := range m.fields {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// ExtensionResult is what became of one pair of a write: ErrorCode 0 and
// the pair as stored now (a deleted pair has Seq 0), or
// CodeExtensionConflict and the pair as it stands: read its new Seq and
// retry if the write still makes sense.
type ExtensionResult struct {
	ErrorCode int       `json:"ErrorCode"`
	Extension Extension `json:"Extension"`
}

// ExtensionsWritten is the outcome of a write: one result per pair, and
// the message's versions after it.
type ExtensionsWritten struct {
	Results   []ExtensionResult `json:"ExtensionList"`
	LatestSeq int64             `json:"LatestSeq"`
	ClearSeq  int64             `json:"ClearSeq"`
}

// Extension write operations (OperateType).
const (
	extSet    = 1
	extDelete = 2
	extClear  = 3
)

// SetExtensions sets pairs on a message. Each pair's Seq must be the one
// the client last saw of it (0 for a new key): a pair someone else wrote
// since fails alone with CodeExtensionConflict, so two clients racing on a
// pair cannot both win. The other pairs are applied. Errors fail the whole
// write: 23002 the message was not sent with extensions, 23003 too many
// writes to the message this minute, 23004 no such message, 10004 over a
// limit, 10007 not in the conversation.
func (c *Client) SetExtensions(ctx context.Context, msg MsgRef, pairs ...Extension) (*ExtensionsWritten, error) {
	return c.writeExtensions(ctx, msg, extSet, pairs)
}

// DeleteExtensions deletes pairs by key, each with the Seq last seen (the
// Value is ignored); the rest as SetExtensions.
func (c *Client) DeleteExtensions(ctx context.Context, msg MsgRef, pairs ...Extension) (*ExtensionsWritten, error) {
	return c.writeExtensions(ctx, msg, extDelete, pairs)
}

// ClearExtensions deletes every pair of a message: its ClearSeq becomes
// its LatestSeq.
func (c *Client) ClearExtensions(ctx context.Context, msg MsgRef) (*ExtensionsWritten, error) {
	return c.writeExtensions(ctx, msg, extClear, nil)
}

func (c *Client) writeExtensions(ctx context.Context, msg MsgRef, op int, pairs []Extension) (*ExtensionsWritten, error) {
	var out ExtensionsWritten
	if err := c.request(ctx, msg.op("set"), msg.request(map[string]any{"OperateType": op, "ExtensionList": pairs}), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Extensions is a message's pairs, in Seq order, with its versions.
type Extensions struct {
	Pairs     []Extension
	LatestSeq int64
	ClearSeq  int64
}

// Extensions reads every pair of a message (the server returns them a
// page at a time; this reads every page).
func (c *Client) Extensions(ctx context.Context, msg MsgRef) (*Extensions, error) {
	out := &Extensions{}
	var start int64
	for {
		var page struct {
			ExtensionList []Extension `json:"ExtensionList"`
			CompleteFlag  int         `json:"CompleteFlag"`
			LatestSeq     int64       `json:"LatestSeq"`
			ClearSeq      int64       `json:"ClearSeq"`
		}
		if err := c.request(ctx, msg.op("get"), msg.request(map[string]any{"StartSeq": start}), &page); err != nil {
			return nil, err
		}
		out.Pairs = append(out.Pairs, page.ExtensionList...)
		out.LatestSeq, out.ClearSeq = page.LatestSeq, page.ClearSeq
		if page.CompleteFlag == 1 || len(page.ExtensionList) == 0 {
			return out, nil
		}
		start = page.ExtensionList[len(page.ExtensionList)-1].Seq + 1
	}
}

// Event types of extension changes.
const (
	TypeC2CMsgExt   = "C2CMsgExtChanged"
	TypeGroupMsgExt = "GroupMsgExtChanged"
)

// ExtensionChange is an extension change event: someone (Operator) set,
// deleted or cleared pairs of a message. It reaches both parties of a
// one-to-one message (in their streams, with Seq) or the group's members
// (in the group's event stream, with EventSeq), and later syncs return it.
type ExtensionChange struct {
	// GroupID and MsgSeq name a group message; From, To and MsgKey a
	// one-to-one message.
	GroupID     string      `json:"GroupId"`
	MsgSeq      int64       `json:"MsgSeq"`
	From        string      `json:"From_Account"`
	To          string      `json:"To_Account"`
	MsgKey      string      `json:"MsgKey"`
	Operator    string      `json:"Operator_Account"`
	OperateType int         `json:"OperateType"` // 1 set, 2 delete, 3 clear
	Set         []Extension `json:"ExtensionList"`
	DeletedKeys []string    `json:"DeletedKeys"`
	LatestSeq   int64       `json:"LatestSeq"`
	ClearSeq    int64       `json:"ClearSeq"`
}

// ExtensionChange decodes a "C2CMsgExtChanged" or "GroupMsgExtChanged"
// event; ok is false for other events.
func (e Event) ExtensionChange() (x *ExtensionChange, ok bool) {
	if x, ok = decodeEvent[ExtensionChange](e, TypeC2CMsgExt); ok {
		return x, true
	}
	return decodeEvent[ExtensionChange](e, TypeGroupMsgExt)
}

// Msg names the message that changed.
func (x *ExtensionChange) Msg() MsgRef {
	if x.GroupID != "" {
		return GroupMsgRef(x.GroupID, x.MsgSeq)
	}
	return C2CMsgRef(x.From, x.To, x.MsgKey)
}

// Apply brings a cache of a message's pairs, by key, up to date with the
// change: pairs at or below ClearSeq are dropped, deleted keys removed,
// set pairs stored.
func (x *ExtensionChange) Apply(pairs map[string]Extension) {
	for k, p := range pairs {
		if p.Seq <= x.ClearSeq {
			delete(pairs, k)
		}
	}
	for _, k := range x.DeletedKeys {
		delete(pairs, k)
	}
	for _, p := range x.Set {
		pairs[p.Key] = p
	}
}

// String is the pair as key=value@seq, for logs.
func (p Extension) String() string { return fmt.Sprintf("%s=%s@%d", p.Key, p.Value, p.Seq) }
