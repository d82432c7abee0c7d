// Package account implements account management (rest-users.md, Account
// management): import, check and delete, with the per-app cap, the
// re-import cool-down and the deletion switch.
package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// Limits of the account API.
const (
	MaxBatch        = 100 // IDs per batch call
	MaxProfileBytes = 500 // Nick / FaceUrl (profile value limit, 40601)

	// FeatureDelete is the per-app switch of account_delete (71000 when off).
	FeatureDelete = "account_delete"
)

// Sessions are users' live connections on every node.
type Sessions interface {
	// KickUser closes every connection of the user.
	KickUser(ctx context.Context, appID uint64, userID string) error
	// Platforms returns the distinct platforms the user is connected
	// from, nil when offline.
	Platforms(appID uint64, userID string) []string
}

// Service is the account domain over its store.
type Service struct {
	store    im.AccountStore
	sessions Sessions
	imports  *importBatcher
	lookups  *lookupBatcher
	known    directory
	pending  pendingImports
	bus      bus.Bus // nil until Follow
}

// NewService returns the account service.
func NewService(store im.AccountStore) *Service {
	return &Service{store: store, imports: newImportBatcher(store), lookups: newLookupBatcher(store)}
}

// SetSessions wires the gateway in; it is created after this service
// because its logins are checked here.
func (s *Service) SetSessions(sessions Sessions) { s.sessions = sessions }

// Import imports accounts and returns the IDs that could not be imported
// because of the app's account cap or re-import cool-down; the others are
// written atomically. Invalid input fails the whole call with 70402/40601.
func (s *Service) Import(ctx context.Context, app *config.App, items []im.AccountImport, now time.Time) (failed []string, err error) {
	write, existing, failed, err := s.planImport(ctx, app, items, now, nil)
	if err != nil {
		return failed, err
	}
	return failed, s.commitImport(ctx, app.SDKAppID, write, existing)
}

// planImport checks an import and returns what to write and what of it
// exists already; failed and err are Import's. known, when not nil, is
// what the caller has just read of these accounts, which saves reading
// them again.
func (s *Service) planImport(ctx context.Context, app *config.App, items []im.AccountImport, now time.Time, known map[string]im.Account) (write []im.AccountImport, existing map[string]im.Account, failed []string, err error) {
	ids := make([]string, 0, len(items))
	unique := items[:0:0]
	seen := map[string]bool{}
	for _, it := range items {
		if !im.ValidUserID(it.UserID) {
			return nil, nil, nil, im.InvalidUserID(im.CodeAccountBadParam, "UserID", it.UserID)
		}
		if len(it.Nick) > MaxProfileBytes || len(it.FaceURL) > MaxProfileBytes {
			return nil, nil, nil, im.Errorf(im.CodeProfileValueTooLong, "Nick and FaceUrl of %s must be at most %d bytes", it.UserID, MaxProfileBytes)
		}
		if seen[it.UserID] {
			continue
		}
		seen[it.UserID] = true
		it.AppID = app.SDKAppID
		it.CreatedAt = now.Unix()
		unique = append(unique, it)
		ids = append(ids, it.UserID)
	}

	existing = known
	if existing == nil {
		if existing, err = s.store.GetAccounts(ctx, app.SDKAppID, ids); err != nil {
			return nil, nil, nil, fmt.Errorf("account: import: %w", err)
		}
	}
	var cooling map[string]int64
	if app.ReimportCooldown > 0 {
		since := now.Add(-time.Duration(app.ReimportCooldown)).Unix()
		if cooling, err = s.store.DeletedSince(ctx, app.SDKAppID, ids, since); err != nil {
			return nil, nil, nil, fmt.Errorf("account: import: %w", err)
		}
	}
	room := -1 // unlimited
	if app.MaxAccounts > 0 {
		n, err := s.store.CountAccounts(ctx, app.SDKAppID)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("account: import: %w", err)
		}
		room = max(0, app.MaxAccounts-n)
	}

	var capHit, coolHit bool
	for _, it := range unique {
		_, exists := existing[it.UserID]
		switch {
		case exists:
		case cooling[it.UserID] != 0:
			coolHit = true
			failed = append(failed, it.UserID)
			continue
		case room == 0:
			capHit = true
			failed = append(failed, it.UserID)
			continue
		case room > 0:
			room--
		}
		write = append(write, it)
	}
	if len(write) == 0 && len(failed) > 0 {
		// Nothing to import: the single-account form answers with the
		// reason, the batch form lists the IDs.
		if coolHit && !capHit {
			return nil, nil, failed, im.Errorf(im.CodeAccountCooldown, "account was deleted less than %s ago", time.Duration(app.ReimportCooldown))
		}
		return nil, nil, failed, im.Errorf(im.CodeAccountCap, "the app holds its maximum of %d accounts", app.MaxAccounts)
	}
	return write, existing, failed, nil
}

// commitImport writes what planImport decided, in a transaction shared
// with concurrent imports, and remembers the accounts it created.
func (s *Service) commitImport(ctx context.Context, appID uint64, write []im.AccountImport, existing map[string]im.Account) error {
	if len(write) == 0 {
		return nil
	}
	epoch := s.known.snapshot()
	if err := s.imports.write(ctx, write); err != nil {
		return fmt.Errorf("account: import: %w", err)
	}
	// An import keeps an existing account's revocation time; only the
	// ones just created are known to have none.
	created := map[string]int64{}
	for _, it := range write {
		if _, ok := existing[it.UserID]; !ok {
			created[it.UserID] = 0
		}
	}
	s.known.fill(epoch, appID, created)
	return nil
}

// checkUserIDs refuses a call naming any ID that is not a UserID.
func checkUserIDs(ids []string) error {
	for _, id := range ids {
		if !im.ValidUserID(id) {
			return im.InvalidUserID(im.CodeAccountBadParam, "UserID", id)
		}
	}
	return nil
}

// Exists returns the subset of ids that are imported, as a set. Accounts
// this node has seen are answered from memory (see directory), so a hot
// path may call it for every request.
func (s *Service) Exists(ctx context.Context, appID uint64, ids []string) (map[string]bool, error) {
	if err := checkUserIDs(ids); err != nil {
		return nil, err
	}
	return s.Imported(ctx, appID, ids)
}

// Imported is Exists for IDs the caller has validated, under its own
// codes: the message paths' check of senders and recipients.
func (s *Service) Imported(ctx context.Context, appID uint64, ids []string) (map[string]bool, error) {
	found, err := s.lookup(ctx, appID, ids)
	if err != nil {
		return nil, fmt.Errorf("account: check: %w", err)
	}
	out := make(map[string]bool, len(found))
	for id := range found {
		out[id] = true
	}
	return out, nil
}

// RevokedBefore returns the Unix second before which userID's UserSigs are
// revoked by a kick (0 when never kicked, or not an account), for the REST
// transport, which checks every call's UserSig against it. When the store
// does not answer, the last value seen is used, whatever its age: REST
// calls keep working through a database outage as far as they can.
func (s *Service) RevokedBefore(ctx context.Context, appID uint64, userID string, now time.Time) (int64, error) {
	found, err := s.lookup(ctx, appID, []string{userID})
	return found[userID], err
}

// DeleteResult is the outcome of deleting one account.
type DeleteResult struct {
	UserID string
	Code   int // 0 or 70107
}

// Delete deletes accounts one by one, reporting 70107 for unknown IDs.
func (s *Service) Delete(ctx context.Context, app *config.App, ids []string, now time.Time) ([]DeleteResult, error) {
	if !app.Enabled(FeatureDelete) {
		return nil, &im.Error{Code: im.CodeAccountDeleteOff, Info: "account deletion is not enabled for this app"}
	}
	if err := checkUserIDs(ids); err != nil {
		return nil, err
	}
	results := make([]DeleteResult, 0, len(ids))
	for _, id := range ids {
		err := s.store.DeleteAccount(ctx, app.SDKAppID, id, now.Unix())
		switch {
		case errors.Is(err, im.ErrNotFound):
			results = append(results, DeleteResult{UserID: id, Code: im.CodeAccountNotFound})
		case err != nil:
			return nil, fmt.Errorf("account: delete %s: %w", id, err)
		default:
			// The bus fails only once closed, at shutdown: the
			// deletion stands, and is reported as made.
			_ = s.announce(ctx, change{Kind: changeDelete, App: app.SDKAppID, User: id})
			results = append(results, DeleteResult{UserID: id})
		}
	}
	return results, nil
}

// EnsureImported imports userID if it is not an account yet.
func (s *Service) EnsureImported(ctx context.Context, app *config.App, userID string, now time.Time) error {
	durable, err := s.Login(ctx, app, userID, now.Unix(), now)
	if err == nil && durable != nil {
		err = durable()
	}
	return err
}

// Login admits a user whose UserSig, issued at issuedAt, verified: it is
// refused with 70052 when a kick revoked the account's logins after the
// sig was made, and a user seen for the first time becomes an account, as
// with the vendor's SDK login. A returning user is admitted from memory;
// a new one costs a store read and a share of one group-committed insert.
//
// The new account's insert is not waited for: the user is admitted once
// it is queued, and durable, not nil then, waits until it is committed
// (or failed); ctx must stay live until durable returns. A caller answers
// the login first and calls durable before acting on the user's next
// request, so logins never queue behind a commit being synced, and the
// user never sees their account missing; nor does anyone else on this
// node, whose lookups of the user wait for the commit (pendingImports).
// Other nodes see the account once committed. Nothing is lost if the process
// dies in between: the connection the login was for dies with it, and the
// next login imports the account.
func (s *Service) Login(ctx context.Context, app *config.App, userID string, issuedAt int64, now time.Time) (durable func() error, err error) {
	before, ok, trusted := s.known.get(accountKey{app.SDKAppID, userID})
	if !ok || !trusted {
		found, err := s.lookup(ctx, app.SDKAppID, []string{userID})
		if err != nil {
			return nil, fmt.Errorf("account: login %s: %w", userID, err)
		}
		before, ok = found[userID]
	}
	if ok {
		if issuedAt < before {
			return nil, &im.Error{Code: im.CodeSigInvalidated, Info: "UserSig was invalidated by a kick; generate a new one"}
		}
		return nil, nil
	}
	item := im.AccountImport{Account: im.Account{UserID: userID}}
	write, existing, _, err := s.planImport(ctx, app, []im.AccountImport{item}, now, map[string]im.Account{})
	if err != nil {
		return nil, err
	}
	k := accountKey{app.SDKAppID, userID}
	imp := s.pending.start(k)
	go func() { s.pending.finish(k, imp, s.commitImport(ctx, app.SDKAppID, write, existing)) }()
	return func() error {
		<-imp.done
		return imp.err
	}, nil
}

// Kick invalidates every UserSig of userID issued before now and closes
// the user's connections everywhere.
func (s *Service) Kick(ctx context.Context, app *config.App, userID string, now time.Time) error {
	if !im.ValidUserID(userID) {
		return im.InvalidUserID(im.CodeAccountBadParam, "UserID", userID)
	}
	err := s.store.RevokeLogins(ctx, app.SDKAppID, userID, now.Unix())
	if errors.Is(err, im.ErrNotFound) {
		return im.Errorf(im.CodeAccountNotFound, "account %s does not exist", userID)
	}
	if err != nil {
		return fmt.Errorf("account: kick %s: %w", userID, err)
	}
	if err := s.announce(ctx, change{Kind: changeKick, App: app.SDKAppID, User: userID, Before: now.Unix()}); err != nil {
		return fmt.Errorf("account: kick %s: tell other nodes: %w", userID, err)
	}
	if s.sessions != nil {
		if err := s.sessions.KickUser(ctx, app.SDKAppID, userID); err != nil {
			return fmt.Errorf("account: kick %s: close connections: %w", userID, err)
		}
	}
	return nil
}

// Status is one account's online state (query_online_status).
type Status struct {
	UserID    string
	Imported  bool
	Platforms []string // nil when offline
}

// OnlineStatus returns the online state of each account, in request order.
func (s *Service) OnlineStatus(ctx context.Context, app *config.App, ids []string) ([]Status, error) {
	if err := checkUserIDs(ids); err != nil {
		return nil, err
	}
	found, err := s.store.GetAccounts(ctx, app.SDKAppID, ids)
	if err != nil {
		return nil, fmt.Errorf("account: online status: %w", err)
	}
	out := make([]Status, len(ids))
	for i, id := range ids {
		_, imported := found[id]
		out[i] = Status{UserID: id, Imported: imported}
		if imported && s.sessions != nil {
			out[i].Platforms = s.sessions.Platforms(app.SDKAppID, id)
		}
	}
	return out, nil
}
