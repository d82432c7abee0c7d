package relation

import (
	"context"
	"fmt"

	"github.com/chatd/chatd/internal/batch"
	"github.com/chatd/chatd/internal/im"
)

// BlockRequest is black_list_add's and black_list_delete's body; a
// client's add_blocklist and delete_blocklist send the same without
// From_Account.
type BlockRequest struct {
	From string   `json:"From_Account"`
	To   []string `json:"To_Account"`
}

// BlocklistEvent is BlocklistAdded or BlocklistDeleted, for the owner.
type BlocklistEvent struct {
	Type string   `json:"Type"`
	To   []string `json:"To_Account"`
}

func (req *BlockRequest) check() error {
	if err := owner(req.From); err != nil {
		return err
	}
	return targets("To_Account", req.To, MaxBatch)
}

// Block puts users on req.From's blocklist (S6): a friendship between the
// two, either way, ends. Per target: 30001 oneself or already blocked,
// 30003 not an account, 30013 the blocklist is full.
func (s *Service) Block(ctx context.Context, appID uint64, req *BlockRequest) (*BatchResult, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	out := &BatchResult{ResultItem: []ItemResult{}}
	var done *change
	err := s.update(ctx, appID, with(req.To, req.From), func(r im.RelationReader, accounts map[string]bool) (*change, error) {
		if !accounts[req.From] {
			return nil, notAccount(req.From)
		}
		all, err := r.Blocks(ctx, appID, req.From, nil)
		if err != nil {
			return nil, err
		}
		blocked := set{}
		for _, b := range all {
			blocked[b.UserID] = true
		}
		now := s.now().Unix()
		ev := BlocklistEvent{Type: TypeBlocklistAdded}
		for _, to := range req.To {
			switch {
			case to == req.From:
				out.add(to, im.CodeSNSBadParam, "Err_SNS_BlackListAdd_Add_Self")
			case !accounts[to]:
				out.add(to, im.CodeSNSAccountNotFound, "Err_SNS_BlackListAdd_Account_Not_Exist")
			case blocked[to]:
				out.add(to, im.CodeSNSBadParam, "Err_SNS_BlackListAdd_Already_Exist")
			case len(blocked) >= MaxBlocks:
				out.add(to, im.CodeSNSBlockLimit, "Err_SNS_BlackListAdd_Black_Num_Exceed_Threshold")
			default:
				blocked[to] = true
				ev.To = append(ev.To, to)
				out.add(to, 0, "")
			}
		}
		if len(ev.To) == 0 {
			return nil, nil
		}
		c, err := s.unfriend(ctx, r, appID, req.From, ev.To, true)
		if err != nil {
			return nil, err
		}
		for _, to := range ev.To {
			c.w.PutBlocks = append(c.w.PutBlocks, im.OwnedBlock{Owner: req.From, Block: im.Block{UserID: to, Time: now}})
		}
		c.touch(req.From, im.RelationSeqs{Blocks: 1})
		c.notify(req.From, ev)
		done = c
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	s.report(ctx, appID, done, cause{})
	return out, nil
}

// Unblock takes users off req.From's blocklist; a friendship blocking
// ended stays ended. A target not on it gets 30001.
func (s *Service) Unblock(ctx context.Context, appID uint64, req *BlockRequest) (*BatchResult, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	out := &BatchResult{ResultItem: []ItemResult{}}
	var done *change
	err := s.update(ctx, appID, []string{req.From}, func(r im.RelationReader, accounts map[string]bool) (*change, error) {
		if !accounts[req.From] {
			return nil, notAccount(req.From)
		}
		found, err := r.Blocks(ctx, appID, req.From, req.To)
		if err != nil {
			return nil, err
		}
		blocked := set{}
		for _, b := range found {
			blocked[b.UserID] = true
		}
		c := newChange()
		ev := BlocklistEvent{Type: TypeBlocklistDeleted}
		for _, to := range req.To {
			if !blocked[to] {
				out.add(to, im.CodeSNSBadParam, "Err_SNS_BlackListDelete_Not_Exist")
				continue
			}
			delete(blocked, to)
			c.w.DeleteBlocks = append(c.w.DeleteBlocks, im.Pair{Owner: req.From, Peer: to})
			ev.To = append(ev.To, to)
			out.add(to, 0, "")
		}
		if len(ev.To) > 0 {
			c.touch(req.From, im.RelationSeqs{Blocks: 1})
			c.notify(req.From, ev)
		}
		done = c
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	s.report(ctx, appID, done, cause{})
	return out, nil
}

// BlockGetRequest is black_list_get's body; a client's get_blocklist
// sends the same without From_Account.
type BlockGetRequest struct {
	From         string `json:"From_Account"`
	StartIndex   int    `json:"StartIndex"`
	MaxLimited   int    `json:"MaxLimited"`
	LastSequence int64  `json:"LastSequence"`
}

// BlockItem is one blocklist entry.
type BlockItem struct {
	To   string `json:"To_Account"`
	Time int64  `json:"AddBlackTimeStamp"`
}

// BlockGetResult is black_list_get's answer. The version is sent under
// the vendor's misspelt key and the correct one.
type BlockGetResult struct {
	BlackListItem    []BlockItem `json:"BlackListItem"`
	StartIndex       int         `json:"StartIndex"`
	CurruentSequence int64       `json:"CurruentSequence"`
	CurrentSequence  int64       `json:"CurrentSequence"`
	ErrorDisplay     string      `json:"ErrorDisplay"`
}

// GetBlocks returns up to MaxLimited entries of req.From's blocklist from
// StartIndex, oldest first; the answer's StartIndex is where the next
// page starts, 0 after the last.
func (s *Service) GetBlocks(ctx context.Context, appID uint64, req *BlockGetRequest) (*BlockGetResult, error) {
	if err := owner(req.From); err != nil {
		return nil, err
	}
	if req.StartIndex < 0 || req.MaxLimited < 1 || req.MaxLimited > MaxBlocks {
		return nil, badParam("StartIndex must not be negative and MaxLimited must be 1 to %d", MaxBlocks)
	}
	seqs, err := s.seqs(ctx, s.store, appID, req.From)
	if err != nil {
		return nil, err
	}
	all, err := s.store.Blocks(ctx, appID, req.From, nil)
	if err != nil {
		return nil, err
	}
	out := &BlockGetResult{BlackListItem: []BlockItem{}, CurruentSequence: seqs.Blocks, CurrentSequence: seqs.Blocks}
	page := all[min(req.StartIndex, len(all)):]
	if len(page) > req.MaxLimited {
		page = page[:req.MaxLimited]
		out.StartIndex = req.StartIndex + req.MaxLimited
	}
	for _, b := range page {
		out.BlackListItem = append(out.BlackListItem, BlockItem{To: b.UserID, Time: b.Time})
	}
	return out, nil
}

// CheckBlocks reports the blocklist relation between req.From and each
// target (S6): in single mode only From's blocklist is read.
func (s *Service) CheckBlocks(ctx context.Context, appID uint64, req *CheckRequest) (*BlockCheckResult, error) {
	items, err := s.check(ctx, appID, req, blockCheck, func(both bool) ([]string, []string, error) {
		mine, err := s.store.Blocks(ctx, appID, req.From, req.To)
		blocked := make([]string, len(mine))
		for i, b := range mine {
			blocked[i] = b.UserID
		}
		if err != nil || !both {
			return blocked, nil, err
		}
		theirs, err := s.store.Blockers(ctx, appID, req.From, req.To)
		return blocked, theirs, err
	})
	if err != nil {
		return nil, err
	}
	return &BlockCheckResult{BlackListCheckItem: items}, nil
}

// CheckC2CSend refuses a one-to-one message from a sender on the
// recipient's blocklist (S6) with the send path's 20007. The entry is
// read in a batch with concurrent sends' checks.
func (s *Service) CheckC2CSend(ctx context.Context, appID uint64, from, to string) error {
	blocked, err := s.blockReads.One(ctx, batch.AppKey[im.Pair]{App: appID, Key: im.Pair{Owner: to, Peer: from}})
	if err != nil {
		return fmt.Errorf("relation: check send %s -> %s: %w", from, to, err)
	}
	if blocked {
		return im.Errorf(im.CodeC2CBlocked, "%s is on %s's blocklist", from, to)
	}
	return nil
}
