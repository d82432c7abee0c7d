package config

import (
	"strings"
	"testing"
)

func TestGroupLimits(t *testing.T) {
	set := App{GroupMemberLimits: map[string]int{"Public": 500, "Community": 20000}, JoinedGroupLimit: 50, TopicLimit: 10}
	var unset App
	for _, tt := range []struct {
		name string
		got  int
		want int
	}{
		{"default Private", unset.MemberLimit("Private"), DefaultGroupMemberLimit},
		{"default Public", unset.MemberLimit("Public"), DefaultGroupMemberLimit},
		{"default ChatRoom", unset.MemberLimit("ChatRoom"), DefaultGroupMemberLimit},
		{"default Community", unset.MemberLimit("Community"), DefaultCommunityMemberLimit},
		{"AVChatRoom has no cap", unset.MemberLimit("AVChatRoom"), 0},
		{"set Public", set.MemberLimit("Public"), 500},
		{"set Community", set.MemberLimit("Community"), 20000},
		{"unset type of a set app", set.MemberLimit("Private"), DefaultGroupMemberLimit},
		{"AVChatRoom stays uncapped", set.MemberLimit("AVChatRoom"), 0},
		{"default joined groups", unset.JoinedGroups(), DefaultJoinedGroupLimit},
		{"set joined groups", set.JoinedGroups(), 50},
		{"default topics", unset.Topics(), DefaultTopicLimit},
		{"set topics", set.Topics(), 10},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

func TestValidateGroupLimits(t *testing.T) {
	for _, tt := range []struct {
		name    string
		edit    func(a *App)
		wantErr string
	}{
		{"defaults", func(a *App) {}, ""},
		{"member limits", func(a *App) { a.GroupMemberLimits = map[string]int{"Private": 20, "Community": 1} }, ""},
		{"AVChatRoom cap", func(a *App) { a.GroupMemberLimits = map[string]int{"AVChatRoom": 10} }, "AVChatRoom"},
		{"product name", func(a *App) { a.GroupMemberLimits = map[string]int{"Work": 10} }, "Work"},
		{"zero cap", func(a *App) { a.GroupMemberLimits = map[string]int{"Public": 0} }, "at least 1"},
		{"negative joined", func(a *App) { a.JoinedGroupLimit = -1 }, "negative"},
		{"negative topics", func(a *App) { a.TopicLimit = -1 }, "negative"},
	} {
		c := Default()
		c.Apps = []App{{SDKAppID: 1400000001, SecretKey: "k", Admins: []string{"admin"}}}
		tt.edit(&c.Apps[0])
		err := c.Validate()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error %v, want one mentioning %q", tt.name, err, tt.wantErr)
		}
	}
}
