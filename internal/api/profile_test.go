package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/profile"
)

// TestPortraitSetAndGet: values keep their kinds, only set fields come
// back, in TagList order, and the change reaches the user's stream and
// the streams of those whose friend table holds them.
func TestPortraitSetAndGet(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "alice", "bob", "carol")
	us.must(t, pathFriendImport, `{"From_Account":"bob","AddFriendItem":[{"To_Account":"alice","AddSource":"AddSource_Type_Test"}]}`, 0)
	us.rec.take()

	env := us.must(t, pathPortraitSet, jsonBody(t, map[string]any{"From_Account": "alice", "ProfileItem": []any{
		item("Tag_Profile_IM_Nick", "Alice W. <&>"), item("Tag_Profile_IM_Gender", "Gender_Type_Female"), item("Tag_Profile_IM_Level", 7),
		item("Tag_Profile_IM_BirthDay", 19950614), item("Tag_Profile_Custom_Hobby", "chess"), item("Tag_Profile_Custom_Secret", "s"),
		item("Tag_Profile_IM_MsgSettings", 4294967295),
	}}), 0)
	sameKeys(t, "portrait_set", env, "ActionStatus", "ErrorCode", "ErrorInfo", "ErrorDisplay", "RequestId")

	raw, _ := us.callRaw(t, pathPortraitGet, `{"To_Account":["alice","bob"],"TagList":["Tag_Profile_IM_Level","Tag_Profile_IM_Nick","Tag_Profile_IM_AllowType","Tag_Profile_Custom_Hobby","Tag_Profile_IM_MsgSettings","Tag_Profile_Custom_Secret"]}`)
	var got struct {
		UserProfileItem []struct {
			To_Account  string
			ProfileItem []struct {
				Tag   string
				Value json.RawMessage
			}
			ResultCode int
			ResultInfo string
		}
		Fail_Account *[]string
		ErrorDisplay *string
	}
	mustUnmarshal(t, string(raw), &got)
	var pairs []string
	for _, p := range got.UserProfileItem {
		for _, it := range p.ProfileItem {
			pairs = append(pairs, p.To_Account+" "+it.Tag+"="+string(it.Value))
		}
	}
	want := []string{
		`alice Tag_Profile_IM_Level=7`, `alice Tag_Profile_IM_Nick="Alice W. <&>"`, `alice Tag_Profile_Custom_Hobby="chess"`,
		`alice Tag_Profile_IM_MsgSettings=4294967295`, `alice Tag_Profile_Custom_Secret="s"`,
	}
	if strings.Join(pairs, "\n") != strings.Join(want, "\n") {
		t.Fatalf("portrait_get:\n%s\nwant\n%s", strings.Join(pairs, "\n"), strings.Join(want, "\n"))
	}
	if got.Fail_Account != nil || got.ErrorDisplay == nil || len(got.UserProfileItem) != 2 || got.UserProfileItem[1].ProfileItem == nil {
		t.Fatalf("portrait_get: %s", raw)
	}

	// The event carries what users may read: not the admin-only Secret.
	var changes []string
	for _, p := range us.rec.take() {
		if p.event["Type"] == profile.TypeProfileChanged {
			var tags []string
			for _, it := range list(t, p.event["ProfileItem"]) {
				tags = append(tags, it["Tag"].(string))
			}
			changes = append(changes, p.to+": "+strings.Join(tags, ","))
		}
	}
	wantTags := "Tag_Profile_IM_Nick,Tag_Profile_IM_Gender,Tag_Profile_IM_Level,Tag_Profile_IM_BirthDay,Tag_Profile_Custom_Hobby,Tag_Profile_IM_MsgSettings"
	if strings.Join(sorted(changes), "\n") != "alice: "+wantTags+"\nbob: "+wantTags {
		t.Fatalf("ProfileChanged went to:\n%s", strings.Join(changes, "\n"))
	}

	// Setting only an admin-only field tells nobody.
	us.set(t, "alice", item("Tag_Profile_Custom_Secret", "t"))
	if n := len(eventsOf(us.rec.take())); n != 0 {
		t.Fatalf("an admin-only change made events for %d users", n)
	}
}

// TestPortraitSetValidation: each standard field's bad values, undeclared
// and unwritable custom fields, and the request's own errors; a refused
// request writes nothing.
func TestPortraitSetValidation(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "alice")
	long := strings.Repeat("x", 501)
	tests := []struct {
		tag   string
		value any
		code  int
	}{
		{"Tag_Profile_IM_Nick", long, 40601},
		{"Tag_Profile_IM_Nick", 5, 40610},
		{"Tag_Profile_IM_Nick", "a\x00b", 40605},
		{"Tag_Profile_IM_Gender", "Gender_Type_Other", 40605},
		{"Tag_Profile_IM_Gender", 1, 40610},
		{"Tag_Profile_IM_BirthDay", "19950614", 40610},
		{"Tag_Profile_IM_BirthDay", -1, 40605},
		{"Tag_Profile_IM_BirthDay", 4294967296, 40605},
		{"Tag_Profile_IM_BirthDay", 1.5, 40605},
		{"Tag_Profile_IM_Location", long, 40601},
		{"Tag_Profile_IM_Location", true, 40610},
		{"Tag_Profile_IM_SelfSignature", long, 40601},
		{"Tag_Profile_IM_SelfSignature", []string{"x"}, 40610},
		{"Tag_Profile_IM_AllowType", "AllowType_Type_Maybe", 40605},
		{"Tag_Profile_IM_AllowType", nil, 40610},
		{"Tag_Profile_IM_Language", "en", 40610},
		{"Tag_Profile_IM_Image", long, 40601},
		{"Tag_Profile_IM_Image", map[string]any{}, 40610},
		{"Tag_Profile_IM_MsgSettings", "1", 40610},
		{"Tag_Profile_IM_AdminForbidType", "AdminForbid_Type_All", 40605},
		{"Tag_Profile_IM_Level", 4294967296, 40605},
		{"Tag_Profile_IM_Role", nil, 40610},
		{"Tag_Profile_IM_Unknown", "x", 40009},
		{"Tag_Profile_Custom_Undeclared", "x", 40009},
		{"Tag_Profile_Custom_Pin", "x", 40008},
		{"Tag_Profile_Custom_Hobby", 5, 40610},
		{"Tag_Profile_Custom_Hobby", long, 40601},
	}
	for _, tt := range tests {
		body := jsonBody(t, map[string]any{"From_Account": "alice", "ProfileItem": []any{item("Tag_Profile_IM_Level", 3), item(tt.tag, tt.value)}})
		t.Run(tt.tag, func(t *testing.T) { us.must(t, pathPortraitSet, body, tt.code) })
	}
	env := us.must(t, pathPortraitGet, `{"To_Account":["alice"],"TagList":["Tag_Profile_IM_Level"]}`, 0)
	if items := list(t, list(t, env["UserProfileItem"])[0]["ProfileItem"]); len(items) != 0 {
		t.Fatalf("refused requests wrote %v", items)
	}
	for _, tt := range []struct {
		name, body string
		code       int
	}{
		{"no From_Account", `{"ProfileItem":[{"Tag":"Tag_Profile_IM_Level","Value":1}]}`, 40001},
		{"no ProfileItem", `{"From_Account":"alice"}`, 40001},
		{"empty ProfileItem", `{"From_Account":"alice","ProfileItem":[]}`, 40001},
		{"Tag not a string", `{"From_Account":"alice","ProfileItem":[{"Tag":1,"Value":1}]}`, 40001},
		{"From_Account not a string", `{"From_Account":1,"ProfileItem":[{"Tag":"Tag_Profile_IM_Level","Value":1}]}`, 60015},
		{"not imported", `{"From_Account":"ghost","ProfileItem":[{"Tag":"Tag_Profile_IM_Level","Value":1}]}`, 40003},
		{"body not JSON", `[`, 60003},
	} {
		t.Run(tt.name, func(t *testing.T) { us.must(t, pathPortraitSet, tt.body, tt.code) })
	}
	// The boundaries themselves are fine.
	us.set(t, "alice", item("Tag_Profile_IM_Nick", strings.Repeat("é", 250)), item("Tag_Profile_IM_Level", 4294967295),
		item("Tag_Profile_IM_AdminForbidType", "AdminForbid_Type_SendOut"), item("Tag_Profile_IM_Role", 0))
}

// TestPortraitGet: the request's limits and errors, and an account that
// is not imported failing alone.
func TestPortraitGet(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "alice")
	us.set(t, "alice", item("Tag_Profile_IM_Level", 2))
	env := us.must(t, pathPortraitGet, `{"To_Account":["ghost","alice"],"TagList":["Tag_Profile_IM_Level"]}`, 0)
	items := list(t, env["UserProfileItem"])
	if num(t, items[0]["ResultCode"]) != 40003 || items[0]["ResultInfo"] == "" || num(t, items[1]["ResultCode"]) != 0 {
		t.Fatalf("UserProfileItem %v", items)
	}
	if fail := strs(t, env["Fail_Account"]); len(fail) != 1 || fail[0] != "ghost" {
		t.Fatalf("Fail_Account %v", fail)
	}
	us.must(t, pathPortraitGet, jsonBody(t, map[string]any{"To_Account": ids("u", 100), "TagList": []string{"Tag_Profile_IM_Nick"}}), 0)
	for _, tt := range []struct {
		name, body string
		code       int
	}{
		{"101 accounts", jsonBody(t, map[string]any{"To_Account": ids("u", 101), "TagList": []string{"Tag_Profile_IM_Nick"}}), 40001},
		{"no account", `{"TagList":["Tag_Profile_IM_Nick"]}`, 40002},
		{"empty To_Account", `{"To_Account":[],"TagList":["Tag_Profile_IM_Nick"]}`, 40002},
		{"no TagList", `{"To_Account":["alice"]}`, 40001},
		{"unknown tag", `{"To_Account":["alice"],"TagList":["Tag_Profile_IM_Nope"]}`, 40009},
		{"undeclared custom tag", `{"To_Account":["alice"],"TagList":["Tag_Profile_Custom_Nope"]}`, 40009},
		{"not readable by the admin", `{"To_Account":["alice"],"TagList":["Tag_Profile_Custom_Pin"]}`, 40007},
		{"To_Account not strings", `{"To_Account":[1],"TagList":["Tag_Profile_IM_Nick"]}`, 60015},
	} {
		t.Run(tt.name, func(t *testing.T) { us.must(t, pathPortraitGet, tt.body, tt.code) })
	}
}

// TestProfileSeededByImport: account_import's Nick and FaceUrl are the
// profile's Nick and Image, and portrait_set changes what listings of the
// account show.
func TestProfileSeededByImport(t *testing.T) {
	us := newUsersServer(t)
	us.must(t, pathImport, `{"UserID":"kim","Nick":"Kim","FaceUrl":"https://img/k"}`, 0)
	env := us.must(t, pathPortraitGet, `{"To_Account":["kim"],"TagList":["Tag_Profile_IM_Image","Tag_Profile_IM_Nick"]}`, 0)
	got := list(t, list(t, env["UserProfileItem"])[0]["ProfileItem"])
	if len(got) != 2 || got[0]["Value"] != "https://img/k" || got[1]["Value"] != "Kim" {
		t.Fatalf("seeded profile %v", got)
	}
	us.set(t, "kim", item("Tag_Profile_IM_Nick", "Kimberly"))
	accounts, err := us.db.GetAccounts(t.Context(), testAppID, []string{"kim"})
	if err != nil || accounts["kim"].Nick != "Kimberly" {
		t.Fatalf("account after portrait_set: %+v, %v", accounts["kim"], err)
	}
}
