package webhook

import (
	"context"
	"errors"
)

// errFailedClosed is a before callback that failed under the fail-closed
// policy: the action is refused, with a code each callback chooses.
var errFailedClosed = errors.New("webhook: the callback failed and the app's policy refuses the action")

// before sends a before callback inline and returns the app's answer. It
// returns nil, nil when the action proceeds without one: the callback is
// switched off, or it failed under the fail-open policy (the failure is
// in the delivery log); errFailedClosed when it failed under fail-closed.
func (s *Sender) before(ctx context.Context, appID uint64, command string, body any) (*answer, error) {
	a := s.on(appID, command)
	if a == nil {
		return nil, nil
	}
	r, err := s.newRequest(ctx, command, body)
	if err != nil {
		return nil, err
	}
	ans, err := s.send(ctx, a, nil, r, KindBefore, 1)
	switch {
	case err == nil:
		return ans, nil
	case a.cfg.FailsClosed():
		return nil, errFailedClosed
	}
	return nil, nil
}
