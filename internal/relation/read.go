package relation

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/profile"
)

// checkKinds are one check's CheckType values (single, both) and its four
// answers: both ways, B in A's table or list, A in B's, none (S6).
type checkKinds struct {
	single, both                   string
	bothWay, aWithB, bWithA, noRel string
}

var (
	friendCheck = checkKinds{"CheckResult_Type_Single", "CheckResult_Type_Both",
		"CheckResult_Type_BothWay", "CheckResult_Type_AWithB", "CheckResult_Type_BWithA", "CheckResult_Type_NoRelation"}
	blockCheck = checkKinds{"BlackCheckResult_Type_Single", "BlackCheckResult_Type_Both",
		"BlackCheckResult_Type_BothWay", "BlackCheckResult_Type_AWithB", "BlackCheckResult_Type_BWithA", "BlackCheckResult_Type_NO"}
)

// CheckRequest is friend_check's and black_list_check's body; a client's
// check_friend and check_blocklist send the same without From_Account.
type CheckRequest struct {
	From      string   `json:"From_Account"`
	To        []string `json:"To_Account"`
	CheckType string   `json:"CheckType"`
}

// CheckItem is one target's relation.
type CheckItem struct {
	To         string `json:"To_Account"`
	Relation   string `json:"Relation"`
	ResultCode int    `json:"ResultCode"`
	ResultInfo string `json:"ResultInfo"`
}

// CheckResult is friend_check's answer.
type CheckResult struct {
	InfoItem     []CheckItem `json:"InfoItem"`
	ErrorDisplay string      `json:"ErrorDisplay"`
}

// BlockCheckResult is black_list_check's answer.
type BlockCheckResult struct {
	BlackListCheckItem []CheckItem `json:"BlackListCheckItem"`
	ErrorDisplay       string      `json:"ErrorDisplay"`
}

// check answers a relation check: read returns the targets B with A
// (on A's side) and, when both sides are consulted, A with B.
func (s *Service) check(ctx context.Context, appID uint64, req *CheckRequest, k checkKinds,
	read func(both bool) (mine, theirs []string, err error)) ([]CheckItem, error) {
	if err := owner(req.From); err != nil {
		return nil, err
	}
	if err := targets("To_Account", req.To, MaxBatch); err != nil {
		return nil, err
	}
	if req.CheckType != k.single && req.CheckType != k.both {
		return nil, badParam("CheckType %q must be %s or %s", req.CheckType, k.single, k.both)
	}
	if _, err := s.seqs(ctx, s.store, appID, req.From); err != nil {
		return nil, err
	}
	both := req.CheckType == k.both
	mine, theirs, err := read(both)
	if err != nil {
		return nil, err
	}
	a, b := setOf(mine), setOf(theirs)
	out := make([]CheckItem, len(req.To))
	for i, to := range req.To {
		rel := k.noRel
		switch {
		case a[to] && b[to]:
			rel = k.bothWay
		case a[to]:
			rel = k.aWithB
		case b[to]:
			rel = k.bWithA
		}
		out[i] = CheckItem{To: to, Relation: rel}
	}
	return out, nil
}

// Check reports the friendship between req.From and each target (S6): in
// single mode only From's table is read.
func (s *Service) Check(ctx context.Context, appID uint64, req *CheckRequest) (*CheckResult, error) {
	items, err := s.check(ctx, appID, req, friendCheck, func(both bool) ([]string, []string, error) {
		mine, err := s.store.Friends(ctx, appID, req.From, req.To)
		if err != nil || !both {
			return ids(mine), nil, err
		}
		theirs, err := s.store.FriendOwners(ctx, appID, req.From, req.To)
		return ids(mine), theirs, err
	})
	if err != nil {
		return nil, err
	}
	return &CheckResult{InfoItem: items}, nil
}

func ids(fs []im.Friend) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.UserID
	}
	return out
}

// GetRequest is friend_get's body; a client's get_friends sends the same
// without From_Account.
type GetRequest struct {
	From             string `json:"From_Account"`
	StartIndex       int    `json:"StartIndex"`
	StandardSequence int64  `json:"StandardSequence"`
	CustomSequence   int64  `json:"CustomSequence"`
}

// FriendData is one friend of friend_get, with every field that is set.
type FriendData struct {
	To        string        `json:"To_Account"`
	ValueItem []im.TagValue `json:"ValueItem"`
}

// GetResult is friend_get's answer.
type GetResult struct {
	UserDataItem     []FriendData `json:"UserDataItem"`
	StandardSequence int64        `json:"StandardSequence"`
	CustomSequence   int64        `json:"CustomSequence"`
	FriendNum        int          `json:"FriendNum"`
	CompleteFlag     int          `json:"CompleteFlag"`
	NextStartIndex   int          `json:"NextStartIndex"`
	ErrorDisplay     string       `json:"ErrorDisplay"`
}

// Get returns a page of FriendPage friends of req.From from StartIndex,
// in UserID order. A sequence equal to the current one leaves that part
// of the data out: the caller has it.
func (s *Service) Get(ctx context.Context, appID uint64, req *GetRequest) (*GetResult, error) {
	if err := owner(req.From); err != nil {
		return nil, err
	}
	if req.StartIndex < 0 {
		return nil, badParam("StartIndex must not be negative")
	}
	seqs, err := s.seqs(ctx, s.store, appID, req.From)
	if err != nil {
		return nil, err
	}
	all, err := s.store.Friends(ctx, appID, req.From, nil)
	if err != nil {
		return nil, err
	}
	out := &GetResult{UserDataItem: []FriendData{}, StandardSequence: seqs.Friends, CustomSequence: seqs.Custom,
		FriendNum: len(all), CompleteFlag: 1}
	page := all[min(req.StartIndex, len(all)):]
	if len(page) > FriendPage {
		page = page[:FriendPage]
		out.CompleteFlag, out.NextStartIndex = 0, req.StartIndex+FriendPage
	}
	standard, custom := req.StandardSequence != seqs.Friends, req.CustomSequence != seqs.Custom
	for _, f := range page {
		d := FriendData{To: f.UserID, ValueItem: []im.TagValue{}}
		if standard {
			for _, tag := range standardTags {
				if v, ok := friendValue(f, tag); ok {
					d.ValueItem = append(d.ValueItem, im.TagValue{Tag: tag, Value: v})
				}
			}
		}
		if custom {
			d.ValueItem = append(d.ValueItem, f.Custom...)
		}
		out.UserDataItem = append(out.UserDataItem, d)
	}
	return out, nil
}

// standardTags are the standard friend fields in the order they are sent.
var standardTags = []string{TagAddSource, TagRemark, TagRemarkTime, TagGroup, TagAddWording, TagAddTime}

// friendValue returns a friend field's value, when it is set.
func friendValue(f im.Friend, tag string) (json.RawMessage, bool) {
	str := func(s string) (json.RawMessage, bool) {
		v, _ := im.EncodeJSON(s)
		return v, s != ""
	}
	num := func(n int64) (json.RawMessage, bool) { return strconv.AppendInt(nil, n, 10), n != 0 }
	switch tag {
	case TagAddSource:
		return str(f.AddSource)
	case TagRemark:
		return str(f.Remark)
	case TagAddWording:
		return str(f.AddWording)
	case TagRemarkTime:
		return num(f.RemarkTime)
	case TagAddTime:
		return num(f.AddTime)
	case TagGroup:
		v, _ := im.EncodeJSON(f.Lists)
		return v, len(f.Lists) > 0
	}
	for _, tv := range f.Custom {
		if tv.Tag == tag {
			return tv.Value, true
		}
	}
	return nil, false
}

// GetListRequest is friend_get_list's body.
type GetListRequest struct {
	From    string   `json:"From_Account"`
	To      []string `json:"To_Account"`
	TagList []string `json:"TagList"`
}

// SnsProfile is one friend of friend_get_list.
type SnsProfile struct {
	To             string        `json:"To_Account"`
	SnsProfileItem []im.TagValue `json:"SnsProfileItem"`
	ResultCode     int           `json:"ResultCode"`
	ResultInfo     string        `json:"ResultInfo"`
}

// GetListResult is friend_get_list's answer.
type GetListResult struct {
	InfoItem     []SnsProfile `json:"InfoItem"`
	FailAccount  []string     `json:"Fail_Account,omitempty"`
	ErrorDisplay string       `json:"ErrorDisplay"`
}

// GetList returns the fields of TagList — friend fields and profile
// fields mixed, in TagList order, those that are set — of the listed
// friends of req.From. A tag that is neither is 30001; a target not in
// the table gets 30001 and is listed in Fail_Account.
func (s *Service) GetList(ctx context.Context, appID uint64, access profile.Access, req *GetListRequest) (*GetListResult, error) {
	if err := owner(req.From); err != nil {
		return nil, err
	}
	if err := targets("To_Account", req.To, MaxGetList); err != nil {
		return nil, err
	}
	if len(req.TagList) == 0 {
		return nil, badParam("TagList must name at least one tag")
	}
	var profileTags []string
	for _, tag := range req.TagList {
		switch {
		case slices.Contains(standardTags, tag), s.custom[appID][tag]:
		case s.profiles.Known(appID, tag):
			profileTags = append(profileTags, tag)
		default:
			return nil, badParam("%s is neither a friend nor a profile tag of this app", tag)
		}
	}
	if _, err := s.seqs(ctx, s.store, appID, req.From); err != nil {
		return nil, err
	}
	friends, err := s.store.Friends(ctx, appID, req.From, req.To)
	if err != nil {
		return nil, err
	}
	mine := byUser(friends)
	profiles := map[string][]im.TagValue{}
	if len(profileTags) > 0 && len(friends) > 0 {
		if profiles, err = s.profiles.Read(ctx, appID, ids(friends), profileTags, access); err != nil {
			return nil, err
		}
	}
	out := &GetListResult{InfoItem: []SnsProfile{}}
	for _, to := range req.To {
		f, ok := mine[to]
		if !ok {
			out.InfoItem = append(out.InfoItem, SnsProfile{To: to, SnsProfileItem: []im.TagValue{}, ResultCode: im.CodeSNSBadParam, ResultInfo: "not a friend"})
			out.FailAccount = append(out.FailAccount, to)
			continue
		}
		p := SnsProfile{To: to, SnsProfileItem: []im.TagValue{}}
		for _, tag := range req.TagList {
			if v, ok := friendValue(f, tag); ok {
				p.SnsProfileItem = append(p.SnsProfileItem, im.TagValue{Tag: tag, Value: v})
				continue
			}
			for _, tv := range profiles[to] {
				if tv.Tag == tag {
					p.SnsProfileItem = append(p.SnsProfileItem, tv)
				}
			}
		}
		out.InfoItem = append(out.InfoItem, p)
	}
	return out, nil
}
