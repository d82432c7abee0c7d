package api

import (
	"github.com/chatd/chatd/internal/account"
	"github.com/chatd/chatd/internal/bot"
	"github.com/chatd/chatd/internal/conversation"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/message"
	"github.com/chatd/chatd/internal/ops"
	"github.com/chatd/chatd/internal/profile"
	"github.com/chatd/chatd/internal/push"
	"github.com/chatd/chatd/internal/relation"
)

// Services are the domain services the REST commands call.
type Services struct {
	Accounts  *account.Service
	Groups    *group.Service
	Messages  *message.Service
	Store     im.AccountStore // profile lookups for listings
	Profiles  *profile.Service
	Relations *relation.Service
	Ops       *ops.Service
	Bots      *bot.Service
	Push      *push.Service
	// Conversations serves the recentcontact commands.
	Conversations *conversation.Service
}

// Commands is the whole REST command table, one domain file per block.
func Commands(s Services) []Command {
	var all []Command
	all = append(all, accountAPI{s.Accounts}.commands()...)
	all = append(all, groupAPI{s.Groups}.commands()...)
	all = append(all, liveAPI{svc: s.Groups, accounts: s.Store}.commands()...)
	all = append(all, messageAPI{s.Messages}.commands()...)
	all = append(all, c2cAPI{s.Messages}.commands()...)
	all = append(all, extAPI{s.Messages}.commands()...)
	all = append(all, profileAPI{s.Profiles}.commands()...)
	all = append(all, friendAPI{s.Relations}.commands()...)
	all = append(all, blacklistAPI{s.Relations}.commands()...)
	all = append(all, noSpeakingAPI{s.Profiles}.commands()...)
	all = append(all, opsCommands(s)...)
	all = append(all, conversationAPI{s.Conversations}.commands()...)
	return all
}
