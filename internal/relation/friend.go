package relation

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/profile"
)

// customValue checks a custom friend field: a declared tag, and a string
// of at most MaxCustomValue bytes or an integer (S5 accepts both).
func (s *Service) customValue(appID uint64, tv im.TagValue) error {
	if !s.custom[appID][tv.Tag] {
		return badParam("%s is not a declared custom friend field", tv.Tag)
	}
	if str, ok := profile.String(tv.Value); ok {
		if len(str) > MaxCustomValue {
			return badParam("%s is %d bytes, at most %d", tv.Tag, len(str), MaxCustomValue)
		}
		return nil
	}
	var n int64
	if len(tv.Value) == 0 || tv.Value[0] != '-' && (tv.Value[0] < '0' || tv.Value[0] > '9') || json.Unmarshal(tv.Value, &n) != nil {
		return badParam("%s takes a string or an integer", tv.Tag)
	}
	return nil
}

// unique returns names without repeats, in their first order.
func unique(names []string) []string {
	var out []string
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// checkLists checks friend list names: 1 to MaxListName bytes, at most
// MaxLists of them.
func checkLists(names []string) error {
	if len(names) > MaxLists {
		return badParam("at most %d friend lists, got %d", MaxLists, len(names))
	}
	for _, n := range names {
		if n == "" || len(n) > MaxListName {
			return badParam("a friend list name is 1 to %d bytes, got %q", MaxListName, n)
		}
	}
	return nil
}

// newLists returns the names among want the owner does not have, and
// whether having them too stays within MaxLists.
func newLists(have, want []string) ([]string, bool) {
	var add []string
	for _, n := range unique(want) {
		if !slices.Contains(have, n) {
			add = append(add, n)
		}
	}
	return add, len(have)+len(add) <= MaxLists
}

// ImportItem is one entry of friend_import.
type ImportItem struct {
	To         string        `json:"To_Account"`
	AddSource  string        `json:"AddSource"`
	Remark     string        `json:"Remark"`
	RemarkTime int64         `json:"RemarkTime"`
	GroupName  []string      `json:"GroupName"`
	AddWording string        `json:"AddWording"`
	AddTime    int64         `json:"AddTime"`
	CustomItem []im.TagValue `json:"CustomItem"`
}

// ImportRequest is friend_import's body.
type ImportRequest struct {
	From          string       `json:"From_Account"`
	AddFriendItem []ImportItem `json:"AddFriendItem"`
}

func (s *Service) checkImport(appID uint64, req *ImportRequest) error {
	if err := owner(req.From); err != nil {
		return err
	}
	if err := items("AddFriendItem", len(req.AddFriendItem)); err != nil {
		return err
	}
	for _, it := range req.AddFriendItem {
		if err := checkEntry(it.To, it.AddSource, it.Remark, it.AddWording); err != nil {
			return err
		}
		if it.AddTime < 0 || it.RemarkTime < 0 {
			return badParam("AddTime and RemarkTime must not be negative")
		}
		if err := checkLists(it.GroupName); err != nil {
			return err
		}
		for _, tv := range it.CustomItem {
			if err := s.customValue(appID, tv); err != nil {
				return err
			}
		}
	}
	return nil
}

// Import loads one-way entries into req.From's table as given: no
// verification, no blocklist check, no pending request; an entry already
// there is replaced. Per entry: 30003 the friend is not an account, 30010
// the table is full, 30011 its lists would be too many.
func (s *Service) Import(ctx context.Context, appID uint64, req *ImportRequest) (*BatchResult, error) {
	if err := s.checkImport(appID, req); err != nil {
		return nil, err
	}
	ids := make([]string, len(req.AddFriendItem))
	for i, it := range req.AddFriendItem {
		ids[i] = it.To
	}
	out := &BatchResult{ResultItem: []ItemResult{}}
	err := s.update(ctx, appID, with(ids, req.From), func(r im.RelationReader, accounts map[string]bool) (*change, error) {
		if !accounts[req.From] {
			return nil, notAccount(req.From)
		}
		existing, err := r.Friends(ctx, appID, req.From, ids)
		if err != nil {
			return nil, err
		}
		mine := byUser(existing)
		counts, err := r.CountFriends(ctx, appID, []string{req.From})
		if err != nil {
			return nil, err
		}
		lists, err := r.FriendLists(ctx, appID, req.From)
		if err != nil {
			return nil, err
		}
		c, now := newChange(), s.now().Unix()
		for _, it := range req.AddFriendItem {
			_, replace := mine[it.To]
			add, room := newLists(lists, it.GroupName)
			switch {
			case it.To == req.From:
				out.add(it.To, im.CodeSNSBadParam, "Err_SNS_FriendImport_Add_Self")
				continue
			case !accounts[it.To]:
				out.add(it.To, im.CodeSNSAccountNotFound, "Err_SNS_FriendImport_Account_Not_Exist")
				continue
			case !replace && counts[req.From] >= MaxFriends:
				out.add(it.To, im.CodeSNSFriendLimit, "Err_SNS_FriendImport_My_Friend_Num_Exceed_Threshold")
				continue
			case !room:
				out.add(it.To, im.CodeSNSListLimit, "Err_SNS_FriendImport_Group_Num_Exceed_Threshold")
				continue
			}
			for _, n := range add {
				c.w.PutLists = append(c.w.PutLists, im.OwnedList{Owner: req.From, Name: n})
			}
			lists = append(lists, add...)
			f := im.Friend{UserID: it.To, AddSource: it.AddSource, AddWording: it.AddWording, AddTime: it.AddTime,
				Remark: it.Remark, RemarkTime: it.RemarkTime, Lists: unique(it.GroupName), Custom: it.CustomItem}
			if f.AddTime == 0 {
				f.AddTime = now
			}
			c.addFriend(req.From, f)
			if !replace {
				counts[req.From]++
			}
			mine[it.To] = f
			out.add(it.To, 0, "")
		}
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateItem is one friend of friend_update and the fields to write:
// Tag_SNS_IM_Remark, Tag_SNS_IM_Group (replacing the friend's lists) or
// a declared Tag_SNS_Custom_* field.
type UpdateItem struct {
	To      string        `json:"To_Account"`
	SnsItem []im.TagValue `json:"SnsItem"`
}

// UpdateRequest is friend_update's body; a client's update_friend sends
// the same without From_Account.
type UpdateRequest struct {
	From       string       `json:"From_Account"`
	UpdateItem []UpdateItem `json:"UpdateItem"`
}

// UpdateEvent is FriendUpdated: what the owner changed, as written.
type UpdateEvent struct {
	Type       string       `json:"Type"`
	UpdateItem []UpdateItem `json:"UpdateItem"`
}

// edit is one checked field write of friend_update.
type edit struct {
	tag    string
	remark string
	lists  []string
	value  im.TagValue
}

func (s *Service) checkUpdate(appID uint64, req *UpdateRequest) ([][]edit, error) {
	if err := owner(req.From); err != nil {
		return nil, err
	}
	if err := items("UpdateItem", len(req.UpdateItem)); err != nil {
		return nil, err
	}
	out := make([][]edit, len(req.UpdateItem))
	for i, it := range req.UpdateItem {
		if it.To == "" || len(it.SnsItem) == 0 {
			return nil, badParam("UpdateItem needs To_Account and at least one SnsItem")
		}
		for _, tv := range it.SnsItem {
			e := edit{tag: tv.Tag, value: tv}
			switch tv.Tag {
			case TagRemark:
				r, ok := profile.String(tv.Value)
				if !ok || len(r) > MaxRemark {
					return nil, badParam("%s takes a string of at most %d bytes", TagRemark, MaxRemark)
				}
				e.remark = r
			case TagGroup:
				if json.Unmarshal(tv.Value, &e.lists) != nil || e.lists == nil {
					return nil, badParam("%s takes an array of friend list names", TagGroup)
				}
				if err := checkLists(e.lists); err != nil {
					return nil, err
				}
				e.lists = unique(e.lists)
			default:
				if err := s.customValue(appID, tv); err != nil {
					return nil, err
				}
			}
			out[i] = append(out[i], e)
		}
	}
	return out, nil
}

// Update changes what req.From keeps about existing friends; only From's
// side changes. A target not in the table gets 30001; lists that would be
// one too many 30011.
func (s *Service) Update(ctx context.Context, appID uint64, req *UpdateRequest) (*BatchResult, error) {
	edits, err := s.checkUpdate(appID, req)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(req.UpdateItem))
	for i, it := range req.UpdateItem {
		ids[i] = it.To
	}
	out := &BatchResult{ResultItem: []ItemResult{}}
	err = s.update(ctx, appID, []string{req.From}, func(r im.RelationReader, accounts map[string]bool) (*change, error) {
		if !accounts[req.From] {
			return nil, notAccount(req.From)
		}
		existing, err := r.Friends(ctx, appID, req.From, ids)
		if err != nil {
			return nil, err
		}
		mine := byUser(existing)
		lists, err := r.FriendLists(ctx, appID, req.From)
		if err != nil {
			return nil, err
		}
		c, now := newChange(), s.now().Unix()
		ev := UpdateEvent{Type: TypeFriendUpdated}
		for i, it := range req.UpdateItem {
			f, ok := mine[it.To]
			if !ok {
				out.add(it.To, im.CodeSNSBadParam, "Err_SNS_FriendUpdate_Not_Friend")
				continue
			}
			var want []string
			for _, e := range edits[i] {
				want = append(want, e.lists...)
			}
			add, room := newLists(lists, want)
			if !room {
				out.add(it.To, im.CodeSNSListLimit, "Err_SNS_FriendUpdate_Group_Num_Exceed_Threshold")
				continue
			}
			for _, n := range add {
				c.w.PutLists = append(c.w.PutLists, im.OwnedList{Owner: req.From, Name: n})
			}
			lists = append(lists, add...)
			f, parts := apply(f, edits[i], now)
			mine[it.To] = f
			c.putFriend(req.From, f, parts)
			ev.UpdateItem = append(ev.UpdateItem, it)
			out.add(it.To, 0, "")
		}
		if len(ev.UpdateItem) > 0 {
			c.notify(req.From, ev)
		}
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// apply writes edits into f and says which versions they move.
func apply(f im.Friend, edits []edit, now int64) (im.Friend, im.RelationSeqs) {
	var parts im.RelationSeqs
	f.Custom = slices.Clone(f.Custom)
	for _, e := range edits {
		switch e.tag {
		case TagRemark:
			f.Remark, f.RemarkTime = e.remark, now
			parts.Friends = 1
		case TagGroup:
			f.Lists = e.lists
			parts.Friends, parts.Lists = 1, 1
		default:
			i := slices.IndexFunc(f.Custom, func(tv im.TagValue) bool { return tv.Tag == e.tag })
			if i < 0 {
				f.Custom = append(f.Custom, e.value)
			} else {
				f.Custom[i] = e.value
			}
			parts.Custom = 1
		}
	}
	return f, parts
}
