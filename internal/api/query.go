package api

import (
	"errors"
	"net/url"
	"strings"
)

// commonParams are the common query parameters of overview.md §1.2.
type commonParams struct {
	sdkAppID    string
	identifier  string
	userSig     string
	contentType string
	// hasContentType: contenttype was given (it may be absent).
	hasContentType bool
}

// parseCommonParams reads the common parameters with url.ParseQuery's
// rules (first value wins, percent-escapes and '+' decoded, a malformed
// pair is an error) but without building a map of every parameter: it runs
// on every REST call.
func parseCommonParams(raw string) (commonParams, error) {
	var p commonParams
	var haveAppID, haveIdentifier, haveSig bool
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return p, errors.New("invalid semicolon separator in query")
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := unescape(rawKey)
		if err != nil {
			return p, err
		}
		value, err := unescape(rawValue)
		if err != nil {
			return p, err
		}
		switch {
		case key == "sdkappid" && !haveAppID:
			p.sdkAppID, haveAppID = value, true
		case key == "identifier" && !haveIdentifier:
			p.identifier, haveIdentifier = value, true
		case key == "usersig" && !haveSig:
			p.userSig, haveSig = value, true
		case key == "contenttype" && !p.hasContentType:
			p.contentType, p.hasContentType = value, true
		}
	}
	return p, nil
}

// unescape decodes a query component only when it needs decoding.
func unescape(s string) (string, error) {
	// IndexByte is vectorised; a UserSig is a few hundred bytes of neither.
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}
