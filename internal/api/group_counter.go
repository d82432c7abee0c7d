package api

import (
	"context"

	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

// counterCommands are the Group counters section of rest-groups.md.
func (a groupAPI) counterCommands() []Command {
	return []Command{
		command("v4/group_open_http_svc/get_group_counter", 200, groupDomain, a.counters),
		command("v4/group_open_http_svc/update_group_counter", 200, groupDomain, a.updateCounters),
		command("v4/group_open_http_svc/delete_group_counter", 200, groupDomain, a.deleteCounters),
	}
}

// counterEntry is one counter on the wire (capitalised Key and Value).
type counterEntry struct {
	Key   string
	Value int64
}

type countersResp struct {
	GroupCounter []counterEntry
}

func countersOf(cs []im.Counter) *countersResp {
	resp := &countersResp{GroupCounter: make([]counterEntry, len(cs))}
	for i, c := range cs {
		resp.GroupCounter[i] = counterEntry{Key: c.Key, Value: c.Value}
	}
	return resp
}

// counterKeysReq is get_group_counter and delete_group_counter: absent
// keys mean every counter, an empty list none.
type counterKeysReq struct {
	GroupId          string
	GroupCounterKeys []string
}

func (a groupAPI) counters(ctx context.Context, call *Call, req *counterKeysReq) (*countersResp, error) {
	cs, err := a.svc.Counters(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId, req.GroupCounterKeys)
	if err != nil {
		return nil, err
	}
	return countersOf(cs), nil
}

type updateCountersReq struct {
	GroupId      string
	GroupCounter []counterEntry
	Mode         string
}

func (a groupAPI) updateCounters(ctx context.Context, call *Call, req *updateCountersReq) (*countersResp, error) {
	entries := make([]im.Counter, len(req.GroupCounter))
	for i, e := range req.GroupCounter {
		entries[i] = im.Counter{Key: e.Key, Value: e.Value}
	}
	cs, err := a.svc.UpdateCounters(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId, req.Mode, entries)
	if err != nil {
		return nil, err
	}
	return countersOf(cs), nil
}

func (a groupAPI) deleteCounters(ctx context.Context, call *Call, req *counterKeysReq) (*empty, error) {
	if err := a.svc.DeleteCounters(ctx, call.App, group.AppAdmin(call.Identifier), req.GroupId, req.GroupCounterKeys); err != nil {
		return nil, err
	}
	return &empty{}, nil
}
