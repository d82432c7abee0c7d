package storetest

import (
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// RunMutes checks the mutes of im.GroupStore.
func RunMutes(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("SetAndList", func(t *testing.T) {
		s := fresh(t, open)
		bob := member("bob", im.RoleMember, 2)
		bob.MuteUntil = 0
		mustCreate(t, s, group(app1, "g", im.GroupPublic), bob)
		mustCreate(t, s, group(app2, "g", im.GroupPublic))
		ok(t, "mute", s.SetMutes(t.Context(), app1, "g", "", []im.Mute{{UserID: "bob", Until: 2000}, {UserID: "zed", Until: 1500}, {UserID: "amy", Until: 900}}, 100))
		ok(t, "topic mute", s.SetMutes(t.Context(), app1, "g", "g@TOPIC#_t", []im.Mute{{UserID: "bob", Until: 3000}}, 100))

		for _, tt := range []struct {
			name, topic string
			app         uint64
			now         int64
			want        []im.Mute
		}{
			{"group, by UserID", "", app1, 100, []im.Mute{{UserID: "amy", Until: 900}, {UserID: "bob", Until: 2000}, {UserID: "zed", Until: 1500}}},
			{"ended ones left out", "", app1, 1500, []im.Mute{{UserID: "bob", Until: 2000}}},
			{"topic", "g@TOPIC#_t", app1, 100, []im.Mute{{UserID: "bob", Until: 3000}}},
			{"other topic", "g@TOPIC#_u", app1, 100, nil},
			{"other app", "", app2, 100, nil},
		} {
			got, err := s.ListMutes(t.Context(), tt.app, "g", tt.topic, tt.now)
			ok(t, tt.name, err)
			equal(t, tt.name, got, tt.want)
		}
		ms, err := s.GetMembers(t.Context(), app1, "g", []string{"bob"})
		ok(t, "member", err)
		equal(t, "group mute mirrored on the member row, not the topic one", ms["bob"].MuteUntil, int64(2000))

		for _, tt := range []struct {
			name, topic, user string
			now, want         int64
		}{
			{"muted", "", "bob", 100, 2000},
			{"not a member, muted", "", "zed", 100, 1500},
			{"ended", "", "amy", 900, 0},
			{"never muted", "", "carol", 100, 0},
			{"in the topic", "g@TOPIC#_t", "bob", 100, 3000},
			{"not in the topic", "g@TOPIC#_t", "zed", 100, 0},
		} {
			got, err := s.MutedUntil(t.Context(), app1, "g", tt.topic, tt.user, tt.now)
			ok(t, tt.name, err)
			equal(t, tt.name, got, tt.want)
		}

		// Until 0 lifts a mute, on the member row too.
		ok(t, "unmute", s.SetMutes(t.Context(), app1, "g", "", []im.Mute{{UserID: "bob"}}, 100))
		got, err := s.ListMutes(t.Context(), app1, "g", "", 100)
		ok(t, "list after unmute", err)
		equal(t, "after unmute", got, []im.Mute{{UserID: "amy", Until: 900}, {UserID: "zed", Until: 1500}})
		ms, err = s.GetMembers(t.Context(), app1, "g", []string{"bob"})
		ok(t, "member after unmute", err)
		equal(t, "member row after unmute", ms["bob"].MuteUntil, int64(0))

		wantErr(t, "no such group", s.SetMutes(t.Context(), app1, "nope", "", []im.Mute{{UserID: "bob", Until: 5}}, 1), im.ErrNotFound)
	})

	t.Run("SurvivesRejoin", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupPublic), im.Member{UserID: "bob", Role: im.RoleMember})
		ok(t, "mute", s.SetMutes(t.Context(), app1, "g", "", []im.Mute{{UserID: "bob", Until: 2000}, {UserID: "carol", Until: 2500}}, 100))
		_, err := s.RemoveMembers(t.Context(), app1, "g", []string{"bob"})
		ok(t, "leave", err)
		_, err = s.AddMembers(t.Context(), app1, "g", []im.Member{{UserID: "bob", Role: im.RoleMember}, {UserID: "carol", Role: im.RoleMember}, {UserID: "dave", Role: im.RoleMember}})
		ok(t, "rejoin", err)
		ms, err := s.GetMembers(t.Context(), app1, "g", []string{"bob", "carol", "dave"})
		ok(t, "members", err)
		equal(t, "mutes on join", []int64{ms["bob"].MuteUntil, ms["carol"].MuteUntil, ms["dave"].MuteUntil}, []int64{2000, 2500, 0})
	})

	t.Run("DeletedWithTopicAndGroup", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "g", im.GroupCommunity))
		ok(t, "create topic", s.CreateTopic(t.Context(), &im.Topic{AppID: app1, GroupID: "g", ID: "g@TOPIC#_t", CreateTime: 1, NextMsgSeq: 1}, 10))
		ok(t, "topic mute", s.SetMutes(t.Context(), app1, "g", "g@TOPIC#_t", []im.Mute{{UserID: "bob", Until: 3000}}, 100))
		ok(t, "group mute", s.SetMutes(t.Context(), app1, "g", "", []im.Mute{{UserID: "bob", Until: 3000}}, 100))
		ok(t, "delete topic", s.DeleteTopic(t.Context(), app1, "g", "g@TOPIC#_t"))
		ok(t, "recreate topic", s.CreateTopic(t.Context(), &im.Topic{AppID: app1, GroupID: "g", ID: "g@TOPIC#_t", CreateTime: 1, NextMsgSeq: 1}, 10))
		until, err := s.MutedUntil(t.Context(), app1, "g", "g@TOPIC#_t", "bob", 100)
		ok(t, "topic mute after recreate", err)
		equal(t, "topic mute gone with its topic", until, int64(0))
		until, err = s.MutedUntil(t.Context(), app1, "g", "", "bob", 100)
		ok(t, "group mute", err)
		equal(t, "group mute kept", until, int64(3000))

		ok(t, "delete group", s.DeleteGroup(t.Context(), app1, "g"))
		mustCreate(t, s, group(app1, "g", im.GroupCommunity))
		until, err = s.MutedUntil(t.Context(), app1, "g", "", "bob", 100)
		ok(t, "after recreate", err)
		equal(t, "group mute gone with its group", until, int64(0))
	})
}
