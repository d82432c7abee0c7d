package im

import "context"

// RobotPrefix starts every chatbot's UserID (overview.md §6).
const RobotPrefix = "@RBT#"

// RobotStore keeps which accounts are chatbots. A chatbot is an ordinary
// account with a flag: deleting it (delete_robot) clears the flag's
// validity, not the account.
type RobotStore interface {
	// MarkRobot makes the account userID a valid chatbot. It returns
	// ErrNotFound when the account does not exist, and ErrConflict when
	// the app already has max valid chatbots and userID is not one of them.
	MarkRobot(ctx context.Context, appID uint64, userID string, now int64, max int) error
	// ListRobots returns the app's valid chatbots in UserID order.
	ListRobots(ctx context.Context, appID uint64) ([]string, error)
	// InvalidateRobot marks a chatbot invalid (one already invalid stays
	// so). It returns ErrNotFound when userID never was a chatbot.
	InvalidateRobot(ctx context.Context, appID uint64, userID string) error
}
