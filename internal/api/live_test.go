package api_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
)

// liveFixture makes a live group "live" and a Public group "pub". The
// group service runs without live rooms, so nobody is ever online.
func liveFixture(t *testing.T, opts ...option) *testServer {
	t.Helper()
	ts := newTestServer(t, opts...)
	ts.importAccounts(t, "host")
	ts.createGroup(t, `{"Owner_Account":"host","Type":"AVChatRoom","GroupId":"live","Name":"Live"}`)
	ts.createGroup(t, `{"Owner_Account":"host","Type":"Public","GroupId":"pub","Name":"Pub"}`)
	return ts
}

func TestOnlineMemberNum(t *testing.T) {
	ts := liveFixture(t)
	tests := []struct {
		name, body string
		want       int
	}{
		{"AVChatRoom with nobody online", `{"GroupId":"live"}`, 0},
		{"Public group", `{"GroupId":"pub"}`, 10007},
		{"unknown group", `{"GroupId":"nope"}`, 10010},
		{"ID over 48 bytes", `{"GroupId":"` + strings.Repeat("g", 49) + `"}`, 10015},
		{"ID with a control character", `{"GroupId":"li\u0000ve"}`, 10015},
		{"GroupId missing", `{}`, 10004},
		{"GroupId empty", `{"GroupId":""}`, 10004},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := ts.must(t, pathOnlineNum, tt.body, tt.want)
			if tt.want == 0 && num(t, env["OnlineMemberNum"]) != 0 {
				t.Errorf("OnlineMemberNum %v, want 0", env["OnlineMemberNum"])
			}
		})
	}
}

func TestGetMembers(t *testing.T) {
	ts := liveFixture(t)
	tests := []struct {
		name, body string
		want       int
	}{
		{"AVChatRoom with nobody online", `{"GroupId":"live","Timestamp":0}`, 0},
		{"with a Mark", `{"GroupId":"live","Timestamp":0,"Mark":1001}`, 0},
		{"Timestamp missing", `{"GroupId":"live"}`, 10004},
		{"Timestamp negative", `{"GroupId":"live","Timestamp":-1}`, 10004},
		{"Public group", `{"GroupId":"pub","Timestamp":0}`, 10007},
		{"unknown group", `{"GroupId":"nope","Timestamp":0}`, 10010},
		{"ID over 48 bytes", `{"GroupId":"` + strings.Repeat("g", 49) + `","Timestamp":0}`, 10015},
		{"GroupId missing", `{"Timestamp":0}`, 10004},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := ts.must(t, pathGetMembers, tt.body, tt.want)
			if tt.want != 0 {
				return
			}
			if m := list(t, env["MemberList"]); len(m) != 0 || num(t, env["NextTimestamp"]) != 0 {
				t.Errorf("MemberList %v NextTimestamp %v, want [] and 0", m, env["NextTimestamp"])
			}
		})
	}
}

type bannedAccount struct {
	Member_Account string
	BannedUntil    int64
}

// bans reads one page of get_group_ban_member.
func (ts *testServer) bans(t *testing.T, body string) ([]bannedAccount, int64) {
	t.Helper()
	env := ts.must(t, pathBanList, body, 0)
	raw, err := json.Marshal(env["BannedAccountList"])
	if err != nil {
		t.Fatal(err)
	}
	var out []bannedAccount
	if err := json.Unmarshal(raw, &out); err != nil || out == nil {
		t.Fatalf("BannedAccountList %s: want an array (%v)", raw, err)
	}
	return out, num(t, env["NextOffset"])
}

func TestBanGroupMembers(t *testing.T) {
	ts := liveFixture(t)
	now := ts.clock.Now().Unix()
	ts.must(t, pathBan, `{"GroupId":"live","Members_Account":["u_spam02","u_spam01","u_spam03"],"Duration":7200,"Description":"flooding the chat"}`, 0)

	all, next := ts.bans(t, `{"GroupId":"live","Offset":0}`)
	want := []bannedAccount{{"u_spam01", now + 7200}, {"u_spam02", now + 7200}, {"u_spam03", now + 7200}}
	if !reflect.DeepEqual(all, want) || next != 0 {
		t.Errorf("bans %v NextOffset %d, want %v and 0", all, next, want)
	}

	t.Run("paging", func(t *testing.T) {
		var pages []bannedAccount
		next := int64(0)
		for i, wantNext := range []int64{1, 2, 0} {
			page, n := ts.bans(t, fmt.Sprintf(`{"GroupId":"live","Limit":1,"Offset":%d}`, next))
			if len(page) != 1 || n != wantNext {
				t.Fatalf("page %d: %v NextOffset %d, want 1 ban and %d", i, page, n, wantNext)
			}
			pages, next = append(pages, page...), n
		}
		if !reflect.DeepEqual(pages, want) {
			t.Errorf("pages %v, want %v", pages, want)
		}
		page, n := ts.bans(t, `{"GroupId":"live","Limit":2,"Offset":1}`)
		if !reflect.DeepEqual(page, want[1:]) || n != 0 {
			t.Errorf("Limit 2 Offset 1: %v NextOffset %d, want %v and 0", page, n, want[1:])
		}
		page, n = ts.bans(t, `{"GroupId":"live","Limit":2,"Offset":0}`)
		if !reflect.DeepEqual(page, want[:2]) || n != 2 {
			t.Errorf("Limit 2 Offset 0: %v NextOffset %d, want %v and 2", page, n, want[:2])
		}
	})

	t.Run("unban", func(t *testing.T) {
		ts.must(t, pathUnban, `{"GroupId":"live","Members_Account":["u_spam03","never_banned"]}`, 0)
		if got, _ := ts.bans(t, `{"GroupId":"live","Offset":0}`); !reflect.DeepEqual(got, want[:2]) {
			t.Errorf("bans %v, want %v", got, want[:2])
		}
	})

	t.Run("re-ban replaces the end time", func(t *testing.T) {
		ts.must(t, pathBan, `{"GroupId":"live","Members_Account":["u_spam01"],"Duration":60}`, 0)
		got, _ := ts.bans(t, `{"GroupId":"live","Offset":0}`)
		if want := []bannedAccount{{"u_spam01", now + 60}, {"u_spam02", now + 7200}}; !reflect.DeepEqual(got, want) {
			t.Errorf("bans %v, want %v", got, want)
		}
	})

	t.Run("expired bans disappear", func(t *testing.T) {
		ts.clock.Advance(59 * time.Second)
		if got, _ := ts.bans(t, `{"GroupId":"live","Offset":0}`); len(got) != 2 {
			t.Errorf("after 59 s: %v, want both", got)
		}
		ts.clock.Advance(time.Second)
		if got, _ := ts.bans(t, `{"GroupId":"live","Offset":0}`); !reflect.DeepEqual(got, []bannedAccount{{"u_spam02", now + 7200}}) {
			t.Errorf("after 60 s: %v, want only u_spam02", got)
		}
		ts.clock.Advance(2 * time.Hour)
		if got, _ := ts.bans(t, `{"GroupId":"live","Offset":0}`); len(got) != 0 {
			t.Errorf("after 2 h: %v, want none", got)
		}
	})

	t.Run("unban after expiry", func(t *testing.T) {
		ts.must(t, pathBan, `{"GroupId":"live","Members_Account":["a","b","c"],"Duration":3600}`, 0)
		ts.must(t, pathUnban, `{"GroupId":"live","Members_Account":["b"]}`, 0)
		got, _ := ts.bans(t, `{"GroupId":"live","Offset":0}`)
		later := ts.clock.Now().Unix() + 3600
		if want := []bannedAccount{{"a", later}, {"c", later}}; !reflect.DeepEqual(got, want) {
			t.Errorf("bans %v, want %v", got, want)
		}
	})

	t.Run("disbanding drops the bans", func(t *testing.T) {
		ts.must(t, pathDestroy, `{"GroupId":"live"}`, 0)
		ts.createGroup(t, `{"Type":"AVChatRoom","GroupId":"live","Name":"Live again"}`)
		if got, _ := ts.bans(t, `{"GroupId":"live","Offset":0}`); len(got) != 0 {
			t.Errorf("bans of the new group %v, want none", got)
		}
	})
}

func TestBanErrors(t *testing.T) {
	ts := liveFixture(t)
	accounts := func(n int) string { return `["` + strings.Join(ids("u", n), `","`) + `"]` }
	tests := []struct {
		name, path, body string
		want             int
	}{
		{"ban 20 accounts", pathBan, `{"GroupId":"live","Members_Account":` + accounts(20) + `,"Duration":60}`, 0},
		{"ban over 20 accounts", pathBan, `{"GroupId":"live","Members_Account":` + accounts(21) + `,"Duration":60}`, 10005},
		{"unban over 20 accounts", pathUnban, `{"GroupId":"live","Members_Account":` + accounts(21) + `}`, 10005},
		{"ban Duration missing", pathBan, `{"GroupId":"live","Members_Account":["x"]}`, 10004},
		{"ban Duration negative", pathBan, `{"GroupId":"live","Members_Account":["x"],"Duration":-1}`, 10004},
		{"ban Duration over uint32", pathBan, `{"GroupId":"live","Members_Account":["x"],"Duration":4294967296}`, 10004},
		{"ban Duration a string", pathBan, `{"GroupId":"live","Members_Account":["x"],"Duration":"60"}`, 10004},
		{"ban Members_Account missing", pathBan, `{"GroupId":"live","Duration":60}`, 10004},
		{"ban Members_Account empty", pathBan, `{"GroupId":"live","Members_Account":[],"Duration":60}`, 10004},
		{"ban empty UserID", pathBan, `{"GroupId":"live","Members_Account":["x",""],"Duration":60}`, 10004},
		{"ban Description over 1000 bytes", pathBan, `{"GroupId":"live","Members_Account":["x"],"Duration":60,"Description":"` + strings.Repeat("d", 1001) + `"}`, 10004},
		{"unban Members_Account missing", pathUnban, `{"GroupId":"live"}`, 10004},
		{"ban in a Public group", pathBan, `{"GroupId":"pub","Members_Account":["x"],"Duration":60}`, 10007},
		{"unban in a Public group", pathUnban, `{"GroupId":"pub","Members_Account":["x"]}`, 10007},
		{"list a Public group", pathBanList, `{"GroupId":"pub","Offset":0}`, 10007},
		{"ban in an unknown group", pathBan, `{"GroupId":"nope","Members_Account":["x"],"Duration":60}`, 10010},
		{"list an unknown group", pathBanList, `{"GroupId":"nope","Offset":0}`, 10010},
		{"list an invalid group ID", pathBanList, `{"GroupId":"` + strings.Repeat("g", 49) + `","Offset":0}`, 10015},
		{"ban GroupId missing", pathBan, `{"Members_Account":["x"],"Duration":60}`, 10004},
		{"list Offset missing", pathBanList, `{"GroupId":"live"}`, 10004},
		{"list Offset negative", pathBanList, `{"GroupId":"live","Offset":-1}`, 10004},
		{"list Limit over 100", pathBanList, `{"GroupId":"live","Limit":101,"Offset":0}`, 10004},
		{"list Limit 100", pathBanList, `{"GroupId":"live","Limit":100,"Offset":0}`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts.must(t, tt.path, tt.body, tt.want)
		})
	}
	if got, _ := ts.bans(t, `{"GroupId":"live","Offset":0}`); len(got) != 20 {
		t.Errorf("%d bans, want the 20 of the one valid call", len(got))
	}
}

func TestBanDisabled(t *testing.T) {
	ts := liveFixture(t, withApp(func(a *config.App) { a.Disabled = []string{"live_ban"} }))
	ts.must(t, pathBan, `{"GroupId":"live","Members_Account":["x"],"Duration":60}`, 10007)
	ts.must(t, pathUnban, `{"GroupId":"live","Members_Account":["x"]}`, 10007)
	ts.must(t, pathBanList, `{"GroupId":"live","Offset":0}`, 10007)
	// The switch covers banning only: the rest of the live API still works.
	ts.must(t, pathOnlineNum, `{"GroupId":"live"}`, 0)
}
