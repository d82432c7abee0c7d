package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/chatd/chatd/internal/im"
)

// topic builds a topic with every field set.
func topic(app uint64, groupID, id string, created int64) *im.Topic {
	return &im.Topic{
		AppID: app, GroupID: groupID, ID: id, Name: "name of " + id, FaceURL: "https://img.example/t",
		Notification: "notice", Introduction: "intro", CustomString: `{"color":"teal"}`, MuteAllMember: true,
		Creator: "alice", CreateTime: created, LastMsgTime: created + 1, NextMsgSeq: 7,
	}
}

// RunTopics checks the topic half of im.GroupStore.
func RunTopics(t *testing.T, open func(t *testing.T) im.Store) {
	t.Run("CreateGetList", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "c", im.GroupCommunity))
		mustCreate(t, s, group(app2, "c", im.GroupCommunity))
		t1, t2, t3 := topic(app1, "c", "c@TOPIC#_b", 20), topic(app1, "c", "c@TOPIC#_a", 20), topic(app1, "c", "c@TOPIC#_z", 10)
		for _, tp := range []*im.Topic{t1, t2, t3} {
			ok(t, "create "+tp.ID, s.CreateTopic(t.Context(), tp, 3))
		}
		got, err := s.GetTopic(t.Context(), app1, "c", "c@TOPIC#_b")
		ok(t, "get", err)
		equal(t, "round trip", got, t1)

		list, err := s.ListTopics(t.Context(), app1, "c")
		ok(t, "list", err)
		equal(t, "by creation time, then ID", list, []im.Topic{*t3, *t2, *t1})

		err = s.CreateTopic(t.Context(), topic(app1, "c", "c@TOPIC#_more", 30), 3)
		wantErr(t, "limit", err, im.ErrFull)
		err = s.CreateTopic(t.Context(), topic(app1, "c", "c@TOPIC#_a", 30), 10)
		wantErr(t, "taken ID", err, im.ErrConflict)
		err = s.CreateTopic(t.Context(), topic(app1, "nope", "nope@TOPIC#_a", 30), 10)
		wantErr(t, "no such group", err, im.ErrNotFound)

		for _, tt := range []struct {
			name  string
			app   uint64
			group string
			id    string
		}{
			{"no such topic", app1, "c", "c@TOPIC#_nope"},
			{"other app", app2, "c", "c@TOPIC#_a"},
			{"other group", app1, "d", "c@TOPIC#_a"},
		} {
			_, err := s.GetTopic(t.Context(), tt.app, tt.group, tt.id)
			wantErr(t, tt.name, err, im.ErrNotFound)
		}
		list, err = s.ListTopics(t.Context(), app2, "c")
		ok(t, "list other app", err)
		equal(t, "other app has none", len(list), 0)
	})

	t.Run("Update", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "c", im.GroupCommunity))
		ok(t, "create", s.CreateTopic(t.Context(), topic(app1, "c", "c@TOPIC#_a", 20), 10))
		_, err := s.UpdateTopic(t.Context(), app1, "c", "c@TOPIC#_a", func(tp *im.Topic) error {
			tp.Name, tp.FaceURL, tp.Notification, tp.Introduction, tp.CustomString, tp.MuteAllMember = "n", "f", "no", "i", "cs", false
			tp.CreateTime, tp.NextMsgSeq, tp.Creator = 1, 1, "mallory" // not stored
			return nil
		})
		ok(t, "update", err)
		want := topic(app1, "c", "c@TOPIC#_a", 20)
		want.Name, want.FaceURL, want.Notification, want.Introduction, want.CustomString, want.MuteAllMember = "n", "f", "no", "i", "cs", false
		got, err := s.GetTopic(t.Context(), app1, "c", "c@TOPIC#_a")
		ok(t, "get", err)
		equal(t, "stored", got, want)

		boom := errors.New("boom")
		_, err = s.UpdateTopic(t.Context(), app1, "c", "c@TOPIC#_a", func(tp *im.Topic) error { tp.Name = "lost"; return boom })
		wantErr(t, "apply error", err, boom)
		got, err = s.GetTopic(t.Context(), app1, "c", "c@TOPIC#_a")
		ok(t, "get after rollback", err)
		equal(t, "rolled back", got.Name, "n")
		_, err = s.UpdateTopic(t.Context(), app1, "c", "c@TOPIC#_x", func(*im.Topic) error { return nil })
		wantErr(t, "no such topic", err, im.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		s := fresh(t, open)
		mustCreate(t, s, group(app1, "c", im.GroupCommunity))
		for i := range 3 {
			ok(t, "create", s.CreateTopic(t.Context(), topic(app1, "c", fmt.Sprintf("c@TOPIC#_%d", i), int64(i)), 3))
		}
		wantErr(t, "delete", s.DeleteTopic(t.Context(), app1, "c", "c@TOPIC#_1"), nil)
		wantErr(t, "delete again", s.DeleteTopic(t.Context(), app1, "c", "c@TOPIC#_1"), im.ErrNotFound)
		wantErr(t, "no such group", s.DeleteTopic(t.Context(), app1, "nope", "c@TOPIC#_0"), im.ErrNotFound)
		// A freed place counts.
		ok(t, "create in the freed place", s.CreateTopic(t.Context(), topic(app1, "c", "c@TOPIC#_3", 3), 3))
		ok(t, "delete group", s.DeleteGroup(t.Context(), app1, "c"))
		mustCreate(t, s, group(app1, "c", im.GroupCommunity))
		list, err := s.ListTopics(t.Context(), app1, "c")
		ok(t, "list after recreate", err)
		equal(t, "topics gone with the group", len(list), 0)
	})
}
