package relation

import (
	"context"
	"slices"

	"github.com/chatd/chatd/internal/im"
)

// Answers to a pending friend request (a client's respond_friend_request).
const (
	// Agree puts the target into the requester's table only.
	Agree = "Response_Action_Agree"
	// AgreeAndAdd puts each into the other's table.
	AgreeAndAdd = "Response_Action_AgreeAndAdd"
	// Reject drops the request.
	Reject = "Response_Action_Reject"
)

// RespondRequest answers the pending request From_Account sent the user.
// Remark and GroupName are what the user keeps about the requester when
// adding them back (AgreeAndAdd).
type RespondRequest struct {
	From           string `json:"From_Account"`
	ResponseAction string `json:"ResponseAction"`
	Remark         string `json:"Remark"`
	GroupName      string `json:"GroupName"`
}

// AnswerEvent is FriendRequestAccepted or FriendRequestRejected.
type AnswerEvent struct {
	Type           string `json:"Type"`
	From           string `json:"From_Account"`
	To             string `json:"To_Account"`
	ResponseAction string `json:"ResponseAction"`
}

// Respond answers, as userID, the request req.From sent them: 30614 when
// there is none. Accepting writes the friendship as S6 says (the
// requester's side with what they asked for) unless a blocklist stands
// between them now (30515, 30525) or a table is full (30010, 30014), or
// a new friend list would be one too many (30011); both users hear of the
// answer.
func (s *Service) Respond(ctx context.Context, appID uint64, userID string, req *RespondRequest) error {
	if req.From == "" {
		return badParam("From_Account is required")
	}
	if !slices.Contains([]string{Agree, AgreeAndAdd, Reject}, req.ResponseAction) {
		return badParam("ResponseAction %q must be %s, %s or %s", req.ResponseAction, Agree, AgreeAndAdd, Reject)
	}
	if len(req.Remark) > MaxRemark || len(req.GroupName) > MaxListName {
		return badParam("Remark is at most %d bytes, GroupName at most %d", MaxRemark, MaxListName)
	}
	if err := s.hooks.BeforeRespond(ctx, appID, userID, req); err != nil {
		return err
	}
	var done *change
	err := s.update(ctx, appID, []string{userID, req.From}, func(r im.RelationReader, accounts map[string]bool) (*change, error) {
		q, err := pending(ctx, r, appID, req.From, userID)
		if err != nil {
			return nil, err
		}
		c := newChange()
		done = c
		c.w.DeleteRequests = []im.Pair{{Owner: q.From, Peer: q.To}}
		answer := AnswerEvent{Type: TypeFriendRequestRejected, From: q.From, To: q.To, ResponseAction: req.ResponseAction}
		if req.ResponseAction != Reject {
			answer.Type = TypeFriendRequestAccepted
		}
		c.notify(q.From, answer)
		c.notify(q.To, answer)
		if req.ResponseAction == Reject {
			return c, nil
		}
		return c, s.accept(ctx, r, appID, c, q, req)
	})
	if err != nil {
		return err
	}
	s.report(ctx, appID, done, cause{initiator: req.From, response: true})
	return nil
}

// pending finds the request from -> to, or 30614.
func pending(ctx context.Context, r im.RelationReader, appID uint64, from, to string) (im.FriendRequest, error) {
	all, err := r.FriendRequests(ctx, appID, to)
	if err != nil {
		return im.FriendRequest{}, err
	}
	for _, q := range all {
		if q.From == from && q.To == to {
			return q, nil
		}
	}
	return im.FriendRequest{}, im.Errorf(im.CodeSNSNoRequest, "no pending friend request from %s", from)
}

// accept writes what accepting q makes, into c.
func (s *Service) accept(ctx context.Context, r im.RelationReader, appID uint64, c *change, q im.FriendRequest, req *RespondRequest) error {
	requester, target := q.From, q.To
	a, err := s.readAdd(ctx, r, appID, requester, []string{target})
	if err != nil {
		return err
	}
	back := req.ResponseAction == AgreeAndAdd
	switch {
	case a.blocked[target]:
		return im.Errorf(im.CodeSNSBlockedByPeer, "%s is on %s's blocklist", target, requester)
	case a.blockers[target]:
		return im.Errorf(im.CodeSNSPeerBlocked, "%s is on your blocklist", requester)
	case a.mine[target].UserID == "" && a.counts[requester] >= MaxFriends:
		return im.Errorf(im.CodeSNSPeerFriendLimit, "%s has %d friends already", requester, MaxFriends)
	case back && !a.theirs[target] && a.counts[target] >= MaxFriends:
		return im.Errorf(im.CodeSNSFriendLimit, "you have %d friends already", MaxFriends)
	}
	now := s.now().Unix()
	if a.mine[target].UserID == "" {
		f := im.Friend{UserID: target, AddSource: q.AddSource, AddWording: q.AddWording, AddTime: now, Remark: q.Remark}
		if q.Remark != "" {
			f.RemarkTime = now
		}
		// The requester's list is kept only while they have room for it:
		// their answer has come, and a full set of lists must not undo it.
		if q.List != "" && (slices.Contains(a.lists, q.List) || len(a.lists) < MaxLists) {
			f.Lists = []string{q.List}
			if !slices.Contains(a.lists, q.List) {
				c.w.PutLists = append(c.w.PutLists, im.OwnedList{Owner: requester, Name: q.List})
			}
		}
		c.addFriend(requester, f)
	}
	if !back || a.theirs[target] {
		return nil
	}
	f := im.Friend{UserID: requester, AddSource: q.AddSource, AddTime: now, Remark: req.Remark}
	if req.Remark != "" {
		f.RemarkTime = now
	}
	if req.GroupName != "" {
		lists, err := r.FriendLists(ctx, appID, target)
		if err != nil {
			return err
		}
		if !slices.Contains(lists, req.GroupName) {
			if len(lists) >= MaxLists {
				return im.Errorf(im.CodeSNSListLimit, "you have %d friend lists already", MaxLists)
			}
			c.w.PutLists = append(c.w.PutLists, im.OwnedList{Owner: target, Name: req.GroupName})
		}
		f.Lists = []string{req.GroupName}
	}
	c.addFriend(target, f)
	return nil
}

// RequestsResult lists a user's pending requests, sent and received.
type RequestsResult struct {
	RequestItem []RequestEvent `json:"RequestItem"`
}

// Requests returns the pending requests from or to userID, oldest first.
func (s *Service) Requests(ctx context.Context, appID uint64, userID string) (*RequestsResult, error) {
	all, err := s.store.FriendRequests(ctx, appID, userID)
	if err != nil {
		return nil, err
	}
	out := &RequestsResult{RequestItem: make([]RequestEvent, len(all))}
	for i, q := range all {
		out.RequestItem[i] = requestEvent("", q)
	}
	return out, nil
}
