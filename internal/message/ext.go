package message

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/stream"
)

// Message extensions (rest-messages.md S9): key/value pairs attached to a
// sent message by the app (REST) or by the people in its conversation
// (clients). Each write gives the pairs it sets the message's next Seq; a
// client must name the Seq it last saw of each pair, so two clients racing
// on one pair cannot both win. A write and the events announcing it to
// both sides of a one-to-one conversation, or to a group's members, commit
// in one transaction.

// FeatureExtensions is the app switch of message extensions: with it in
// the app's disabled list every extension call is answered with 10008.
const FeatureExtensions = "msg_extension"

// Extension writes (OperateType).
const (
	ExtSet    = 1 // set the listed pairs
	ExtDelete = 2 // delete the listed keys
	ExtClear  = 3 // delete every pair
)

// Limits of message extensions (S9).
const (
	MaxExtPairs           = 300  // pairs one message may hold
	MaxExtPerWrite        = 20   // pairs one write may list
	MaxExtPage            = 200  // pairs one pull returns
	MaxExtKeyBytes        = 100  // of a key
	MaxExtValueBytes      = 1000 // of a value
	MaxExtWritesPerMinute = 200  // writes to one message per minute (23003)
)

// Event types of extension changes.
const (
	TypeC2CMsgExt   = "C2CMsgExtChanged"
	TypeGroupMsgExt = "GroupMsgExtChanged"
)

// ExtMsg names a message as a request does: a group message by GroupID
// and MsgSeq, or a one-to-one message by its original sender and
// recipient and its MsgKey.
type ExtMsg struct {
	GroupID string
	MsgSeq  int64
	From    string
	To      string
	MsgKey  string
}

// ExtCaller is who reads or writes extensions: the app (every REST call),
// which needs no Seq and may address any message, or a user, who must be
// a party of the one-to-one message or a member of the group who may see
// the message, and whose writes are checked against the pairs' Seq.
type ExtCaller struct {
	UserID string
	Admin  bool
}

// ExtWrite is one extension write.
type ExtWrite struct {
	Msg ExtMsg
	Op  int // ExtSet, ExtDelete or ExtClear
	// Pairs are the pairs to set or the keys to delete (Value ignored),
	// each with the Seq the caller last saw of it (0 for a new key).
	Pairs []im.MsgExt
}

// ExtResult is what became of one pair of a write: Code 0 and the pair as
// stored now (a deleted pair has Seq 0), or 23001 and the pair as it
// stands, changed since the caller read it.
type ExtResult struct {
	Code int
	Ext  im.MsgExt
}

// ExtWritten is the outcome of a write: one result per pair listed, and
// the message's versions after it.
type ExtWritten struct {
	Results   []ExtResult
	LatestSeq int64
	ClearSeq  int64
}

// ExtPage is one pull of a message's pairs, in Seq order.
type ExtPage struct {
	Pairs []im.MsgExt
	// Complete says no pair with a higher Seq is left; otherwise pull
	// again from the last Seq + 1.
	Complete  bool
	LatestSeq int64
	ClearSeq  int64
}

// extEvent is an extension change as clients receive it: the pairs set,
// the keys deleted, and the message's versions (a client drops the pairs
// it holds at or below ClearSeq).
type extEvent struct {
	Type          string      `json:"Type"`
	GroupID       string      `json:"GroupId,omitempty"`
	MsgSeq        int64       `json:"MsgSeq,omitempty"`
	From          string      `json:"From_Account,omitempty"`
	To            string      `json:"To_Account,omitempty"`
	MsgKey        string      `json:"MsgKey,omitempty"`
	Operator      string      `json:"Operator_Account"`
	OperateType   int         `json:"OperateType"`
	ExtensionList []im.MsgExt `json:"ExtensionList,omitempty"`
	DeletedKeys   []string    `json:"DeletedKeys,omitempty"`
	LatestSeq     int64       `json:"LatestSeq"`
	ClearSeq      int64       `json:"ClearSeq"`
}

// WriteExtensions sets, deletes or clears a message's extensions. enabled
// is the app's FeatureExtensions switch. Whole-call errors: 10008 switched
// off, 10004 a malformed request or a write that would leave the message
// with more than MaxExtPairs pairs, 10007 a live or community group or a
// caller who is not in the conversation, 23002 a message sent without
// extension support, 23003 over MaxExtWritesPerMinute, 23004 no such
// message. A pair whose Seq the caller got wrong fails alone (23001).
func (s *Service) WriteExtensions(ctx context.Context, appID uint64, enabled bool, by ExtCaller, w ExtWrite, now time.Time) (ExtWritten, error) {
	if !enabled {
		return ExtWritten{}, extSwitchedOff()
	}
	keys, err := w.check()
	if err != nil {
		return ExtWritten{}, err
	}
	ref, err := s.extRef(ctx, appID, by, w.Msg)
	if err != nil {
		return ExtWritten{}, err
	}
	store, err := s.extStore()
	if err != nil {
		return ExtWritten{}, err
	}
	var out ExtWritten
	var events im.StreamWrite
	res, err := store.WriteMsgExts(ctx, ref, keys, func(h im.MsgExtHead, current map[string]im.MsgExt) (*im.MsgExtChange, error) {
		if err := checkExtTarget(h, by); err != nil {
			return nil, err
		}
		window := now.Unix() - now.Unix()%60
		if h.WindowStart != window {
			h.WindowStart, h.WindowWrites = window, 0
		}
		if h.WindowWrites >= MaxExtWritesPerMinute {
			return nil, im.Errorf(im.CodeExtRateLimit, "the message took %d extension writes this minute, at most %d", h.WindowWrites, MaxExtWritesPerMinute)
		}
		h.WindowWrites++
		ch, results, err := w.apply(h, current, by)
		if err != nil {
			return nil, err
		}
		out = ExtWritten{Results: results, LatestSeq: ch.Head.LatestSeq, ClearSeq: ch.Head.ClearSeq}
		if ch.Clear || len(ch.Set) > 0 || len(ch.Delete) > 0 {
			ch.Events = extEvents(ref, by, w.Op, ch, now)
		}
		events = ch.Events
		return ch, nil
	})
	if err != nil {
		return ExtWritten{}, extError(err)
	}
	s.streams.PushCommitted(ctx, events, res)
	return out, nil
}

// Extensions pulls up to MaxExtPage of a message's pairs with Seq >=
// startSeq. Errors as WriteExtensions's, without 23002 (a message without
// extension support has none) and 23003.
func (s *Service) Extensions(ctx context.Context, appID uint64, enabled bool, by ExtCaller, msg ExtMsg, startSeq int64) (ExtPage, error) {
	if !enabled {
		return ExtPage{}, extSwitchedOff()
	}
	if startSeq < 0 {
		return ExtPage{}, im.Errorf(im.CodeExtBadParam, "StartSeq %d must not be negative", startSeq)
	}
	ref, err := s.extRef(ctx, appID, by, msg)
	if err != nil {
		return ExtPage{}, err
	}
	store, err := s.extStore()
	if err != nil {
		return ExtPage{}, err
	}
	// One pair more than a page tells whether more are left.
	pairs, h, err := store.ListMsgExts(ctx, ref, startSeq, MaxExtPage+1)
	if err != nil {
		return ExtPage{}, extError(err)
	}
	if !visible(h, by) {
		return ExtPage{}, extNotFound()
	}
	page := ExtPage{Pairs: pairs, Complete: true, LatestSeq: h.LatestSeq, ClearSeq: h.ClearSeq}
	if len(pairs) > MaxExtPage {
		page.Pairs, page.Complete = pairs[:MaxExtPage], false
	}
	return page, nil
}

// extStore is the store's extension side. Every engine's store has it;
// message.Store does not list it, so that the extension code stays in
// these files.
func (s *Service) extStore() (im.MsgExtStore, error) {
	store, ok := s.store.(im.MsgExtStore)
	if !ok {
		return nil, errors.New("message: the store keeps no message extensions")
	}
	return store, nil
}

// check validates what the request alone decides and returns the keys it
// names.
func (w *ExtWrite) check() ([]string, error) {
	switch w.Op {
	case ExtClear:
		return nil, nil
	case ExtSet, ExtDelete:
	default:
		return nil, im.Errorf(im.CodeExtBadParam, "OperateType %d must be 1 (set), 2 (delete) or 3 (clear)", w.Op)
	}
	switch {
	case len(w.Pairs) == 0:
		return nil, im.Errorf(im.CodeExtBadParam, "ExtensionList is required with OperateType %d", w.Op)
	case len(w.Pairs) > MaxExtPerWrite:
		return nil, im.Errorf(im.CodeExtBadParam, "ExtensionList lists %d pairs, at most %d", len(w.Pairs), MaxExtPerWrite)
	}
	keys := make([]string, 0, len(w.Pairs))
	for _, p := range w.Pairs {
		switch {
		case p.Key == "" || len(p.Key) > MaxExtKeyBytes:
			return nil, im.Errorf(im.CodeExtBadParam, "Key %q must be 1-%d bytes", p.Key, MaxExtKeyBytes)
		case strings.ContainsRune(p.Key, 0):
			return nil, im.Errorf(im.CodeExtBadParam, "Key %q must not contain NUL", p.Key)
		case w.Op == ExtSet && len(p.Value) > MaxExtValueBytes:
			return nil, im.Errorf(im.CodeExtBadParam, "the Value of %q is %d bytes, at most %d", p.Key, len(p.Value), MaxExtValueBytes)
		case slices.Contains(keys, p.Key):
			return nil, im.Errorf(im.CodeExtBadParam, "Key %q is listed twice", p.Key)
		}
		keys = append(keys, p.Key)
	}
	return keys, nil
}

// apply works the write out on the message's state h (its write already
// counted) and its current pairs among the write's keys.
func (w *ExtWrite) apply(h im.MsgExtHead, current map[string]im.MsgExt, by ExtCaller) (*im.MsgExtChange, []ExtResult, error) {
	ch := &im.MsgExtChange{}
	results := make([]ExtResult, 0, len(w.Pairs))
	if w.Op == ExtClear {
		if h.Pairs > 0 || h.ClearSeq < h.LatestSeq {
			ch.Clear, h.ClearSeq, h.Pairs = true, h.LatestSeq, 0
		}
		ch.Head = h
		return ch, results, nil
	}
	added := 0
	for _, p := range w.Pairs {
		cur, exists := current[p.Key]
		if !exists {
			cur = im.MsgExt{Key: p.Key}
		}
		if !by.Admin && p.Seq != cur.Seq {
			results = append(results, ExtResult{Code: im.CodeExtSeqConflict, Ext: cur})
			continue
		}
		if w.Op == ExtDelete {
			results = append(results, ExtResult{Ext: im.MsgExt{Key: p.Key}})
			if exists {
				ch.Delete = append(ch.Delete, p.Key)
				h.Pairs--
			}
			continue
		}
		if !exists {
			added++
		}
		h.LatestSeq++
		set := im.MsgExt{Key: p.Key, Value: p.Value, Seq: h.LatestSeq}
		ch.Set = append(ch.Set, set)
		results = append(results, ExtResult{Ext: set})
	}
	if h.Pairs+added > MaxExtPairs {
		return nil, nil, im.Errorf(im.CodeExtBadParam, "the message holds %d pairs; %d more would exceed %d", h.Pairs, added, MaxExtPairs)
	}
	h.Pairs += added
	ch.Head = h
	return ch, results, nil
}

// extRef resolves the message a request names, checking what can be
// checked before the store is asked for it: the group's type and the
// caller's place in the conversation.
func (s *Service) extRef(ctx context.Context, appID uint64, by ExtCaller, msg ExtMsg) (im.MsgRef, error) {
	if msg.GroupID != "" {
		return s.groupExtRef(ctx, appID, by, msg)
	}
	switch {
	case msg.To == "":
		return im.MsgRef{}, &im.Error{Code: im.CodeExtBadParam, Info: "To_Account is required"}
	case msg.From == "":
		return im.MsgRef{}, &im.Error{Code: im.CodeExtBadParam, Info: "From_Account is required"}
	case msg.MsgKey == "":
		return im.MsgRef{}, &im.Error{Code: im.CodeExtBadParam, Info: "MsgKey is required"}
	case !by.Admin && by.UserID != msg.From && by.UserID != msg.To:
		return im.MsgRef{}, im.Errorf(im.CodeGroupNotAllowed, "%s is neither the sender nor the recipient of the message", by.UserID)
	}
	seq, random, t, ok := im.ParseMsgKey(msg.MsgKey)
	if !ok {
		// A key chatd never made names no message.
		return im.MsgRef{}, extNotFound()
	}
	return im.MsgRef{AppID: appID, From: msg.From, To: msg.To, Key: im.C2CKey{Seq: seq, Random: random, Time: t}}, nil
}

// groupExtRef checks a group message's address: live groups keep no
// messages and communities take no extensions (10007), a group that does
// not exist has no message (23004), a user must be a member (10007).
func (s *Service) groupExtRef(ctx context.Context, appID uint64, by ExtCaller, msg ExtMsg) (im.MsgRef, error) {
	if msg.MsgSeq < 1 {
		return im.MsgRef{}, &im.Error{Code: im.CodeExtBadParam, Info: "MsgSeq is required: a group message's sequence number, from 1"}
	}
	g, err := s.groups.Get(ctx, appID, msg.GroupID)
	if im.CodeOf(err) == im.CodeGroupNotFound {
		return im.MsgRef{}, extNotFound()
	}
	if err != nil {
		return im.MsgRef{}, err
	}
	if g.Type == im.GroupAVChatRoom || g.Type == im.GroupCommunity {
		return im.MsgRef{}, im.Errorf(im.CodeGroupNotAllowed, "%s groups do not support message extensions", g.Type)
	}
	if !by.Admin {
		members, err := s.store.GetMembers(ctx, appID, g.ID, []string{by.UserID})
		if err != nil {
			return im.MsgRef{}, fmt.Errorf("message: membership of %s in %s: %w", by.UserID, g.ID, err)
		}
		if _, ok := members[by.UserID]; !ok {
			return im.MsgRef{}, im.Errorf(im.CodeGroupNotAllowed, "%s is not a member of group %s", by.UserID, g.ID)
		}
	}
	return im.MsgRef{AppID: appID, GroupID: g.ID, MsgSeq: msg.MsgSeq}, nil
}

// checkExtTarget refuses a write to a message the caller cannot see or
// that takes no extensions.
func checkExtTarget(h im.MsgExtHead, by ExtCaller) error {
	if !visible(h, by) {
		return extNotFound()
	}
	if !h.SupportExtension {
		return &im.Error{Code: im.CodeExtNotSupported, Info: "the message was not sent with SupportMessageExtension 1"}
	}
	return nil
}

// visible says whether the caller may see the message: a group message
// sent To_Account some members is for them and its sender only.
func visible(h im.MsgExtHead, by ExtCaller) bool {
	return by.Admin || len(h.To) == 0 || h.From == by.UserID || slices.Contains(h.To, by.UserID)
}

// extEvents is the stream write announcing a change: an entry in both
// parties' streams for a one-to-one message, in the group's event stream
// for a group message.
func extEvents(ref im.MsgRef, by ExtCaller, op int, ch *im.MsgExtChange, now time.Time) im.StreamWrite {
	ev := extEvent{Operator: by.UserID, OperateType: op, ExtensionList: ch.Set, DeletedKeys: ch.Delete,
		LatestSeq: ch.Head.LatestSeq, ClearSeq: ch.Head.ClearSeq}
	w := im.StreamWrite{AppID: ref.AppID, Time: now.Unix()}
	if ref.GroupID != "" {
		ev.Type, ev.GroupID, ev.MsgSeq = TypeGroupMsgExt, ref.GroupID, ref.MsgSeq
		w.GroupEvents = []im.GroupEventAppend{{GroupID: ref.GroupID, Payload: encode(ev)}}
		return w
	}
	ev.Type, ev.From, ev.To, ev.MsgKey = TypeC2CMsgExt, ref.From, ref.To, im.MsgKey(ref.Key.Seq, ref.Key.Random, ref.Key.Time)
	payload, expire := encode(ev), stream.Expiry(now, stream.DefaultLifetime)
	w.UserEvents = []im.UserEventAppend{{UserID: ref.To, Payload: payload, ExpireAt: expire}}
	if ref.From != ref.To {
		w.UserEvents = append(w.UserEvents, im.UserEventAppend{UserID: ref.From, Payload: payload, ExpireAt: expire})
	}
	return w
}

// extError gives a store error its wire meaning: a message that is not
// there is 23004; the rest is apply's own error or internal.
func extError(err error) error {
	if errors.Is(err, im.ErrNotFound) {
		return extNotFound()
	}
	if im.CodeOf(err) != 0 {
		return err
	}
	return fmt.Errorf("message: extensions: %w", err)
}

func extNotFound() error {
	return &im.Error{Code: im.CodeExtMsgNotFound, Info: "the message does not exist"}
}

func extSwitchedOff() error {
	return &im.Error{Code: im.CodeExtNotAvailable, Info: "message extensions are switched off for this app"}
}
