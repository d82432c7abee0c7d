package relation

import (
	"context"
	"slices"
	"strings"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/profile"
)

// AddType values (friend_add) and the Add_Type each pending request keeps.
const (
	AddBoth   = "Add_Type_Both"
	AddSingle = "Add_Type_Single"
)

// AddItem is one target of friend_add.
type AddItem struct {
	To         string `json:"To_Account"`
	AddSource  string `json:"AddSource"`
	Remark     string `json:"Remark"`
	GroupName  string `json:"GroupName"`
	AddWording string `json:"AddWording"`
}

// AddRequest is friend_add's body; a client's add_friend sends the same
// without From_Account (the user) and ForceAddFlags (admins only).
type AddRequest struct {
	From          string    `json:"From_Account"`
	AddFriendItem []AddItem `json:"AddFriendItem"`
	AddType       string    `json:"AddType"`
	ForceAddFlags int       `json:"ForceAddFlags"`
}

// validAddSource reports whether s is AddSource_Type_ and a keyword.
func validAddSource(s string) bool {
	k, ok := strings.CutPrefix(s, AddSourcePrefix)
	return ok && profile.ValidKeyword(k)
}

// check refuses a malformed request as a whole (30001).
func (req *AddRequest) check(access profile.Access) error {
	if err := owner(req.From); err != nil {
		return err
	}
	if err := items("AddFriendItem", len(req.AddFriendItem)); err != nil {
		return err
	}
	if req.AddType != "" && req.AddType != AddBoth && req.AddType != AddSingle {
		return badParam("AddType %q must be %s or %s", req.AddType, AddBoth, AddSingle)
	}
	if req.ForceAddFlags != 0 && (req.ForceAddFlags != 1 || access != profile.Admin) {
		return badParam("ForceAddFlags must be 0, or 1 for the app admin")
	}
	for _, it := range req.AddFriendItem {
		if err := checkEntry(it.To, it.AddSource, it.Remark, it.AddWording); err != nil {
			return err
		}
		if len(it.GroupName) > MaxListName {
			return badParam("GroupName is %d bytes, at most %d", len(it.GroupName), MaxListName)
		}
	}
	return nil
}

// items checks the number of items of a batch: 1 to MaxBatch.
func items(field string, n int) error {
	if n == 0 || n > MaxBatch {
		return badParam("%s must hold 1 to %d items, got %d", field, MaxBatch, n)
	}
	return nil
}

// checkEntry checks what an item of friend_add and of friend_import
// share.
func checkEntry(to, addSource, remark, wording string) error {
	switch {
	case to == "":
		return badParam("AddFriendItem.To_Account is required")
	case !validAddSource(addSource):
		return badParam("AddSource %q must be %s followed by 1-8 English letters", addSource, AddSourcePrefix)
	case len(remark) > MaxRemark:
		return badParam("Remark is %d bytes, at most %d", len(remark), MaxRemark)
	case len(wording) > MaxAddWording:
		return badParam("AddWording is %d bytes, at most %d", len(wording), MaxAddWording)
	}
	return nil
}

// RequestEvent is a FriendRequest event, and an entry of a client's list
// of pending requests.
type RequestEvent struct {
	Type       string `json:"Type,omitempty"`
	From       string `json:"From_Account"`
	To         string `json:"To_Account"`
	AddSource  string `json:"AddSource"`
	AddWording string `json:"AddWording"`
	AddType    string `json:"AddType"`
	AddTime    int64  `json:"AddTime"`
}

func requestEvent(typ string, q im.FriendRequest) RequestEvent {
	addType := AddSingle
	if q.Both {
		addType = AddBoth
	}
	return RequestEvent{Type: typ, From: q.From, To: q.To, AddSource: q.AddSource, AddWording: q.AddWording, AddType: addType, AddTime: q.Time}
}

// settings are what a user's profile says about friend requests.
type settings struct {
	allow     string // AllowType, AllowNeedConfirm when never set
	forbidden bool   // AdminForbid_Type_SendOut
}

func (s *Service) settings(ctx context.Context, appID uint64, userIDs []string) (map[string]settings, error) {
	found, err := s.profiles.Read(ctx, appID, userIDs, []string{profile.TagAllowType, profile.TagAdminForbidType}, profile.Admin)
	if err != nil {
		return nil, err
	}
	out := make(map[string]settings, len(found))
	for id, fields := range found {
		st := settings{allow: profile.AllowNeedConfirm}
		for _, f := range fields {
			v, _ := profile.String(f.Value)
			switch f.Tag {
			case profile.TagAllowType:
				st.allow = v
			case profile.TagAdminForbidType:
				st.forbidden = v == profile.ForbidSendOut
			}
		}
		out[id] = st
	}
	return out, nil
}

// Add adds friends to req.From's table (S6): at once when the target
// allows anyone or with ForceAddFlags; as a pending request (30539) when
// the target needs to confirm; never when the target denies everyone
// (30516).
// Add_Type_Both also writes From into the target's table. The items are
// decided in order, each seeing what the ones before it did.
func (s *Service) Add(ctx context.Context, appID uint64, access profile.Access, req *AddRequest) (*BatchResult, error) {
	if err := req.check(access); err != nil {
		return nil, err
	}
	ids := make([]string, len(req.AddFriendItem))
	for i, it := range req.AddFriendItem {
		ids[i] = it.To
	}
	users := with(ids, req.From)
	st, err := s.settings(ctx, appID, users)
	if err != nil {
		return nil, err
	}
	var refused map[string]ItemResult // the app's verdicts on a client's request
	if access == profile.User {
		refused = s.hooks.BeforeAdd(ctx, appID, req)
	}
	out := &BatchResult{ResultItem: []ItemResult{}}
	var done *change
	err = s.update(ctx, appID, users, func(r im.RelationReader, accounts map[string]bool) (*change, error) {
		if !accounts[req.From] {
			return nil, notAccount(req.From)
		}
		a, err := s.readAdd(ctx, r, appID, req.From, ids)
		if err != nil {
			return nil, err
		}
		c := newChange()
		now := s.now().Unix()
		both := req.AddType != AddSingle
		for _, it := range req.AddFriendItem {
			if v, ok := refused[it.To]; ok {
				out.add(it.To, v.ResultCode, v.ResultInfo)
				continue
			}
			code, info := a.decide(c, req.From, it, both, req.ForceAddFlags == 1, st, accounts, now)
			out.add(it.To, code, info)
		}
		done = c
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	s.report(ctx, appID, done, cause{initiator: req.From, force: req.ForceAddFlags == 1})
	return out, nil
}

// adding is what Add reads before deciding, kept up to date as it goes.
type adding struct {
	mine     map[string]im.Friend // From's entries for the targets
	theirs   set                  // targets whose table holds From
	blocked  set                  // targets on From's blocklist
	blockers set                  // targets whose blocklist holds From
	counts   map[string]int       // friend counts of From and the targets
	lists    []string             // From's friend lists
	requests map[im.Pair]bool     // pending requests from From
	sent     int                  // how many
}

func (s *Service) readAdd(ctx context.Context, r im.RelationReader, appID uint64, from string, ids []string) (*adding, error) {
	a := &adding{requests: map[im.Pair]bool{}}
	mine, err := r.Friends(ctx, appID, from, ids)
	if err != nil {
		return nil, err
	}
	a.mine = byUser(mine)
	theirs, err := r.FriendOwners(ctx, appID, from, ids)
	if err != nil {
		return nil, err
	}
	a.theirs = setOf(theirs)
	blocks, err := r.Blocks(ctx, appID, from, ids)
	if err != nil {
		return nil, err
	}
	a.blocked = set{}
	for _, b := range blocks {
		a.blocked[b.UserID] = true
	}
	blockers, err := r.Blockers(ctx, appID, from, ids)
	if err != nil {
		return nil, err
	}
	a.blockers = setOf(blockers)
	if a.counts, err = r.CountFriends(ctx, appID, with(ids, from)); err != nil {
		return nil, err
	}
	if a.lists, err = r.FriendLists(ctx, appID, from); err != nil {
		return nil, err
	}
	requests, err := r.FriendRequests(ctx, appID, from)
	if err != nil {
		return nil, err
	}
	for _, q := range requests {
		if q.From == from {
			a.requests[im.Pair{Owner: q.From, Peer: q.To}] = true
			a.sent++
		}
	}
	return a, nil
}

// decide settles one target, recording what it writes in c.
func (a *adding) decide(c *change, from string, it AddItem, both, force bool, st map[string]settings, accounts map[string]bool, now int64) (int, string) {
	to := it.To
	newList := it.GroupName != "" && !slices.Contains(a.lists, it.GroupName)
	switch {
	case to == from:
		return im.CodeSNSBadParam, "Err_SNS_FriendAdd_Add_Self"
	case !accounts[to]:
		return im.CodeSNSAccountNotFound, "Err_SNS_FriendAdd_Account_Not_Exist"
	case a.mine[to].UserID != "":
		return im.CodeSNSBadParam, "Err_SNS_FriendAdd_Friend_Exist"
	case !force && st[from].forbidden:
		return im.CodeSNSForbidSendOut, "Err_SNS_FriendAdd_Forbidden"
	case a.blocked[to]:
		return im.CodeSNSPeerBlocked, "Err_SNS_FriendAdd_In_My_BlackList"
	case a.blockers[to]:
		return im.CodeSNSBlockedByPeer, "Err_SNS_FriendAdd_In_Other_BlackList"
	case a.counts[from] >= MaxFriends:
		return im.CodeSNSFriendLimit, "Err_SNS_FriendAdd_My_Friend_Num_Exceed_Threshold"
	case newList && len(a.lists) >= MaxLists:
		return im.CodeSNSListLimit, "Err_SNS_FriendAdd_Group_Num_Exceed_Threshold"
	}
	allow := st[to].allow
	switch {
	case !force && allow == profile.DenyAny:
		return im.CodeSNSDenyAny, "Err_SNS_FriendAdd_Deny_Any"
	case !force && allow != profile.AllowAny:
		pair := im.Pair{Owner: from, Peer: to}
		if !a.requests[pair] && a.sent >= MaxRequests {
			return im.CodeSNSRequestLimit, "Err_SNS_FriendAdd_Pendency_Num_Exceed_Threshold"
		}
		if !a.requests[pair] {
			a.requests[pair] = true
			a.sent++
		}
		q := im.FriendRequest{From: from, To: to, AddSource: it.AddSource, AddWording: it.AddWording, Remark: it.Remark,
			List: it.GroupName, Both: both, Time: now}
		c.w.PutRequests = append(c.w.PutRequests, q)
		c.notify(from, requestEvent(TypeFriendRequest, q))
		c.notify(to, requestEvent(TypeFriendRequest, q))
		return im.CodeSNSPending, "Err_SNS_FriendAdd_Need_Confirm"
	case both && !a.theirs[to] && a.counts[to] >= MaxFriends:
		return im.CodeSNSPeerFriendLimit, "Err_SNS_FriendAdd_Other_Friend_Num_Exceed_Threshold"
	}
	if newList {
		a.lists = append(a.lists, it.GroupName)
		c.w.PutLists = append(c.w.PutLists, im.OwnedList{Owner: from, Name: it.GroupName})
	}
	f := im.Friend{UserID: to, AddSource: it.AddSource, AddWording: it.AddWording, AddTime: now, Remark: it.Remark}
	if it.Remark != "" {
		f.RemarkTime = now
	}
	if it.GroupName != "" {
		f.Lists = []string{it.GroupName}
	}
	a.befriend(c, from, f, both)
	if a.requests[im.Pair{Owner: from, Peer: to}] {
		c.w.DeleteRequests = append(c.w.DeleteRequests, im.Pair{Owner: from, Peer: to})
		delete(a.requests, im.Pair{Owner: from, Peer: to})
		a.sent--
	}
	return 0, ""
}

// befriend writes f into from's table and, when both, from into f's
// owner's table unless it is there already.
func (a *adding) befriend(c *change, from string, f im.Friend, both bool) {
	c.addFriend(from, f)
	a.mine[f.UserID] = f
	a.counts[from]++
	if both && !a.theirs[f.UserID] {
		c.addFriend(f.UserID, im.Friend{UserID: from, AddSource: f.AddSource, AddTime: f.AddTime})
		a.theirs[f.UserID] = true
		a.counts[f.UserID]++
	}
}
