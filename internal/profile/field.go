package profile

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// Limits of profile fields (rest-users.md S4, overview.md §7).
const (
	// MaxValueBytes caps a string or bytes value (40601).
	MaxValueBytes = 500
	// MaxCustomFields is how many custom fields an app may declare.
	MaxCustomFields = 20
	// MaxKeyword caps the keyword of a custom tag.
	MaxKeyword = 8
	// CustomPrefix starts every custom profile tag.
	CustomPrefix = "Tag_Profile_Custom_"
)

// Standard tags whose values the relationship rules read.
const (
	TagAllowType       = "Tag_Profile_IM_AllowType"
	TagAdminForbidType = "Tag_Profile_IM_AdminForbidType"
)

// Values of Tag_Profile_IM_AllowType and Tag_Profile_IM_AdminForbidType.
const (
	AllowNeedConfirm = "AllowType_Type_NeedConfirm"
	AllowAny         = "AllowType_Type_AllowAny"
	DenyAny          = "AllowType_Type_DenyAny"
	ForbidNone       = "AdminForbid_Type_None"
	ForbidSendOut    = "AdminForbid_Type_SendOut"
)

// Access is whose permissions a call runs with.
type Access int

const (
	// Admin is the app admin: every REST call.
	Admin Access = iota
	// User is an end user through the gateway.
	User
)

// perm is a set of Access values that may read or write a field.
type perm uint8

func (p perm) allows(a Access) bool { return p&(1<<a) != 0 }

const (
	byAdmin perm = 1 << Admin
	byUser  perm = 1 << User
	byAll        = byAdmin | byUser
)

// field is how one tag's values are checked.
type field struct {
	number bool     // a uint32; otherwise a string of at most MaxValueBytes
	text   bool     // kept as the account's text, which cannot hold NUL
	values []string // the strings an enumerated field takes
	read   perm
	write  perm
}

// standard are the Tag_Profile_IM_* fields of S4. Every one is readable by
// everyone and writable by the user themselves, except the admin's ban on
// sending friend requests.
var standard = map[string]field{
	im.TagNick:                     {text: true, read: byAll, write: byAll},
	"Tag_Profile_IM_Gender":        {values: []string{"Gender_Type_Unknown", "Gender_Type_Female", "Gender_Type_Male"}, read: byAll, write: byAll},
	"Tag_Profile_IM_BirthDay":      {number: true, read: byAll, write: byAll},
	"Tag_Profile_IM_Location":      {read: byAll, write: byAll},
	"Tag_Profile_IM_SelfSignature": {read: byAll, write: byAll},
	TagAllowType:                   {values: []string{AllowNeedConfirm, AllowAny, DenyAny}, read: byAll, write: byAll},
	"Tag_Profile_IM_Language":      {number: true, read: byAll, write: byAll},
	im.TagImage:                    {text: true, read: byAll, write: byAll},
	"Tag_Profile_IM_MsgSettings":   {number: true, read: byAll, write: byAll},
	TagAdminForbidType:             {values: []string{ForbidNone, ForbidSendOut}, read: byAll, write: byAdmin},
	"Tag_Profile_IM_Level":         {number: true, read: byAll, write: byAll},
	"Tag_Profile_IM_Role":          {number: true, read: byAll, write: byAll},
}

// ValidKeyword reports whether k may follow a custom prefix: English
// letters, 1 to MaxKeyword of them.
func ValidKeyword(k string) bool {
	if k == "" || len(k) > MaxKeyword {
		return false
	}
	for _, c := range []byte(k) {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// appFields compiles an app's declarations with the standard fields into
// one table of tags, in a fixed order for "every field".
type appFields struct {
	byTag map[string]field
	order []string
}

func compile(app config.App) (*appFields, error) {
	if len(app.CustomProfileFields) > MaxCustomFields {
		return nil, fmt.Errorf("custom_profile_fields: %d declared, at most %d", len(app.CustomProfileFields), MaxCustomFields)
	}
	f := &appFields{byTag: map[string]field{}}
	for tag, spec := range standard {
		f.byTag[tag] = spec
		f.order = append(f.order, tag)
	}
	slices.Sort(f.order)
	for _, d := range app.CustomProfileFields {
		if !ValidKeyword(d.Key) {
			return nil, fmt.Errorf("custom_profile_fields: key %q must be 1-%d English letters", d.Key, MaxKeyword)
		}
		if d.Kind != "string" && d.Kind != "bytes" {
			return nil, fmt.Errorf("custom_profile_fields: %s: kind %q must be string or bytes", d.Key, d.Kind)
		}
		tag := CustomPrefix + d.Key
		if _, dup := f.byTag[tag]; dup {
			return nil, fmt.Errorf("custom_profile_fields: %s declared twice", d.Key)
		}
		read, err := perms(d.Read)
		if err != nil {
			return nil, fmt.Errorf("custom_profile_fields: %s: read: %w", d.Key, err)
		}
		write, err := perms(d.Write)
		if err != nil {
			return nil, fmt.Errorf("custom_profile_fields: %s: write: %w", d.Key, err)
		}
		f.byTag[tag] = field{read: read, write: write}
		f.order = append(f.order, tag)
	}
	return f, nil
}

// perms reads a declaration's list of who may: "admin", "user"; none
// means both.
func perms(names []string) (perm, error) {
	if len(names) == 0 {
		return byAll, nil
	}
	var p perm
	for _, n := range names {
		switch n {
		case "admin":
			p |= byAdmin
		case "user":
			p |= byUser
		default:
			return 0, fmt.Errorf("%q is neither admin nor user", n)
		}
	}
	return p, nil
}

// lookup returns a tag's field, or 40009 for a tag that is neither
// standard nor declared.
func (f *appFields) lookup(tag string) (field, error) {
	spec, ok := f.byTag[tag]
	if !ok {
		return field{}, im.Errorf(im.CodeProfileUnknownTag, "%s is not a profile tag of this app", tag)
	}
	return spec, nil
}

// readable returns the tags access may read, in the table's order.
func (f *appFields) readable(a Access) []string {
	var out []string
	for _, tag := range f.order {
		if f.byTag[tag].read.allows(a) {
			out = append(out, tag)
		}
	}
	return out
}

// checkRead refuses a tag that is unknown (40009) or that access may not
// read (40007).
func (f *appFields) checkRead(tag string, a Access) error {
	spec, err := f.lookup(tag)
	if err != nil {
		return err
	}
	if !spec.read.allows(a) {
		return im.Errorf(im.CodeProfileNoRead, "%s cannot be read here", tag)
	}
	return nil
}

// value checks one value written to a tag and returns it in the form it
// is stored and sent: a decimal number, or a JSON string without HTML
// escaping.
func (f *appFields) value(tv im.TagValue, a Access) (json.RawMessage, error) {
	spec, err := f.lookup(tv.Tag)
	if err != nil {
		return nil, err
	}
	if !spec.write.allows(a) {
		return nil, im.Errorf(im.CodeProfileNoWrite, "%s cannot be written here", tv.Tag)
	}
	if spec.number {
		if !isNumber(tv.Value) {
			return nil, im.Errorf(im.CodeProfileValueType, "%s takes an integer", tv.Tag)
		}
		v, err := strconv.ParseUint(string(tv.Value), 10, 32)
		if err != nil {
			return nil, im.Errorf(im.CodeProfileBadValue, "%s takes an integer from 0 to 4294967295, not %s", tv.Tag, tv.Value)
		}
		return strconv.AppendUint(nil, v, 10), nil
	}
	s, ok := String(tv.Value)
	if !ok {
		return nil, im.Errorf(im.CodeProfileValueType, "%s takes a string", tv.Tag)
	}
	if len(s) > MaxValueBytes {
		return nil, im.Errorf(im.CodeProfileValueTooLong, "%s is %d bytes, at most %d", tv.Tag, len(s), MaxValueBytes)
	}
	if spec.values != nil && !slices.Contains(spec.values, s) {
		return nil, im.Errorf(im.CodeProfileBadValue, "%s takes one of %v, not %q", tv.Tag, spec.values, s)
	}
	if spec.text && strings.ContainsRune(s, 0) {
		return nil, im.Errorf(im.CodeProfileBadValue, "%s cannot hold a NUL character", tv.Tag)
	}
	return im.EncodeJSON(s)
}

// isNumber reports whether a JSON value is a number.
func isNumber(v json.RawMessage) bool {
	return len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9')
}

// String decodes a JSON value that must be a string (null is not one).
func String(v json.RawMessage) (string, bool) {
	var s string
	if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", false
	}
	return s, true
}
