package message

import (
	"context"
	"errors"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// MaxImport is how many messages one import_group_msg carries.
const MaxImport = 7

// ImportInput is import_group_msg.
type ImportInput struct {
	GroupID string
	TopicID string
	// RecentContact is RecentContactFlag 1: update the members'
	// conversation lists (refused where there are none: live groups and
	// communities).
	RecentContact bool
	Msgs          []ImportMsg
}

// ImportMsg is one message of an import.
type ImportMsg struct {
	From     string
	SendTime int64
	Random   *uint32 // nil: no duplicate check
	Body     []im.MsgElem
}

// Imported is one message's outcome: its MsgSeq and MsgTime, or Code
// 10004 (its SendTime is out of order) or 80002 (over 12 KB).
type Imported struct {
	Seq  int64
	Time int64
	Code int
}

// Import appends history to a group or topic, without pushes or events:
// each message's SendTime must not be in the future, before the group (or
// topic) was created, or before the newest message there, the batch's
// earlier ones included. A message with a Random that was imported or sent
// within 5 minutes before it, with the same content, is answered with the
// original. Codes: 10004 (bad list, a message without sender or with an
// invalid body), 10007 (a live group, or RecentContactFlag in a
// community), 10020 (every message over 12 KB), the group's.
func (s *Service) Import(ctx context.Context, appID uint64, in ImportInput, now time.Time) ([]Imported, error) {
	if len(in.Msgs) == 0 || len(in.Msgs) > MaxImport {
		return nil, im.Errorf(im.CodeGroupBadParam, "MsgList must hold 1 to %d messages", MaxImport)
	}
	out := make([]Imported, len(in.Msgs))
	var appends []im.GroupAppend
	var at []int
	for i, m := range in.Msgs {
		if m.From == "" {
			return nil, im.Errorf(im.CodeGroupBadParam, "MsgList[%d].From_Account is required", i)
		}
		body, err := encodeBody(m.Body, im.CodeGroupBadParam)
		if err != nil {
			return nil, err
		}
		if len(body) > MaxContentBytes {
			out[i].Code = im.CodeMsgTooLong
			continue
		}
		msg := im.GroupMessage{AppID: appID, GroupID: in.GroupID, TopicID: in.TopicID, From: m.From, Time: m.SendTime,
			Priority: im.PriorityNormal, Body: body}
		a := im.GroupAppend{Keep: true}
		if m.Random != nil {
			msg.Random = *m.Random
			a.DedupSince = time.Unix(m.SendTime, 0).Add(-stream.GroupDedupWindow).Unix()
		}
		a.Msg, a.ContentHash = msg, contentHash(&msg)
		appends, at = append(appends, a), append(at, i)
	}
	if len(appends) == 0 {
		return nil, im.Errorf(im.CodeGroupMsgImportTooLong, "every message is over %d bytes", MaxContentBytes)
	}
	st, g, err := s.storedStream(ctx, appID, in.GroupID, in.TopicID)
	if err != nil {
		return nil, err
	}
	if in.RecentContact && g.Type == im.GroupCommunity {
		return nil, &im.Error{Code: im.CodeGroupNotAllowed, Info: "RecentContactFlag is not supported in a Community"}
	}
	results, err := s.store.ImportGroupMessages(ctx, st, appends, now.Unix())
	if err != nil {
		return nil, s.streamErr(st, "import", err)
	}
	for j, r := range results {
		o := &out[at[j]]
		switch {
		case errors.Is(r.Err, im.ErrMsgTime):
			o.Code = im.CodeGroupBadParam
		case r.Err != nil:
			return nil, s.streamErr(st, "import", r.Err)
		default:
			o.Seq, o.Time = r.GroupSeq, r.GroupTime
		}
	}
	return out, nil
}
