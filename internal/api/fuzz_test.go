package api

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"testing"

	"github.com/chatd/chatd/internal/account"
	"github.com/chatd/chatd/internal/group"
	"github.com/chatd/chatd/internal/im"
)

// FuzzDecodeBody decodes arbitrary bodies into the request type of a
// command of the table: decoding never panics, fails only with the codes
// of overview.md §1.3 (60003, 60015, the area's parameter code), and the
// case-sensitive key filter keeps valid JSON valid. Plain go test runs
// only the seeds.
func FuzzDecodeBody(f *testing.F) {
	rows := Commands(Services{Accounts: account.NewService(nil), Groups: group.NewService(nil, nil, nil)})
	for _, seed := range []string{
		`{}`, `{"UserID":"a","userid":"b","USERID":1}`, `{"CheckItem":[{"UserID":"a"},{"userID":"b"}]}`,
		`{"GroupId":"g","MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"a\u0000b"}}],"msgbody":null}`,
		`{"MemberList":[{"Member_Account":"m","member_account":7}],"Name":"\ud800"}`,
		`{"AccountList":[{"UserID":"a","Nick":"x","nick":"y"}]}`, `[]`, `null`, `{"a":` + "[[[[[[[[" + `}`,
		"{\"Nick\":\"\xff\"}", `{"Limit":1e400,"Next":-1}`, `{"K":"\u212a"}`,
	} {
		for i := range rows {
			f.Add([]byte(seed), uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, pick uint8) {
		cmd := rows[int(pick)%len(rows)]
		dst := reflect.New(cmd.Request).Interface()
		if err := decodeBody(body, dst, cmd.Domain); err != nil {
			var e *im.Error
			if !errors.As(err, &e) || e.Code != im.CodeBodyNotJSON && e.Code != im.CodeAccountNotStr && e.Code != cmd.Domain.BadParam {
				t.Fatalf("%s: decodeBody(%q) = %v", cmd.Path, body, err)
			}
		}
		if json.Valid(body) {
			if out := exactKeys(body, reflect.TypeOf(dst)); !json.Valid(out) {
				t.Fatalf("%s: exactKeys(%q) = %q, not JSON", cmd.Path, body, out)
			}
		}
	})
}

// FuzzCommonParams checks the fast query parser against url.ParseQuery,
// whose rules it promises: the same failures, and the first value of each
// common parameter.
func FuzzCommonParams(f *testing.F) {
	for _, seed := range []string{
		"sdkappid=1400012345&identifier=administrator&usersig=eAEA*-_&random=1&contenttype=json",
		"contenttype=json&contenttype=xml", "identifier=a%20b&identifier=c", "a;b=c", "usersig=%zz",
		"sdkappid=1+2&&=x&identifier", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := parseCommonParams(raw)
		want, wantErr := url.ParseQuery(raw)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("parseCommonParams(%q) error %v, url.ParseQuery error %v", raw, err, wantErr)
		}
		if err != nil {
			return
		}
		if got.sdkAppID != want.Get("sdkappid") || got.identifier != want.Get("identifier") || got.userSig != want.Get("usersig") ||
			got.contentType != want.Get("contenttype") || got.hasContentType != want.Has("contenttype") {
			t.Fatalf("parseCommonParams(%q) = %+v, url.ParseQuery = %v", raw, got, want)
		}
	})
}
