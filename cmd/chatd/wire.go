package main

import (
	"context"
	"slices"
	"time"

	"github.com/chatd/chatd/internal/account"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/gateway"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/presence"
	"github.com/chatd/chatd/internal/profile"
	"github.com/chatd/chatd/internal/relation"
	"github.com/chatd/chatd/internal/usersig"
)

// userAuthenticator verifies end users' UserSigs for the gateway with the
// same rules and codes as REST, and imports the account on first login
// (durable: see account.Service.Login).
func userAuthenticator(cfg config.Config, verifier *usersig.Verifier, accounts *account.Service, now func() time.Time) func(ctx context.Context, appID uint64, userID, sig string) (durable func() error, err error) {
	apps := map[uint64]*config.App{}
	for i := range cfg.Apps {
		apps[cfg.Apps[i].SDKAppID] = &cfg.Apps[i]
	}
	return func(ctx context.Context, appID uint64, userID, sig string) (func() error, error) {
		app := apps[appID]
		if app == nil {
			return nil, im.Errorf(im.CodeBadSDKAppID, "sdkappid %d is not an app of this server", appID)
		}
		if userID == "" || sig == "" {
			return nil, &im.Error{Code: im.CodeBadURLParam, Info: "UserID and UserSig are required"}
		}
		if !im.ValidUserID(userID) {
			return nil, im.InvalidUserID(im.CodeAccountBadParam, "UserID", userID)
		}
		claims, err := verifier.Check(app.SecretKey, appID, userID, sig)
		if err != nil {
			return nil, err
		}
		return accounts.Login(ctx, app, userID, claims.Time, now())
	}
}

// liveRooms is the group domain's view of live rooms: counts, lists and
// marks from the cluster-wide presence, removals through the gateway so
// they reach every node.
type liveRooms struct {
	cluster *presence.Cluster
	gateway *gateway.Gateway
}

func (l liveRooms) Count(appID uint64, groupID string) int { return l.cluster.Count(appID, groupID) }

func (l liveRooms) Members(appID uint64, groupID string, mark int, cursor int64, limit int) ([]group.OnlineMember, int64) {
	members, next := l.cluster.Members(appID, groupID, mark, cursor, limit)
	out := make([]group.OnlineMember, len(members))
	for i, m := range members {
		out[i] = group.OnlineMember{UserID: m.UserID, JoinTime: m.JoinTime, Marks: m.Marks}
	}
	return out, next
}

func (l liveRooms) SetMarks(appID uint64, groupID, userID string, marks []int, add bool) bool {
	return l.cluster.SetMarks(appID, groupID, userID, marks, add)
}

func (l liveRooms) MarkCounts(appID uint64, groupID string) map[int]int {
	return l.cluster.MarkCounts(appID, groupID)
}

func (l liveRooms) DropFromRoom(ctx context.Context, appID uint64, groupID, userID string) error {
	return l.gateway.DropFromRoom(ctx, appID, groupID, userID)
}

func (l liveRooms) DropRoom(ctx context.Context, appID uint64, groupID string) error {
	return l.gateway.DropRoom(ctx, appID, groupID)
}

// sessions is the account domain's view of live connections: kicks through
// the gateway (which reaches every node), online platforms from this
// node's gateway plus the other nodes' presence snapshots.
type sessions struct {
	gateway *gateway.Gateway
	cluster *presence.Cluster
}

func (s sessions) KickUser(ctx context.Context, appID uint64, userID string) error {
	return s.gateway.KickUser(ctx, appID, userID)
}

func (s sessions) Platforms(appID uint64, userID string) []string {
	out := s.gateway.Platforms(appID, userID)
	for _, p := range s.cluster.RemotePlatforms(appID, userID) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// senders gives the message service the sending rules of the profile and
// relationship domains.
type senders struct {
	profiles  *profile.Service
	relations *relation.Service
}

func (s senders) CheckMuted(ctx context.Context, appID uint64, userID string, group bool) error {
	kind := profile.C2C
	if group {
		kind = profile.Group
	}
	return s.profiles.CheckMuted(ctx, appID, userID, kind)
}

func (s senders) CheckBlocked(ctx context.Context, appID uint64, from, to string) error {
	return s.relations.CheckC2CSend(ctx, appID, from, to)
}
