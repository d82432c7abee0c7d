package relation

import (
	"context"
	"slices"

	"github.com/chatd/chatd/internal/im"
)

// NeedFriend asks group_get for the members of each list.
const NeedFriend = "Need_Friend_Type_Yes"

// ListAddRequest is sns/group_add's body; a client's add_friend_list sends
// the same without From_Account.
type ListAddRequest struct {
	From      string   `json:"From_Account"`
	GroupName []string `json:"GroupName"`
	To        []string `json:"To_Account"`
}

// ListAddResult is group_add's answer: ResultItem only when friends were
// named.
type ListAddResult struct {
	ResultItem      []ItemResult `json:"ResultItem,omitempty"`
	FailAccount     []string     `json:"Fail_Account,omitempty"`
	CurrentSequence int64        `json:"CurrentSequence"`
	ErrorDisplay    string       `json:"ErrorDisplay"`
}

// ListsEvent is FriendListsAdded or FriendListsDeleted.
type ListsEvent struct {
	Type            string   `json:"Type"`
	GroupName       []string `json:"GroupName"`
	To              []string `json:"To_Account,omitempty"`
	CurrentSequence int64    `json:"CurrentSequence"`
}

// AddLists creates friend lists of req.From (a name that exists already
// is kept as it is) and puts the named friends into every one of them.
// Lists beyond MaxLists are 30011 for the whole call; a named user who is
// not a friend gets 30001.
func (s *Service) AddLists(ctx context.Context, appID uint64, req *ListAddRequest) (*ListAddResult, error) {
	if err := checkListNames(req.From, req.GroupName); err != nil {
		return nil, err
	}
	if req.To != nil {
		if err := targets("To_Account", req.To, MaxBatch); err != nil {
			return nil, err
		}
	}
	out := &ListAddResult{}
	err := s.update(ctx, appID, []string{req.From}, func(r im.RelationReader, accounts map[string]bool) (*change, error) {
		seqs, have, err := s.lists(ctx, r, appID, req.From)
		if err != nil {
			return nil, err
		}
		add, room := newLists(have, req.GroupName)
		if !room {
			return nil, im.Errorf(im.CodeSNSListLimit, "%s would have more than %d friend lists", req.From, MaxLists)
		}
		c := newChange()
		for _, n := range add {
			c.w.PutLists = append(c.w.PutLists, im.OwnedList{Owner: req.From, Name: n})
		}
		ev := ListsEvent{Type: TypeFriendListsAdded, GroupName: add}
		if req.To != nil {
			out.ResultItem = []ItemResult{}
			friends, err := r.Friends(ctx, appID, req.From, req.To)
			if err != nil {
				return nil, err
			}
			mine := byUser(friends)
			for _, to := range req.To {
				f, ok := mine[to]
				if !ok {
					out.ResultItem = append(out.ResultItem, ItemResult{To: to, ResultCode: im.CodeSNSBadParam, ResultInfo: "not a friend"})
					out.FailAccount = append(out.FailAccount, to)
					continue
				}
				out.ResultItem = append(out.ResultItem, ItemResult{To: to})
				if lists := unique(append(slices.Clone(f.Lists), req.GroupName...)); len(lists) > len(f.Lists) {
					f.Lists = lists
					mine[to] = f
					c.putFriend(req.From, f, im.RelationSeqs{Friends: 1, Lists: 1})
					ev.To = append(ev.To, to)
				}
			}
		}
		out.CurrentSequence = seqs.Lists
		if len(add) > 0 || len(ev.To) > 0 {
			c.touch(req.From, im.RelationSeqs{Lists: 1})
			out.CurrentSequence++
			ev.CurrentSequence = out.CurrentSequence
			if ev.GroupName == nil {
				ev.GroupName = []string{}
			}
			c.notify(req.From, ev)
		}
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lists reads an owner's versions (30003 for no account) and list names.
func (s *Service) lists(ctx context.Context, r im.RelationReader, appID uint64, ownerID string) (im.RelationSeqs, []string, error) {
	seqs, err := s.seqs(ctx, r, appID, ownerID)
	if err != nil {
		return seqs, nil, err
	}
	names, err := r.FriendLists(ctx, appID, ownerID)
	return seqs, names, err
}

// checkListNames checks the owner and the list names of group_add and
// group_delete: 1 to MaxLists names of 1 to MaxListName bytes.
func checkListNames(from string, names []string) error {
	if err := owner(from); err != nil {
		return err
	}
	if len(names) == 0 {
		return badParam("GroupName must name at least one list")
	}
	return checkLists(names)
}

// ListDeleteRequest is sns/group_delete's body.
type ListDeleteRequest struct {
	From      string   `json:"From_Account"`
	GroupName []string `json:"GroupName"`
}

// ListDeleteResult is group_delete's answer.
type ListDeleteResult struct {
	CurrentSequence int64  `json:"CurrentSequence"`
	ErrorDisplay    string `json:"ErrorDisplay"`
}

// DeleteLists deletes friend lists of req.From; their friends stay
// friends, outside those lists. A name that is no list is ignored.
func (s *Service) DeleteLists(ctx context.Context, appID uint64, req *ListDeleteRequest) (*ListDeleteResult, error) {
	if err := checkListNames(req.From, req.GroupName); err != nil {
		return nil, err
	}
	out := &ListDeleteResult{}
	err := s.update(ctx, appID, []string{req.From}, func(r im.RelationReader, accounts map[string]bool) (*change, error) {
		seqs, have, err := s.lists(ctx, r, appID, req.From)
		if err != nil {
			return nil, err
		}
		c := newChange()
		var gone []string
		for _, n := range unique(req.GroupName) {
			if slices.Contains(have, n) {
				gone = append(gone, n)
				c.w.DeleteLists = append(c.w.DeleteLists, im.OwnedList{Owner: req.From, Name: n})
			}
		}
		out.CurrentSequence = seqs.Lists
		if len(gone) == 0 {
			return c, nil
		}
		friends, err := r.Friends(ctx, appID, req.From, nil)
		if err != nil {
			return nil, err
		}
		for _, f := range friends {
			kept := slices.DeleteFunc(slices.Clone(f.Lists), func(n string) bool { return slices.Contains(gone, n) })
			if len(kept) < len(f.Lists) {
				f.Lists = kept
				c.putFriend(req.From, f, im.RelationSeqs{Friends: 1})
			}
		}
		c.touch(req.From, im.RelationSeqs{Lists: 1})
		out.CurrentSequence++
		c.notify(req.From, ListsEvent{Type: TypeFriendListsDeleted, GroupName: gone, CurrentSequence: out.CurrentSequence})
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListGetRequest is sns/group_get's body; a client's get_friend_lists
// sends the same without From_Account.
type ListGetRequest struct {
	From         string   `json:"From_Account"`
	LastSequence int64    `json:"LastSequence"`
	NeedFriend   string   `json:"NeedFriend"`
	GroupName    []string `json:"GroupName"`
}

// ListItem is one friend list.
type ListItem struct {
	GroupName    string `json:"GroupName"`
	FriendNumber int    `json:"FriendNumber"`
	// To lists the members when asked for ([] for an empty list).
	To *[]string `json:"To_Account,omitempty"`
}

// ListGetResult is group_get's answer.
type ListGetResult struct {
	ResultItem      []ListItem `json:"ResultItem"`
	CurrentSequence int64      `json:"CurrentSequence"`
	ErrorDisplay    string     `json:"ErrorDisplay"`
}

// GetLists returns req.From's friend lists in creation order with their
// friend counts: the named ones with their members, or, when none is
// named, every list (with members on NeedFriend) unless LastSequence is
// the current version, which returns none (the caller has them).
func (s *Service) GetLists(ctx context.Context, appID uint64, req *ListGetRequest) (*ListGetResult, error) {
	if err := owner(req.From); err != nil {
		return nil, err
	}
	if req.NeedFriend != "" && req.NeedFriend != NeedFriend {
		return nil, badParam("NeedFriend %q must be %s or absent", req.NeedFriend, NeedFriend)
	}
	seqs, err := s.seqs(ctx, s.store, appID, req.From)
	if err != nil {
		return nil, err
	}
	out := &ListGetResult{ResultItem: []ListItem{}, CurrentSequence: seqs.Lists}
	if req.GroupName == nil && req.LastSequence == seqs.Lists {
		return out, nil
	}
	lists, err := s.store.FriendLists(ctx, appID, req.From)
	if err != nil {
		return nil, err
	}
	friends, err := s.store.Friends(ctx, appID, req.From, nil)
	if err != nil {
		return nil, err
	}
	members := map[string][]string{}
	for _, f := range friends {
		for _, n := range f.Lists {
			members[n] = append(members[n], f.UserID)
		}
	}
	withMembers := req.GroupName != nil || req.NeedFriend == NeedFriend
	for _, n := range lists {
		if req.GroupName != nil && !slices.Contains(req.GroupName, n) {
			continue
		}
		it := ListItem{GroupName: n, FriendNumber: len(members[n])}
		if withMembers {
			to := append([]string{}, members[n]...)
			it.To = &to
		}
		out.ResultItem = append(out.ResultItem, it)
	}
	return out, nil
}
