package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
)

// Call is what a handler knows about the request besides its body.
type Call struct {
	App        *config.App
	Identifier string // the admin UserID that made the call
	Now        time.Time
}

// Domain carries the codes an endpoint family uses for the failures every
// handler shares, since each area of the vendor's API has its own.
type Domain struct {
	BadParam int // missing or malformed field
	Internal int // anything without a wire code of its own
	// Fields gives fields their own code for a wrong JSON type, by path
	// ("MsgBody", "MsgBody.MsgType"), ahead of 60015 and BadParam.
	Fields map[string]int
}

// The endpoint families and their shared codes.
var (
	accountDomain = Domain{BadParam: im.CodeAccountBadParam, Internal: im.CodeAccountInternal}
	groupDomain   = Domain{BadParam: im.CodeGroupBadParam, Internal: im.CodeGroupInternal}
)

// Command is one row of the REST command table.
type Command struct {
	Path   string // "v4/<service>/<command>", exactly as endpoints.tsv spells it
	Rate   int    // documented calls/s per app (endpoints.tsv per_second)
	Domain Domain
	// LimitCode answers a call over Rate; 0 means the public 60007.
	LimitCode int
	// Request is the type of the body Handle decodes, so that tests can
	// derive requests for every command from the table itself.
	Request reflect.Type
	Handle  func(ctx context.Context, call *Call, body []byte) (any, error)
}

// command builds a table row from a typed handler: the one place that
// decodes the body, validates JSON types, and hands the typed request over.
func command[Req, Resp any](path string, rate int, d Domain, fn func(ctx context.Context, call *Call, req *Req) (*Resp, error)) Command {
	return Command{Path: path, Rate: rate, Domain: d, Request: reflect.TypeFor[Req](), Handle: func(ctx context.Context, call *Call, body []byte) (any, error) {
		var req Req
		if err := decodeBody(body, &req, d); err != nil {
			return nil, err
		}
		return fn(ctx, call, &req)
	}}
}

// accountFields are body fields that hold a UserID: a non-string there is
// 60015 in every area (overview.md §1.3), not the area's parameter code.
var accountFields = map[string]bool{
	"UserID": true, "Identifier": true, "Accounts": true, "Member_Account": true, "Owner_Account": true,
	"Members_Account": true, "From_Account": true, "To_Account": true, "Operator_Account": true,
	"GroupAt_Account": true, "MemberToDel_Account": true, "User_Account": true, "Member_List_Account": true,
	"NewOwner_Account": true, "Report_Account": true, "Peer_Account": true,
}

// groupIDFields hold group IDs, which the group domain checks itself: an
// invalid one is 10015 there, not the transport's parameter code.
var groupIDFields = map[string]bool{"GroupId": true, "GroupIdList": true}

// contentFields are message content, kept byte for byte as sent: a NUL in
// them is stored (PostgreSQL keeps them as BYTEA) and delivered.
var contentFields = map[string]bool{"CloudCustomData": true}

// decodeBody parses a request body that must be one JSON object.
func decodeBody(body []byte, dst any, d Domain) error {
	notJSON := &im.Error{Code: im.CodeBodyNotJSON, Info: "request body is not a JSON object"}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return notJSON
	}
	// Unmarshal validates the whole text before decoding, so a syntax
	// error is reported as such whatever the key check below did with it.
	err := json.Unmarshal(exactKeys(trimmed, reflect.TypeOf(dst)), dst)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
		return checkValues(reflect.ValueOf(dst), "", d)
	case errors.As(err, &syntaxErr):
		return notJSON
	case errors.As(err, &typeErr):
		if code, ok := d.Fields[typeErr.Field]; ok {
			return im.Errorf(code, "%s has the wrong type: want %s, got %s", typeErr.Field, typeErr.Type, typeErr.Value)
		}
		field := typeErr.Field
		if i := strings.LastIndexByte(field, '.'); i >= 0 {
			field = field[i+1:]
		}
		if accountFields[field] {
			return im.Errorf(im.CodeAccountNotStr, "%s must be a string", typeErr.Field)
		}
		return im.Errorf(d.BadParam, "%s has the wrong type: want %s, got %s", typeErr.Field, typeErr.Type, typeErr.Value)
	default:
		return im.Errorf(d.BadParam, "invalid request body: %v", err)
	}
}

// checkValues walks a decoded request for what both engines must store the
// same way, so that a command answers the same on SQLite and PostgreSQL
// whatever its handler checks: a UserID field holds a valid UserID (or
// nothing: whether it is required is the handler's call); no other string
// but message content holds a NUL byte, which PostgreSQL cannot keep in
// text and SQLite can; raw JSON kept as sent is UTF-8. Each failure is the
// area's parameter code. field is the JSON name v was decoded from.
func checkValues(v reflect.Value, field string, d Domain) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return checkValues(v.Elem(), field, d)
	case reflect.Struct:
		for _, f := range checkedFields(v.Type()) {
			name := f.name
			if f.promoted {
				name = field
			}
			if err := checkValues(v.Field(f.index), name, d); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 { // json.RawMessage
			if !utf8.Valid(v.Bytes()) {
				return im.Errorf(d.BadParam, "%s is not valid UTF-8", field)
			}
			return nil
		}
		for i := 0; i < v.Len(); i++ {
			if err := checkValues(v.Index(i), field, d); err != nil {
				return err
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if err := checkValues(it.Key(), field, d); err != nil {
				return err
			}
			if err := checkValues(it.Value(), field, d); err != nil {
				return err
			}
		}
	case reflect.String:
		s := v.String()
		switch {
		case accountFields[field]:
			if s != "" && !im.ValidUserID(s) {
				return im.InvalidUserID(d.BadParam, field, s)
			}
		case groupIDFields[field], contentFields[field]:
		case strings.IndexByte(s, 0) >= 0:
			return im.Errorf(d.BadParam, "%s must not contain a NUL byte", field)
		}
	}
	return nil
}

// checkedField is a struct field checkValues walks: decoded from JSON name,
// or an embedded struct whose fields encoding/json promotes.
type checkedField struct {
	index    int
	name     string
	promoted bool
}

var checkedCache sync.Map // reflect.Type -> []checkedField

// checkedFields returns the decoded fields of struct type t, cached: the
// walk runs on every call, and parsing tags each time would cost more
// than the walk.
func checkedFields(t reflect.Type) []checkedField {
	if cached, ok := checkedCache.Load(t); ok {
		return cached.([]checkedField)
	}
	var out []checkedField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-", !f.IsExported() && !f.Anonymous:
			continue
		case f.Anonymous && name == "":
			out = append(out, checkedField{index: i, promoted: true})
			continue
		case name == "":
			name = f.Name
		}
		out = append(out, checkedField{index: i, name: name})
	}
	checkedCache.Store(t, out)
	return out
}
