package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/bot"
	"github.com/chatd/chatd/internal/im"
)

func TestRobots(t *testing.T) {
	ts := newOpsServer(t, nil)
	robots := func() []string {
		t.Helper()
		return strs(t, ts.must(t, pathRobots, `{}`, 0)["Robot_Account"])
	}
	if got := robots(); len(got) != 0 {
		t.Fatalf("a new app lists %v", got)
	}
	ts.must(t, pathCreateBot, `{"UserID":"@RBT#helper","Nick":"Helper","FaceUrl":"https://img.example.org/bot.png","SelfSignature":"Ask me anything"}`, 0)
	ts.must(t, pathCreateBot, `{"UserID":"@RBT#faq"}`, 0)
	// Again: one bot, its profile set again.
	ts.must(t, pathCreateBot, `{"UserID":"@RBT#helper","Nick":"Helper 2"}`, 0)
	if got := robots(); strings.Join(got, ",") != "@RBT#faq,@RBT#helper" {
		t.Fatalf("robots %v", got)
	}
	profiles, err := ts.db.GetProfiles(t.Context(), testAppID, []string{"@RBT#helper"},
		[]string{im.TagNick, im.TagImage, "Tag_Profile_IM_SelfSignature"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(profiles["@RBT#helper"])
	if want := `[{"Tag":"Tag_Profile_IM_Nick","Value":"Helper 2"},{"Tag":"Tag_Profile_IM_Image","Value":"https://img.example.org/bot.png"},{"Tag":"Tag_Profile_IM_SelfSignature","Value":"Ask me anything"}]`; string(got) != want {
		t.Errorf("profile %s\nwant %s", got, want)
	}

	ts.must(t, pathDeleteBot, `{"Robot_Account":"@RBT#faq"}`, 0)
	ts.must(t, pathDeleteBot, `{"Robot_Account":"@RBT#faq"}`, 0) // already invalid
	if got := robots(); strings.Join(got, ",") != "@RBT#helper" {
		t.Errorf("after delete: %v", got)
	}
	if found, _ := ts.db.GetAccounts(t.Context(), testAppID, []string{"@RBT#faq"}); len(found) != 1 {
		t.Error("the invalidated bot's account is gone")
	}
	ts.must(t, pathCreateBot, `{"UserID":"@RBT#faq"}`, 0) // valid again

	// The cap: 20 valid bots.
	for i := len(robots()); i < bot.MaxRobots; i++ {
		ts.must(t, pathCreateBot, fmt.Sprintf(`{"UserID":"@RBT#b%02d"}`, i), 0)
	}
	ts.must(t, pathCreateBot, `{"UserID":"@RBT#one_over"}`, im.CodeRobotInvalid)
	ts.must(t, pathCreateBot, `{"UserID":"@RBT#helper"}`, 0) // one of the 20
	ts.must(t, pathDeleteBot, `{"Robot_Account":"@RBT#b05"}`, 0)
	ts.must(t, pathCreateBot, `{"UserID":"@RBT#one_over"}`, 0)

	for _, c := range []struct {
		path, body string
		code       int
	}{
		{pathCreateBot, `{}`, im.CodeRobotInvalid},
		{pathCreateBot, `{"UserID":"helper"}`, im.CodeRobotInvalid},
		{pathCreateBot, `{"UserID":"@RBT#` + strings.Repeat("x", 28) + `"}`, im.CodeRobotInvalid}, // 33 bytes
		{pathCreateBot, `{"UserID":7}`, im.CodeAccountNotStr},
		{pathCreateBot, `{"UserID":"@RBT#x","SelfSignature":"` + strings.Repeat("s", 501) + `"}`, im.CodeRobotInvalid},
		{pathCreateBot, `{"UserID":"@RBT#x","Nick":"` + strings.Repeat("n", 501) + `"}`, im.CodeRobotInvalid},
		{pathCreateBot, `{"UserID":"@RBT#x","Nick":5}`, im.CodeRobotInvalid},
		{pathDeleteBot, `{}`, im.CodeRobotInvalid},
		{pathDeleteBot, `{"Robot_Account":["@RBT#helper"]}`, im.CodeAccountNotStr},
		{pathDeleteBot, `{"Robot_Account":"@RBT#never"}`, im.CodeRobotInvalid},
		{pathDeleteBot, `{"Robot_Account":"helper"}`, im.CodeRobotInvalid},
		{pathRobots, `{}`, im.CodeNeedAdmin},
	} {
		var opts []callOpt
		if c.code == im.CodeNeedAdmin {
			opts = append(opts, asUser("@RBT#helper"))
		}
		ts.must(t, c.path, c.body, c.code, opts...)
	}
}
