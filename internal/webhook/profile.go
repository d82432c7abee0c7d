package webhook

import (
	"context"

	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/profile"
)

// Profiles are the profile domain's callbacks (profile.Hooks).
type Profiles struct{ s *Sender }

// Profiles returns the profile domain's callbacks.
func (s *Sender) Profiles() Profiles { return Profiles{s} }

var _ profile.Hooks = Profiles{}

type portraitBody struct {
	CallbackCommand  string
	Operator_Account string
	From_Account     string
	EventTime        int64
	ProfileItem      []im.TagValue
}

// AfterSet queues Profile.CallbackPortraitSet; the operator is the REST
// call's admin, or the user.
func (h Profiles) AfterSet(ctx context.Context, appID uint64, userID string, fields []im.TagValue) {
	op := OriginOf(ctx).Admin
	if op == "" {
		op = userID
	}
	h.s.after(ctx, appID, ProfilePortraitSet, "profile "+userID, job{value: &portraitBody{CallbackCommand: ProfilePortraitSet,
		Operator_Account: op, From_Account: userID, EventTime: h.s.eventTime(), ProfileItem: fields}})
}
