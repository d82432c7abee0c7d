package clientapi

import (
	"context"

	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/profile"
	"github.com/chatd/chatd/internal/relation"
)

// userOps are the client's side of profiles, friends, friend lists,
// blocklists and the global mute: the REST commands' bodies without
// From_Account, which is the logged-in user, run with a user's
// permissions (docs/client-protocol.md §4, Profiles and relationships).
func userOps(s Services) map[string]gateway.Op {
	u, r := userClient(s), s.Relations
	return map[string]gateway.Op{
		"get_profile":            op(profiles.badParam, profiles.internal, u.getProfile),
		"set_profile":            own(profiles, func(q *profile.SetRequest) *string { return &q.From }, u.setProfile),
		"get_global_mute":        op(profiles.badParam, profiles.internal, u.globalMute),
		"add_friend":             own(sns, func(q *relation.AddRequest) *string { return &q.From }, u.addFriend),
		"respond_friend_request": op(sns.badParam, sns.internal, u.respond),
		"get_friend_requests":    op(sns.badParam, sns.internal, u.requests),
		"update_friend":          own(sns, func(q *relation.UpdateRequest) *string { return &q.From }, r.Update),
		"delete_friend":          own(sns, func(q *relation.DeleteRequest) *string { return &q.From }, r.Delete),
		"check_friend":           own(sns, func(q *relation.CheckRequest) *string { return &q.From }, r.Check),
		"get_friends":            own(sns, func(q *relation.GetRequest) *string { return &q.From }, r.Get),
		"get_friend_profiles":    own(sns, func(q *relation.GetListRequest) *string { return &q.From }, u.friendProfiles),
		"add_friend_list":        own(sns, func(q *relation.ListAddRequest) *string { return &q.From }, r.AddLists),
		"delete_friend_list":     own(sns, func(q *relation.ListDeleteRequest) *string { return &q.From }, r.DeleteLists),
		"get_friend_lists":       own(sns, func(q *relation.ListGetRequest) *string { return &q.From }, r.GetLists),
		"add_blocklist":          own(sns, func(q *relation.BlockRequest) *string { return &q.From }, r.Block),
		"delete_blocklist":       own(sns, func(q *relation.BlockRequest) *string { return &q.From }, r.Unblock),
		"get_blocklist":          own(sns, func(q *relation.BlockGetRequest) *string { return &q.From }, r.GetBlocks),
		"check_blocklist":        own(sns, func(q *relation.CheckRequest) *string { return &q.From }, r.CheckBlocks),
	}
}

type userClient Services

// getProfile reads profiles with a user's permissions: the user's own
// when To_Account is left out, every field the user may read when TagList
// is.
func (u userClient) getProfile(ctx context.Context, s *gateway.Session, req *profile.GetRequest) (*profile.GetResult, error) {
	if len(req.To) == 0 {
		req.To = []string{s.UserID}
	}
	if len(req.TagList) == 0 {
		req.TagList = u.Profiles.Readable(s.AppID, profile.User)
	}
	return u.Profiles.Get(ctx, s.AppID, profile.User, req)
}

func (u userClient) setProfile(ctx context.Context, appID uint64, req *profile.SetRequest) (*struct{}, error) {
	return nil, u.Profiles.Set(ctx, appID, profile.User, req)
}

func (u userClient) globalMute(ctx context.Context, s *gateway.Session, _ *struct{}) (*profile.MuteState, error) {
	return u.Profiles.Mute(ctx, s.AppID, s.UserID)
}

func (u userClient) addFriend(ctx context.Context, appID uint64, req *relation.AddRequest) (*relation.BatchResult, error) {
	return u.Relations.Add(ctx, appID, profile.User, req)
}

func (u userClient) respond(ctx context.Context, s *gateway.Session, req *relation.RespondRequest) (*struct{}, error) {
	return nil, u.Relations.Respond(ctx, s.AppID, s.UserID, req)
}

func (u userClient) requests(ctx context.Context, s *gateway.Session, _ *struct{}) (*relation.RequestsResult, error) {
	return u.Relations.Requests(ctx, s.AppID, s.UserID)
}

func (u userClient) friendProfiles(ctx context.Context, appID uint64, req *relation.GetListRequest) (*relation.GetListResult, error) {
	return u.Relations.GetList(ctx, appID, profile.User, req)
}

// area is an op family's parameter and internal-error codes.
type area struct{ badParam, internal int }

var (
	profiles = area{im.CodeProfileBadParam, im.CodeProfileInternal}
	sns      = area{im.CodeSNSBadParam, im.CodeSNSInternal}
)

// own makes an op of a service method whose request names the account it
// changes or reads in From_Account: that account is the user's own,
// whatever the frame says.
func own[Req, Resp any](a area, from func(*Req) *string, fn func(ctx context.Context, appID uint64, req *Req) (*Resp, error)) gateway.Op {
	return op(a.badParam, a.internal, func(ctx context.Context, s *gateway.Session, req *Req) (*Resp, error) {
		*from(req) = s.UserID
		return fn(ctx, s.AppID, req)
	})
}
