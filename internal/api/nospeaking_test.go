package api_test

import (
	"testing"
	"time"

	"github.com/chatd/chatd/internal/profile"
)

// mute reads getnospeaking's two remaining times.
func (us *usersServer) mute(t *testing.T, user string) [2]int64 {
	t.Helper()
	env := us.must(t, pathGetNoSpeaking, jsonBody(t, map[string]any{"Get_Account": user}), 0)
	return [2]int64{num(t, env["C2CmsgNospeakingTime"]), num(t, env["GroupmsgNospeakingTime"])}
}

// TestGlobalMute: remaining times count down and end; 4294967295 is for
// ever; a length left out leaves its mute as it is; the send checks refuse
// with the send paths' codes while a mute holds.
func TestGlobalMute(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "spam", "ok")
	ctx := t.Context()
	if got := us.mute(t, "spam"); got != [2]int64{0, 0} {
		t.Fatalf("never muted: %v", got)
	}
	us.must(t, pathSetNoSpeaking, `{"Set_Account":"spam","C2CmsgNospeakingTime":4294967295,"GroupmsgNospeakingTime":7200}`, 0)
	us.clock.Advance(4 * time.Second)
	if got := us.mute(t, "spam"); got != [2]int64{4294967295, 7196} {
		t.Fatalf("remaining: %v", got)
	}
	for kind, code := range map[profile.MuteKind]int{profile.C2C: 20012, profile.Group: 10017} {
		if err := us.profiles.CheckMuted(ctx, testAppID, "spam", kind); codeOf(err) != code {
			t.Errorf("CheckMuted %v: %v, want %d", kind, err, code)
		}
		if err := us.profiles.CheckMuted(ctx, testAppID, "ok", kind); err != nil {
			t.Errorf("CheckMuted of an unmuted user: %v", err)
		}
		if err := us.profiles.CheckMuted(ctx, testAppID, "ghost", kind); err != nil {
			t.Errorf("CheckMuted of no account: %v", err)
		}
	}

	us.clock.Advance(7196 * time.Second)
	if got := us.mute(t, "spam"); got != [2]int64{4294967295, 0} {
		t.Fatalf("after the group mute ended: %v", got)
	}
	if err := us.profiles.CheckMuted(ctx, testAppID, "spam", profile.Group); err != nil {
		t.Fatalf("an ended mute still holds: %v", err)
	}
	us.must(t, pathSetNoSpeaking, `{"Set_Account":"spam","GroupmsgNospeakingTime":60}`, 0)
	if got := us.mute(t, "spam"); got != [2]int64{4294967295, 60} {
		t.Fatalf("a length left out changed its mute: %v", got)
	}
	us.must(t, pathSetNoSpeaking, `{"Set_Account":"spam","C2CmsgNospeakingTime":0}`, 0)
	if got := us.mute(t, "spam"); got != [2]int64{0, 60} {
		t.Fatalf("after unmuting: %v", got)
	}
	if err := us.profiles.CheckMuted(ctx, testAppID, "spam", profile.C2C); err != nil {
		t.Fatalf("an unmuted user: %v", err)
	}

	for _, tt := range []struct {
		name, path, body string
		code             int
	}{
		{"both lengths left out", pathSetNoSpeaking, `{"Set_Account":"spam"}`, 40001},
		{"negative", pathSetNoSpeaking, `{"Set_Account":"spam","C2CmsgNospeakingTime":-1}`, 40001},
		{"over 0xFFFFFFFF", pathSetNoSpeaking, `{"Set_Account":"spam","C2CmsgNospeakingTime":4294967296}`, 40001},
		{"not an integer", pathSetNoSpeaking, `{"Set_Account":"spam","C2CmsgNospeakingTime":"60"}`, 40001},
		{"no account", pathSetNoSpeaking, `{"C2CmsgNospeakingTime":60}`, 40001},
		{"not imported", pathSetNoSpeaking, `{"Set_Account":"ghost","C2CmsgNospeakingTime":60}`, 40003},
		{"get: no account", pathGetNoSpeaking, `{}`, 40001},
		{"get: not imported", pathGetNoSpeaking, `{"Get_Account":"ghost"}`, 40003},
	} {
		t.Run(tt.name, func(t *testing.T) { us.must(t, tt.path, tt.body, tt.code) })
	}
}

// TestBlockedSendCheck: a one-to-one message from a sender on the
// recipient's blocklist is refused with 20007, only that way round.
func TestBlockedSendCheck(t *testing.T) {
	us := newUsersServer(t)
	us.importAccounts(t, "a", "b")
	ctx := t.Context()
	us.must(t, pathBlockAdd, `{"From_Account":"b","To_Account":["a"]}`, 0)
	if err := us.relations.CheckC2CSend(ctx, testAppID, "a", "b"); codeOf(err) != 20007 {
		t.Fatalf("a to b, blocked by b: %v", err)
	}
	if err := us.relations.CheckC2CSend(ctx, testAppID, "b", "a"); err != nil {
		t.Fatalf("b to a: %v", err)
	}
	us.must(t, pathBlockDelete, `{"From_Account":"b","To_Account":["a"]}`, 0)
	if err := us.relations.CheckC2CSend(ctx, testAppID, "a", "b"); err != nil {
		t.Fatalf("after unblocking: %v", err)
	}
}
