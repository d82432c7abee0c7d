package profile

import (
	"context"

	"github.com/chatd/chatd/internal/im"
)

// Hooks are the app's callbacks about profiles (webhooks.md): AfterSet
// queues the report of a committed change and returns at once.
type Hooks interface {
	// AfterSet reports the fields of userID's profile a call set.
	AfterSet(ctx context.Context, appID uint64, userID string, fields []im.TagValue)
}

// noHooks sends no callbacks.
type noHooks struct{}

func (noHooks) AfterSet(context.Context, uint64, string, []im.TagValue) {}
