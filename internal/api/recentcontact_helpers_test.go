package api_test

import (
	"time"

	"github.com/chatd/chatd/internal/conversation"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/message"
	"github.com/chatd/chatd/internal/store"
	"github.com/chatd/chatd/internal/stream"
)

// newConversations is the conversation service as chatd wires it, over
// the test's store, streams and clock.
func newConversations(db *store.DB, streams *stream.Service, groups *group.Service, messages *message.Service, now func() time.Time) *conversation.Service {
	return conversation.NewService(conversation.Deps{Store: db, Events: streams, Groups: groups.Get, Messages: messages, Now: now})
}
