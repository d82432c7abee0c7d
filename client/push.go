package client

import (
	"context"
	"encoding/json"
)

// TypeAllMemberPush is the event of a push the app made to all its users
// (im_push).
const TypeAllMemberPush = "AllMemberPush"

// AllMemberPush is a push the app made to every user, or to the users
// whose attributes or tags matched its condition ("AllMemberPush"). It is
// pushed to the connections open when it is made; a client that was away
// fetches it at its next sync (automatically, with the rest of what it
// missed) while the push's lifetime lasts.
type AllMemberPush struct {
	// PushSeq is the push's place in the app's push stream (shared by all
	// users, so a user sees gaps: pushes for others). Keep the highest one
	// handled and give it to SyncPushes; a PushSeq at or below it is a
	// repeat.
	PushSeq         int64           `json:"PushSeq"`
	TaskID          string          `json:"TaskId"`
	From            string          `json:"From_Account"`
	MsgRandom       uint32          `json:"MsgRandom"`
	MsgTime         int64           `json:"MsgTime"`
	MsgBody         []MsgElem       `json:"MsgBody"`
	OfflinePushInfo json.RawMessage `json:"OfflinePushInfo"`
}

// AllMemberPush decodes an "AllMemberPush" event; ok is false for other
// events.
func (e Event) AllMemberPush() (p *AllMemberPush, ok bool) {
	return decodeEvent[AllMemberPush](e, TypeAllMemberPush)
}

// SyncPushes fetches the app's pushes for this user after position after
// (0: every push still kept for the user), oldest first, and returns them
// with the new position. The client does this by itself (SyncState's
// PushSeq); this is for a client made WithoutSync.
func (c *Client) SyncPushes(ctx context.Context, after int64) ([]AllMemberPush, int64, error) {
	var out []AllMemberPush
	for {
		var page struct {
			PushSeq  int64 `json:"PushSeq"`
			Complete int   `json:"Complete"`
			Pushes   []struct {
				PushSeq int64         `json:"PushSeq"`
				Event   AllMemberPush `json:"event"`
			} `json:"Pushes"`
		}
		if err := c.request(ctx, "sync_push", map[string]any{"PushSeq": after}, &page); err != nil {
			return nil, after, err
		}
		for _, p := range page.Pushes {
			out = append(out, p.Event)
		}
		after = max(after, page.PushSeq)
		if page.Complete == 1 {
			return out, after, nil
		}
	}
}
