package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"time"

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
	Handle    func(ctx context.Context, call *Call, body []byte) (any, error)
}

// command builds a table row from a typed handler: the one place that
// decodes the body, validates JSON types, and hands the typed request over.
func command[Req, Resp any](path string, rate int, d Domain, fn func(ctx context.Context, call *Call, req *Req) (*Resp, error)) Command {
	return Command{Path: path, Rate: rate, Domain: d, Handle: func(ctx context.Context, call *Call, body []byte) (any, error) {
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
	"UserID": true, "Accounts": true, "Member_Account": true, "Owner_Account": true,
	"Members_Account": true, "From_Account": true, "To_Account": true, "Operator_Account": true,
}

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
		return nil
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
