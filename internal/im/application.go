package im

import "context"

// Application is a user's pending request to join a group whose
// ApplyJoinOption is NeedPermission: the owner or an admin approves or
// rejects it from a client. A user has at most one per group.
type Application struct {
	UserID  string
	Message string // the applicant's ApplyMsg
	Time    int64  // Unix seconds of the (latest) request
}

// ApplicationStore persists pending join applications. They go with the
// group, and a user's goes when they become a member by any path.
type ApplicationStore interface {
	// PutApplication stores a user's application, replacing their earlier
	// one (its message and time). It returns ErrNotFound when the group
	// does not exist.
	PutApplication(ctx context.Context, appID uint64, groupID string, a Application) error
	// GetApplication returns a user's pending application, or ErrNotFound.
	GetApplication(ctx context.Context, appID uint64, groupID, userID string) (*Application, error)
	// ListApplications returns up to limit pending applications of a
	// group, oldest first (then by UserID), skipping offset of them.
	ListApplications(ctx context.Context, appID uint64, groupID string, offset, limit int) ([]Application, error)
	// DeleteApplication removes a pending application (a rejection), or
	// returns ErrNotFound when there is none: someone else handled it.
	DeleteApplication(ctx context.Context, appID uint64, groupID, userID string) error
	// ApproveApplication removes m.UserID's application and adds m as a
	// member in one transaction, as AddMembers does. It reports whether m
	// was added (false: already a member; the application is gone all the
	// same). It returns ErrNotFound, writing nothing, when there is no
	// application (or no group), and ErrFull when the group is full.
	ApproveApplication(ctx context.Context, appID uint64, groupID string, m Member) (bool, error)
}
