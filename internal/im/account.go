package im

import "context"

// Account is one imported UserID of an app with the profile fields the
// account API can seed.
type Account struct {
	AppID     uint64
	UserID    string
	Nick      string
	FaceURL   string
	CreatedAt int64 // Unix seconds
	// LoginsRevokedBefore rejects UserSigs issued before this Unix second
	// (kick); 0 when never revoked.
	LoginsRevokedBefore int64
}

// AccountImport is one account to import. SetNick and SetFaceURL say
// whether the request carried that field, and so whether it overwrites an
// existing account's value: a field left out keeps what is stored.
type AccountImport struct {
	Account
	SetNick    bool
	SetFaceURL bool
}

// AccountStore persists accounts.
type AccountStore interface {
	// ImportAccounts inserts the accounts that do not exist yet and updates
	// the nick and avatar of those that do where SetNick / SetFaceURL say so. It is
	// atomic: either every item is written or none is.
	ImportAccounts(ctx context.Context, items []AccountImport) error
	// GetAccounts returns the accounts among userIDs that exist, keyed by
	// UserID. Missing IDs are simply absent from the map.
	GetAccounts(ctx context.Context, appID uint64, userIDs []string) (map[string]Account, error)
	// CountAccounts returns how many accounts the app holds.
	CountAccounts(ctx context.Context, appID uint64) (int, error)
	// DeleteAccount removes the account with its group memberships and
	// records the deletion time for the re-import cool-down. It returns
	// ErrNotFound when the account does not exist.
	DeleteAccount(ctx context.Context, appID uint64, userID string, now int64) error
	// RevokeLogins makes UserSigs of userID issued before the given Unix
	// second invalid. It returns ErrNotFound when the account does not exist.
	RevokeLogins(ctx context.Context, appID uint64, userID string, before int64) error
	// DeletedSince returns, for the given IDs, those deleted at or after
	// since, with their deletion time.
	DeletedSince(ctx context.Context, appID uint64, userIDs []string, since int64) (map[string]int64, error)
}
