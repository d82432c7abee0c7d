package relation

import (
	"context"

	"github.com/chatd/chatd/internal/im"
)

// DeleteType values.
const (
	DeleteSingle = "Delete_Type_Single"
	DeleteBoth   = "Delete_Type_Both"
)

// DeleteRequest is friend_delete's body; a client's delete_friend sends
// the same without From_Account.
type DeleteRequest struct {
	From       string   `json:"From_Account"`
	To         []string `json:"To_Account"`
	DeleteType string   `json:"DeleteType"`
}

// DeleteResult is friend_delete's answer: per-target results without
// Fail_Account, as the spec's field table and example have it.
type DeleteResult struct {
	ResultItem   []ItemResult `json:"ResultItem"`
	ErrorDisplay string       `json:"ErrorDisplay"`
}

// deleteBoth reads a DeleteType, single by default.
func deleteBoth(t string) (bool, error) {
	switch t {
	case "", DeleteSingle:
		return false, nil
	case DeleteBoth:
		return true, nil
	}
	return false, badParam("DeleteType %q must be %s or %s", t, DeleteSingle, DeleteBoth)
}

// Delete removes friends from req.From's table, and with
// Delete_Type_Both From from theirs. A target not in From's table gets
// 31704 and nothing is done for it.
func (s *Service) Delete(ctx context.Context, appID uint64, req *DeleteRequest) (*DeleteResult, error) {
	if err := owner(req.From); err != nil {
		return nil, err
	}
	if err := targets("To_Account", req.To, MaxBatch); err != nil {
		return nil, err
	}
	both, err := deleteBoth(req.DeleteType)
	if err != nil {
		return nil, err
	}
	out := &DeleteResult{ResultItem: []ItemResult{}}
	var done *change
	err = s.update(ctx, appID, with(req.To, req.From), func(r im.RelationReader, accounts map[string]bool) (*change, error) {
		if !accounts[req.From] {
			return nil, notAccount(req.From)
		}
		c, err := s.unfriend(ctx, r, appID, req.From, req.To, both)
		if err != nil {
			return nil, err
		}
		done = c
		gone := map[string]bool{}
		for _, p := range c.w.DeleteFriends {
			if p.Owner == req.From {
				gone[p.Peer] = true
			}
		}
		for _, to := range req.To {
			if gone[to] {
				out.ResultItem = append(out.ResultItem, ItemResult{To: to})
			} else {
				out.ResultItem = append(out.ResultItem, ItemResult{To: to, ResultCode: im.CodeSNSNotFriend, ResultInfo: "not friends"})
			}
		}
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	s.report(ctx, appID, done, cause{})
	return out, nil
}

// unfriend removes the peers (every friend when peers is nil) from
// ownerID's table and, when both, ownerID from theirs.
func (s *Service) unfriend(ctx context.Context, r im.RelationReader, appID uint64, ownerID string, peers []string, both bool) (*change, error) {
	mine, err := r.Friends(ctx, appID, ownerID, peers)
	if err != nil {
		return nil, err
	}
	c := newChange()
	if len(mine) == 0 {
		return c, nil
	}
	ids := make([]string, len(mine))
	for i, f := range mine {
		ids[i] = f.UserID
		c.deleteFriend(ownerID, f)
	}
	if !both {
		return c, nil
	}
	back, err := r.FriendOwners(ctx, appID, ownerID, ids)
	if err != nil {
		return nil, err
	}
	for _, peer := range back {
		// Their entry is not read: every part of their data counts as
		// changed, which at worst makes their clients read it again.
		c.dropFriend(peer, ownerID, im.RelationSeqs{Friends: 1, Custom: 1, Lists: 1})
	}
	return c, nil
}

// DeleteAllRequest is friend_delete_all's body.
type DeleteAllRequest struct {
	From       string `json:"From_Account"`
	DeleteType string `json:"DeleteType"`
}

// Empty is the answer of calls that return nothing but ErrorDisplay.
type Empty struct {
	ErrorDisplay string `json:"ErrorDisplay"`
}

// DeleteAll empties req.From's friend table (standard and custom data;
// the friend lists stay), and with Delete_Type_Both removes From from
// every friend's table.
func (s *Service) DeleteAll(ctx context.Context, appID uint64, req *DeleteAllRequest) (*Empty, error) {
	if err := owner(req.From); err != nil {
		return nil, err
	}
	both, err := deleteBoth(req.DeleteType)
	if err != nil {
		return nil, err
	}
	// The friends are read first so that their accounts are locked too;
	// one added meanwhile is still removed, with a lock taken late.
	users := []string{req.From}
	if both {
		friends, err := s.store.Friends(ctx, appID, req.From, nil)
		if err != nil {
			return nil, err
		}
		for _, f := range friends {
			users = append(users, f.UserID)
		}
	}
	var done *change
	err = s.update(ctx, appID, users, func(r im.RelationReader, accounts map[string]bool) (*change, error) {
		if !accounts[req.From] {
			return nil, notAccount(req.From)
		}
		c, err := s.unfriend(ctx, r, appID, req.From, nil, both)
		done = c
		return c, err
	})
	if err != nil {
		return nil, err
	}
	s.report(ctx, appID, done, cause{})
	return &Empty{}, nil
}
