package push

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// UserAttrs are attribute values of one user, by name.
type UserAttrs struct {
	UserID string
	Attrs  map[string]string
}

// UserNames are attribute names (or tags) of one user.
type UserNames struct {
	UserID string
	Names  []string
}

// SetAttrNames names the app's attribute slots ("0" to "9"), keeping the
// others. A slot number out of range, an empty name, one over 50 bytes or
// one another slot holds is 90001.
func (s *Service) SetAttrNames(ctx context.Context, app *config.App, names map[string]string) error {
	if err := s.enabled(app); err != nil {
		return err
	}
	if len(names) == 0 {
		return &im.Error{Code: im.CodeMsgBodyNotJSON, Info: "AttrNames must name at least one slot"}
	}
	bySlot := make(map[int]string, len(names))
	for key, name := range names {
		slot, ok := slotName(key)
		if !ok {
			return im.Errorf(im.CodeMsgBodyNotJSON, "AttrNames: %q is not a slot number from 0 to %d", key, im.PushAttrSlots-1)
		}
		if name == "" || len(name) > MaxTextBytes {
			return im.Errorf(im.CodeMsgBodyNotJSON, "AttrNames: the name of slot %s must be 1 to %d bytes", key, MaxTextBytes)
		}
		bySlot[slot] = name
	}
	err := s.store.SetPushAttrNames(ctx, app.SDKAppID, bySlot)
	if errors.Is(err, im.ErrConflict) {
		return &im.Error{Code: im.CodeMsgBodyNotJSON, Info: "AttrNames: two slots would have the same name"}
	}
	if err != nil {
		return fmt.Errorf("push: set attribute names: %w", err)
	}
	return nil
}

// AttrNames returns the app's named slots.
func (s *Service) AttrNames(ctx context.Context, app *config.App) (map[string]string, error) {
	if err := s.enabled(app); err != nil {
		return nil, err
	}
	names, err := s.store.PushAttrNames(ctx, app.SDKAppID)
	if err != nil {
		return nil, fmt.Errorf("push: attribute names: %w", err)
	}
	out := make(map[string]string, len(names))
	for slot, name := range names {
		out[strconv.Itoa(slot)] = name
	}
	return out, nil
}

// slots returns the app's attribute slots by name.
func (s *Service) slots(ctx context.Context, appID uint64) (map[string]int, error) {
	names, err := s.store.PushAttrNames(ctx, appID)
	if err != nil {
		return nil, fmt.Errorf("push: attribute names: %w", err)
	}
	out := make(map[string]int, len(names))
	for slot, name := range names {
		out[name] = slot
	}
	return out, nil
}

// attrSlot is the slot of a named attribute (90033 for a name the app did
// not give a slot).
func attrSlot(field, name string, slots map[string]int) (int, error) {
	slot, ok := slots[name]
	if !ok {
		return 0, im.Errorf(im.CodePushBadAttr, "%s: %q is not an attribute of the app (im_set_attr_name names them)", field, name)
	}
	return slot, nil
}

// checkAttrValue refuses a value over 50 bytes (90033).
func checkAttrValue(field, name, v string) error {
	if len(v) > MaxTextBytes {
		return im.Errorf(im.CodePushBadAttr, "%s: the value of %q is over %d bytes", field, name, MaxTextBytes)
	}
	return nil
}

// checkUsers checks the users one call names: 1 to 100 (90018), none
// empty (90003).
func checkUsers(userIDs []string) error {
	if len(userIDs) == 0 {
		return &im.Error{Code: im.CodeMsgToAccount, Info: "To_Account must name at least one user"}
	}
	if len(userIDs) > MaxUsers {
		return im.Errorf(im.CodeMsgTooManyPeers, "at most %d users per request, got %d", MaxUsers, len(userIDs))
	}
	for _, id := range userIDs {
		if id == "" {
			return &im.Error{Code: im.CodeMsgToAccount, Info: "To_Account must not be empty"}
		}
	}
	return nil
}

// Attrs returns the users' attribute values by name, {} for a user who
// has none (or is not an account). Values of slots without a name are not
// shown.
func (s *Service) Attrs(ctx context.Context, app *config.App, userIDs []string) ([]UserAttrs, error) {
	if err := s.enabled(app); err != nil {
		return nil, err
	}
	if err := checkUsers(userIDs); err != nil {
		return nil, err
	}
	names, err := s.store.PushAttrNames(ctx, app.SDKAppID)
	if err != nil {
		return nil, fmt.Errorf("push: attribute names: %w", err)
	}
	profiles, err := s.store.PushProfiles(ctx, app.SDKAppID, userIDs)
	if err != nil {
		return nil, fmt.Errorf("push: attributes: %w", err)
	}
	out := make([]UserAttrs, len(userIDs))
	for i, id := range userIDs {
		out[i] = UserAttrs{UserID: id, Attrs: map[string]string{}}
		for slot, v := range profiles[id].Attrs {
			if name, ok := names[slot]; ok {
				out[i].Attrs[name] = v
			}
		}
	}
	return out, nil
}

// SetAttrs writes attribute values, keeping the users' others: names the
// app gave a slot, values of at most 50 bytes (90033); every user must be
// an account (90012), or nothing is written.
func (s *Service) SetAttrs(ctx context.Context, app *config.App, items []UserAttrs) error {
	if err := s.enabled(app); err != nil {
		return err
	}
	slots, err := s.userItems(ctx, app.SDKAppID, len(items), func(i int) string { return items[i].UserID })
	if err != nil {
		return err
	}
	writes := make([]im.UserPushAttrs, len(items))
	for i, it := range items {
		writes[i] = im.UserPushAttrs{UserID: it.UserID, Attrs: make(map[int]string, len(it.Attrs))}
		for name, v := range it.Attrs {
			slot, err := attrSlot("Attrs", name, slots)
			if err != nil {
				return err
			}
			if err := checkAttrValue("Attrs", name, v); err != nil {
				return err
			}
			writes[i].Attrs[slot] = v
		}
	}
	return writeErr(s.store.SetPushAttrs(ctx, app.SDKAppID, writes), "set attributes")
}

// RemoveAttrs removes the named attributes of the users (90033 for a name
// the app did not give a slot).
func (s *Service) RemoveAttrs(ctx context.Context, app *config.App, items []UserNames) error {
	if err := s.enabled(app); err != nil {
		return err
	}
	slots, err := s.userItems(ctx, app.SDKAppID, len(items), func(i int) string { return items[i].UserID })
	if err != nil {
		return err
	}
	removes := make([]im.UserPushSlots, len(items))
	for i, it := range items {
		removes[i].UserID = it.UserID
		for _, name := range it.Names {
			slot, err := attrSlot("Attrs", name, slots)
			if err != nil {
				return err
			}
			removes[i].Slots = append(removes[i].Slots, slot)
		}
	}
	if err := s.store.RemovePushAttrs(ctx, app.SDKAppID, removes); err != nil {
		return fmt.Errorf("push: remove attributes: %w", err)
	}
	return nil
}

// userItems checks the users of a per-user attribute call and returns the
// app's slots by name.
func (s *Service) userItems(ctx context.Context, appID uint64, n int, user func(i int) string) (map[string]int, error) {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = user(i)
	}
	if err := checkUsers(ids); err != nil {
		return nil, err
	}
	return s.slots(ctx, appID)
}

// writeErr answers a refused write: a user who is not an account (90012),
// a user who would hold too many tags (90032).
func writeErr(err error, op string) error {
	switch {
	case errors.Is(err, im.ErrNotFound):
		return &im.Error{Code: im.CodeMsgToNotFound, Info: "To_Account names a user who is not an account"}
	case errors.Is(err, im.ErrTooManyTags):
		return im.Errorf(im.CodePushTooManyTags, "a user holds at most %d tags: remove some first", MaxTagsPerUser)
	case err != nil:
		return fmt.Errorf("push: %s: %w", op, err)
	}
	return nil
}

// Tags returns the users' tags, sorted; [] for a user who has none.
func (s *Service) Tags(ctx context.Context, app *config.App, userIDs []string) ([]UserNames, error) {
	if err := s.enabled(app); err != nil {
		return nil, err
	}
	if err := checkUsers(userIDs); err != nil {
		return nil, err
	}
	profiles, err := s.store.PushProfiles(ctx, app.SDKAppID, userIDs)
	if err != nil {
		return nil, fmt.Errorf("push: tags: %w", err)
	}
	out := make([]UserNames, len(userIDs))
	for i, id := range userIDs {
		out[i] = UserNames{UserID: id, Names: []string{}}
		for t := range profiles[id].Tags {
			out[i].Names = append(out[i].Names, t)
		}
		slices.Sort(out[i].Names)
	}
	return out, nil
}

// AddTags adds tags to users: at most 10 per user per call and 100 held
// (90032), none empty (90040) or over 50 bytes (90020); every user must be
// an account (90012), or nothing is written. A tag the user has is no
// error.
func (s *Service) AddTags(ctx context.Context, app *config.App, items []UserNames) error {
	if err := s.enabled(app); err != nil {
		return err
	}
	adds, err := tagItems(items, true)
	if err != nil {
		return err
	}
	return writeErr(s.store.AddPushTags(ctx, app.SDKAppID, adds, MaxTagsPerUser), "add tags")
}

// RemoveTags removes tags from users; a tag a user does not have is no
// error.
func (s *Service) RemoveTags(ctx context.Context, app *config.App, items []UserNames) error {
	if err := s.enabled(app); err != nil {
		return err
	}
	removes, err := tagItems(items, false)
	if err != nil {
		return err
	}
	if err := s.store.RemovePushTags(ctx, app.SDKAppID, removes); err != nil {
		return fmt.Errorf("push: remove tags: %w", err)
	}
	return nil
}

// tagItems checks the users and, for an addition, the tags of a tag call.
func tagItems(items []UserNames, add bool) ([]im.UserPushTags, error) {
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.UserID
	}
	if err := checkUsers(ids); err != nil {
		return nil, err
	}
	out := make([]im.UserPushTags, len(items))
	for i, it := range items {
		out[i] = im.UserPushTags{UserID: it.UserID, Tags: it.Names}
		if !add {
			continue
		}
		if len(it.Names) > MaxTagsPerList {
			return nil, im.Errorf(im.CodePushTooManyTags, "at most %d tags per user per request, %s has %d", MaxTagsPerList, it.UserID, len(it.Names))
		}
		tags, err := checkTags("Tags", it.Names)
		if err != nil {
			return nil, err
		}
		out[i].Tags = tags
	}
	return out, nil
}

// RemoveAllTags removes every tag of the users.
func (s *Service) RemoveAllTags(ctx context.Context, app *config.App, userIDs []string) error {
	if err := s.enabled(app); err != nil {
		return err
	}
	if err := checkUsers(userIDs); err != nil {
		return err
	}
	if err := s.store.RemoveAllPushTags(ctx, app.SDKAppID, userIDs); err != nil {
		return fmt.Errorf("push: remove all tags: %w", err)
	}
	return nil
}
