package api_test

import (
	"reflect"
	"strings"
	"testing"
)

func TestGroupMsgReceipts(t *testing.T) {
	ts, rec, _, svc := groupMsgFixture(t)
	ts.importAccounts(t, "carl", "dora")
	ts.must(t, pathAddMembers, `{"GroupId":"pub","MemberList":[{"Member_Account":"carl"},{"Member_Account":"dora"}]}`, 0)
	// pub: owner, ann, bob, carl, dora. ann asks for receipts (1), the admin
	// too (2, not a member), bob does not (3).
	asked := sendSeq(t, ts, "pub", 1, map[string]any{"From_Account": "ann", "NeedReadReceipt": 1})
	byAdmin := sendSeq(t, ts, "pub", 2, map[string]any{"NeedReadReceipt": 1})
	plain := sendSeq(t, ts, "pub", 3, map[string]any{"From_Account": "bob"})
	rec.take()
	read := func(user string, seqs ...int64) {
		t.Helper()
		if err := svc.MarkRead(t.Context(), testAppID, user, "pub", seqs, ts.clock.Now()); err != nil {
			t.Fatalf("%s reads %v: %v", user, seqs, err)
		}
	}
	read("bob", asked, byAdmin, plain)
	// ann is told; the admin is not an account, so has no stream.
	p := onlyPush(t, rec)
	sameKeys(t, "receipt event", p.event, "Type", "GroupId", "Reader_Account", "GroupMsgReceiptList")
	wantList := []any{map[string]any{"MsgSeq": jsonNum(asked), "ReadNum": jsonNum(1), "UnreadNum": jsonNum(3)}}
	if p.kind != "user" || p.to != "ann" || p.push.Seq == 0 || p.event["Type"] != "GroupMsgReceipt" || p.event["Reader_Account"] != "bob" ||
		!reflect.DeepEqual(p.event["GroupMsgReceiptList"], wantList) {
		t.Errorf("receipt push %+v", p)
	}
	read("carl", asked)
	read("carl", asked) // counted once
	read("ann", asked)  // one's own message counts nothing
	rec.take()

	env := ts.must(t, pathReceipts, jsonBody(t, map[string]any{"GroupId": "pub", "MsgSeqList": []any{
		map[string]any{"MsgSeq": asked}, map[string]any{"MsgSeq": byAdmin}, map[string]any{"MsgSeq": plain}, map[string]any{"MsgSeq": 99}}}), 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "GroupMsgReceiptList")
	var got [][4]int64
	for _, r := range list(t, env["GroupMsgReceiptList"]) {
		sameKeys(t, "receipt", r, "Code", "MsgSeq", "ReadNum", "UnreadNum")
		got = append(got, [4]int64{num(t, r["Code"]), num(t, r["MsgSeq"]), num(t, r["ReadNum"]), num(t, r["UnreadNum"])})
	}
	// ann's: 4 others, 2 read. The admin's: every one of the 5 members, 1 read.
	want := [][4]int64{{0, asked, 2, 2}, {0, byAdmin, 1, 4}, {10062, plain, 0, 0}, {10062, 99, 0, 0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("receipts %v, want %v", got, want)
	}

	t.Run("details", func(t *testing.T) {
		detail := func(filter, count int, cursor string) (users []string, finished int64, next string) {
			t.Helper()
			env := ts.must(t, pathReceiptDetail, jsonBody(t, map[string]any{"GroupId": "pub", "MsgSeq": asked, "Filter": filter, "Cursor": cursor, "Count": count}), 0)
			list, field := "ReadList", "Read_Account"
			if filter == 1 {
				list, field = "UnreadList", "Unread_Account"
			}
			sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "IsFinish", "IsFinished", "MsgSeq", list, "Cursor")
			if env["IsFinish"] != env["IsFinished"] || num(t, env["MsgSeq"]) != asked {
				t.Errorf("reply %v", env)
			}
			var entries []map[string]any
			mustUnmarshal(t, string(mustJSON(t, env[list])), &entries)
			users = []string{}
			for _, e := range entries {
				users = append(users, e[field].(string))
			}
			return users, num(t, env["IsFinish"]), env["Cursor"].(string)
		}
		users, fin, next := detail(0, 1, "")
		if !reflect.DeepEqual(users, []string{"bob"}) || fin != 0 || next == "" {
			t.Fatalf("first reader page %v %d %q", users, fin, next)
		}
		if users, fin, next = detail(0, 1, next); !reflect.DeepEqual(users, []string{"carl"}) || fin != 1 || next != "" {
			t.Errorf("second reader page %v %d %q", users, fin, next)
		}
		if users, fin, _ = detail(1, 200, ""); !reflect.DeepEqual(users, []string{"dora", "owner"}) || fin != 1 {
			t.Errorf("non-readers %v %d: every member but the sender and the readers", users, fin)
		}
		if users, _, next = detail(1, 1, ""); !reflect.DeepEqual(users, []string{"dora"}) {
			t.Errorf("non-readers page %v", users)
		}
		if users, _, _ = detail(1, 1, next); !reflect.DeepEqual(users, []string{"owner"}) {
			t.Errorf("non-readers next page %v", users)
		}
		env := ts.must(t, pathReceiptDetail, jsonBody(t, map[string]any{"GroupId": "pub", "MsgSeq": byAdmin, "Filter": 0, "Cursor": "", "Count": 5}), 0)
		var empty []any
		mustUnmarshal(t, string(mustJSON(t, env["ReadList"])), &empty)
		if empty == nil || len(empty) != 1 {
			t.Errorf("ReadList %v", env["ReadList"])
		}
	})

	for _, tt := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"100 messages", map[string]any{"GroupId": "pub", "MsgSeqList": seqList(100)}, 0},
		{"101 messages", map[string]any{"GroupId": "pub", "MsgSeqList": seqList(101)}, 10004},
		{"no messages", map[string]any{"GroupId": "pub", "MsgSeqList": seqList(0)}, 10004},
		{"a live group", map[string]any{"GroupId": "live", "MsgSeqList": seqList(1)}, 10007},
		{"a community", map[string]any{"GroupId": "@TGS#_hub", "MsgSeqList": seqList(1)}, 10007},
		{"GroupId missing", map[string]any{"MsgSeqList": seqList(1)}, 10004},
		{"invalid group ID", map[string]any{"GroupId": strings.Repeat("g", 49), "MsgSeqList": seqList(1)}, 10015},
		{"no such group", map[string]any{"GroupId": "nope", "MsgSeqList": seqList(1)}, 10010},
	} {
		t.Run("receipts: "+tt.name, func(t *testing.T) { ts.must(t, pathReceipts, jsonBody(t, tt.body), tt.want) })
	}
	detailBody := func(fields map[string]any) string {
		return overlay(t, map[string]any{"GroupId": "pub", "MsgSeq": asked, "Filter": 0, "Cursor": "", "Count": 10}, fields)
	}
	for _, tt := range []struct {
		name   string
		fields map[string]any
		want   int
	}{
		{"Count 200", map[string]any{"Count": 200}, 0},
		{"Count 201", map[string]any{"Count": 201}, 10004},
		{"Count 0", map[string]any{"Count": 0}, 10004},
		{"Filter 2", map[string]any{"Filter": 2}, 10004},
		{"Filter missing", map[string]any{"Filter": absent}, 10004},
		{"MsgSeq missing", map[string]any{"MsgSeq": absent}, 10004},
		{"a foreign Cursor", map[string]any{"Cursor": "not base64!"}, 10004},
		{"a message without receipts", map[string]any{"MsgSeq": plain}, 10062},
		{"no such message", map[string]any{"MsgSeq": 99}, 10062},
		{"a community", map[string]any{"GroupId": "@TGS#_hub"}, 10007},
		{"a live group", map[string]any{"GroupId": "live"}, 10007},
		{"invalid group ID", map[string]any{"GroupId": strings.Repeat("g", 49)}, 10015},
		{"no such group", map[string]any{"GroupId": "nope"}, 10010},
	} {
		t.Run("detail: "+tt.name, func(t *testing.T) { ts.must(t, pathReceiptDetail, detailBody(tt.fields), tt.want) })
	}
}
