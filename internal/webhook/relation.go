package webhook

import (
	"context"
	"errors"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/relation"
)

// Relations are the relationship domain's callbacks (relation.Hooks).
type Relations struct{ s *Sender }

// Relations returns the relationship domain's callbacks.
func (s *Sender) Relations() Relations { return Relations{s} }

var _ relation.Hooks = Relations{}

type friendItem struct {
	To_Account string
	Remark     string
	GroupName  string
	AddSource  string
	AddWording string
}

type prevAddBody struct {
	CallbackCommand   string
	Requester_Account string
	From_Account      string
	FriendItem        []friendItem
	AddType           string
	ForceAddFlags     int
	EventTime         int64
}

// policyRefusal is a target refused because its callback failed under
// fail-closed.
var policyRefusal = relation.ItemResult{ResultCode: im.CodeSNSPolicyBlocked, ResultInfo: "the app's callback failed and its policy refuses the request"}

// BeforeAdd sends Sns.CallbackPrevFriendAdd and returns the targets the
// app refused (ResultCode not 0). A non-zero top-level ErrorCode is the
// app's own failure: the request goes ahead, as the spec says; so do
// targets the answer does not mention.
func (h Relations) BeforeAdd(ctx context.Context, appID uint64, req *relation.AddRequest) map[string]relation.ItemResult {
	body := prevAddBody{CallbackCommand: SnsPrevFriendAdd, Requester_Account: req.From, From_Account: req.From,
		FriendItem: make([]friendItem, len(req.AddFriendItem)), AddType: req.AddType, ForceAddFlags: req.ForceAddFlags, EventTime: h.s.eventTime()}
	if body.AddType == "" {
		body.AddType = relation.AddBoth
	}
	for i, it := range req.AddFriendItem {
		body.FriendItem[i] = friendItem{To_Account: it.To, Remark: it.Remark, GroupName: it.GroupName, AddSource: it.AddSource, AddWording: it.AddWording}
	}
	ans, err := h.s.before(ctx, appID, SnsPrevFriendAdd, body)
	if errors.Is(err, errFailedClosed) {
		refused := map[string]relation.ItemResult{}
		for _, it := range req.AddFriendItem {
			refused[it.To] = policyRefusal
		}
		return refused
	}
	return refusedItems(ans)
}

// refusedItems are the verdicts of an answer that refuse.
func refusedItems(ans *answer) map[string]relation.ItemResult {
	if ans == nil || ans.ErrorCode != 0 {
		return nil
	}
	refused := map[string]relation.ItemResult{}
	for _, r := range ans.ResultItem {
		if r.ResultCode != 0 {
			refused[r.To_Account] = relation.ItemResult{To: r.To_Account, ResultCode: r.ResultCode, ResultInfo: r.ResultInfo}
		}
	}
	return refused
}

type responseItem struct {
	To_Account     string
	Remark         string
	TagName        string
	ResponseAction string
}

type prevResponseBody struct {
	CallbackCommand    string
	Requester_Account  string
	From_Account       string
	ResponseFriendItem []responseItem
	EventTime          int64
}

// BeforeRespond sends Sns.CallbackPrevFriendResponse; a refused answer
// fails with the app's ResultCode and ResultInfo.
func (h Relations) BeforeRespond(ctx context.Context, appID uint64, userID string, req *relation.RespondRequest) error {
	ans, err := h.s.before(ctx, appID, SnsPrevFriendResponse, prevResponseBody{CallbackCommand: SnsPrevFriendResponse,
		Requester_Account: userID, From_Account: userID, EventTime: h.s.eventTime(),
		ResponseFriendItem: []responseItem{{To_Account: req.From, Remark: req.Remark, TagName: req.GroupName, ResponseAction: req.ResponseAction}}})
	if errors.Is(err, errFailedClosed) {
		return &im.Error{Code: policyRefusal.ResultCode, Info: policyRefusal.ResultInfo}
	}
	if r, ok := refusedItems(ans)[req.From]; ok {
		return &im.Error{Code: r.ResultCode, Info: r.ResultInfo}
	}
	return nil
}

type addedPair struct {
	From_Account      string
	To_Account        string
	Initiator_Account string
}

type friendAddBody struct {
	CallbackCommand string
	PairList        []addedPair
	ClientCmd       string
	Admin_Account   string
	ForceFlag       int
}

// ClientCmd values of Sns.CallbackFriendAdd.
const (
	cmdFriendAdd      = "friend_add"
	cmdFriendResponse = "friend_response"
)

// AfterAdd queues Sns.CallbackFriendAdd: one callback per call, every
// entry written listed (a two-way add is two pairs).
func (h Relations) AfterAdd(ctx context.Context, appID uint64, pairs []relation.AddedPair, response, force bool) {
	body := &friendAddBody{CallbackCommand: SnsFriendAdd, PairList: make([]addedPair, len(pairs)), ClientCmd: cmdFriendAdd,
		Admin_Account: OriginOf(ctx).Admin, ForceFlag: onlineFlag(force)}
	if response {
		body.ClientCmd = cmdFriendResponse
	}
	for i, p := range pairs {
		body.PairList[i] = addedPair{From_Account: p.From, To_Account: p.To, Initiator_Account: p.Initiator}
	}
	h.s.after(ctx, appID, SnsFriendAdd, snsKey(pairs[0].From, pairs[0].To), job{value: body})
}

type pair struct {
	From_Account string
	To_Account   string
}

type pairsBody struct {
	CallbackCommand string
	PairList        []pair
}

// snsKey orders the relationship callbacks of a pair of users.
func snsKey(a, b string) string { return "sns " + conversation(a, b) }

func (h Relations) pairs(ctx context.Context, appID uint64, command string, ps []relation.PairItem) {
	body := &pairsBody{CallbackCommand: command, PairList: make([]pair, len(ps))}
	for i, p := range ps {
		body.PairList[i] = pair{p.From, p.To}
	}
	h.s.after(ctx, appID, command, snsKey(ps[0].From, ps[0].To), job{value: body})
}

// AfterDelete queues Sns.CallbackFriendDelete.
func (h Relations) AfterDelete(ctx context.Context, appID uint64, ps []relation.PairItem) {
	h.pairs(ctx, appID, SnsFriendDelete, ps)
}

// AfterBlock queues Sns.CallbackBlackListAdd.
func (h Relations) AfterBlock(ctx context.Context, appID uint64, ps []relation.PairItem) {
	h.pairs(ctx, appID, SnsBlackListAdd, ps)
}

// AfterUnblock queues Sns.CallbackBlackListDelete.
func (h Relations) AfterUnblock(ctx context.Context, appID uint64, ps []relation.PairItem) {
	h.pairs(ctx, appID, SnsBlackListDelete, ps)
}
