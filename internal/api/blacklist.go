package api

import "github.com/chatd/chatd/internal/relation"

// blacklistAPI is the Blocklist section of rest-users.md.
type blacklistAPI struct{ svc *relation.Service }

func (a blacklistAPI) commands() []Command {
	return []Command{
		command("v4/sns/black_list_add", 200, snsDomain, forApp(a.svc.Block)),
		command("v4/sns/black_list_delete", 200, snsDomain, forApp(a.svc.Unblock)),
		command("v4/sns/black_list_get", 200, snsDomain, forApp(a.svc.GetBlocks)),
		command("v4/sns/black_list_check", 200, snsDomain, forApp(a.svc.CheckBlocks)),
	}
}
