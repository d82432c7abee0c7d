package conversation

import (
	"context"
	"errors"
	"strconv"

	"github.com/chatd/chatd/internal/im"
)

// Conversation groups and marks (rest-messages.md S8): kept apart from the
// list, at most 1,000 conversations with data and 20 groups per user.

// checkName refuses an empty name (50002) or one over 32 bytes (51011).
func checkName(name string) error {
	switch {
	case name == "":
		return im.Errorf(im.CodeConvBadParam, "GroupName is required")
	case len(name) > im.MaxContactNameLen:
		return im.Errorf(im.CodeConvGroupName, "GroupName is %d bytes, at most %d", len(name), im.MaxContactNameLen)
	}
	return nil
}

// checkGroups refuses a group conversation whose group cannot be resolved
// (51007).
func (s *Service) checkGroups(ctx context.Context, appID uint64, keys []im.ConvKey) error {
	for _, k := range keys {
		if err := CheckKey(k); err != nil {
			return err
		}
		if k.Type != im.ConvGroup || s.d.Groups == nil {
			continue
		}
		if _, err := s.d.Groups(ctx, appID, k.Peer); err != nil {
			return im.Errorf(im.CodeConvGroupGone, "group %s cannot be resolved", k.Peer)
		}
	}
	return nil
}

// contactFail maps the store's sentinels to the area's codes.
func contactFail(op string, err error) error {
	switch {
	case errors.Is(err, im.ErrNotFound):
		return im.Errorf(im.CodeConvNoSuchGroup, "the conversation group does not exist")
	case errors.Is(err, im.ErrConflict):
		return im.Errorf(im.CodeConvBadParam, "a conversation group of that name exists")
	}
	return fail(op, err)
}

// CreateContactGroup creates a named conversation group holding keys.
func (s *Service) CreateContactGroup(ctx context.Context, appID uint64, owner, name string, keys []im.ConvKey) (int64, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	if err := s.checkGroups(ctx, appID, keys); err != nil {
		return 0, err
	}
	id, err := s.d.Store.CreateContactGroup(ctx, appID, owner, name, keys, s.d.Now().Unix())
	if err != nil {
		return 0, contactFail("create contact group", err)
	}
	return id, s.notify(ctx, appID, owner, Changed{Action: ActionContactGroup, GroupName: name, ContactGroupId: id, Conversations: items(keys)})
}

// UpdateContactGroup renames a group (newName not "") and adds or removes
// conversations.
func (s *Service) UpdateContactGroup(ctx context.Context, appID uint64, owner, name, newName string, changes []im.ContactGroupChange) (int64, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	if newName != "" {
		if err := checkName(newName); err != nil {
			return 0, err
		}
	}
	keys := make([]im.ConvKey, len(changes))
	for i, c := range changes {
		keys[i] = c.ConvKey
	}
	if err := s.checkGroups(ctx, appID, keys); err != nil {
		return 0, err
	}
	id, err := s.d.Store.UpdateContactGroup(ctx, appID, owner, name, newName, changes, s.d.Now().Unix())
	if err != nil {
		return 0, contactFail("update contact group", err)
	}
	return id, s.notify(ctx, appID, owner, Changed{Action: ActionContactGroup, GroupName: name, ContactGroupId: id,
		NewGroupName: newName, Conversations: items(keys)})
}

// DeleteContactGroup deletes a conversation group; its conversations stay.
func (s *Service) DeleteContactGroup(ctx context.Context, appID uint64, owner, name string) (int64, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	id, err := s.d.Store.DeleteContactGroup(ctx, appID, owner, name, s.d.Now().Unix())
	if err != nil {
		return 0, contactFail("delete contact group", err)
	}
	return id, s.notify(ctx, appID, owner, Changed{Action: ActionContactGroup, GroupName: name, ContactGroupId: id, Deleted: 1})
}

// MarkInput is one mark_contact item.
type MarkInput struct {
	OptType    int // 1 standard marks, 2 custom mark, 3 both
	Key        im.ConvKey
	Set, Clear []int // bit numbers, 1 to 64
	Custom     *string
}

// bits turns bit numbers (1 to 64, the vendor's numbering: bit 1 is the
// lowest) into a mask.
func bits(field string, nums []int) (uint64, error) {
	var m uint64
	for _, n := range nums {
		if n < 1 || n > 64 {
			return 0, im.Errorf(im.CodeConvBadParam, "%s bit %d must be 1 to 64", field, n)
		}
		m |= 1 << (n - 1)
	}
	return m, nil
}

// Mark applies mark changes to up to 100 conversations.
func (s *Service) Mark(ctx context.Context, appID uint64, owner string, in []MarkInput) error {
	if len(in) == 0 || len(in) > MaxMarkItems {
		return im.Errorf(im.CodeConvMarkCount, "MarkItem has %d conversations, 1 to %d", len(in), MaxMarkItems)
	}
	marks := make([]im.ContactMark, len(in))
	keys := make([]im.ConvKey, len(in))
	for i, m := range in {
		if m.OptType < 1 || m.OptType > 3 {
			return im.Errorf(im.CodeConvBadParam, "OptType %d must be 1, 2 or 3", m.OptType)
		}
		keys[i] = m.Key
		marks[i].ConvKey = m.Key
		if m.OptType&1 != 0 {
			var err error
			if marks[i].Set, err = bits("SetMark", m.Set); err != nil {
				return err
			}
			if marks[i].Clear, err = bits("ClearMark", m.Clear); err != nil {
				return err
			}
		}
		if m.OptType&2 != 0 && m.Custom != nil {
			if len(*m.Custom) > im.MaxCustomMarkLen {
				return im.Errorf(im.CodeConvBadParam, "CustomMark is %d bytes, at most %d", len(*m.Custom), im.MaxCustomMarkLen)
			}
			marks[i].Custom = m.Custom
		}
	}
	if err := s.checkGroups(ctx, appID, keys); err != nil {
		return err
	}
	if err := s.d.Store.MarkContacts(ctx, appID, owner, marks, s.d.Now().Unix()); err != nil {
		return contactFail("mark", err)
	}
	return s.notify(ctx, appID, owner, Changed{Action: ActionMark, Conversations: items(keys)})
}

// Search returns the data of the given conversations and the owner's
// groups.
func (s *Service) Search(ctx context.Context, appID uint64, owner string, keys []im.ConvKey) ([]im.ContactData, []im.ContactGroup, error) {
	if len(keys) == 0 || len(keys) > MaxSearchItems {
		return nil, nil, im.Errorf(im.CodeConvBadParam, "ContactItem has %d conversations, 1 to %d", len(keys), MaxSearchItems)
	}
	for _, k := range keys {
		if err := CheckKey(k); err != nil {
			return nil, nil, err
		}
	}
	data, groups, _, err := s.d.Store.ContactData(ctx, appID, owner, keys, 0, 0)
	if err != nil {
		return nil, nil, fail("search", err)
	}
	return data, groups, nil
}

// ContactPage returns a page of all the owner's conversation data from
// start; next is -1 on the last page.
func (s *Service) ContactPage(ctx context.Context, appID uint64, owner string, start int) ([]im.ContactData, []im.ContactGroup, int, error) {
	if start < 0 {
		return nil, nil, 0, im.Errorf(im.CodeConvBadParam, "StartIndex %d must not be negative", start)
	}
	data, groups, next, err := s.d.Store.ContactData(ctx, appID, owner, nil, start, ContactPageSize)
	if err != nil {
		return nil, nil, 0, fail("contact data", err)
	}
	return data, groups, next, nil
}

// StandardMarkString shows a standard mark as the wire does: its binary
// digits, highest set bit first ("0" when none).
func StandardMarkString(m uint64) string { return strconv.FormatUint(m, 2) }
