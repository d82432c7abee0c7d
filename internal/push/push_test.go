package push_test

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/bus"
	"github.com/chatd/chatd/internal/config"
	"github.com/chatd/chatd/internal/im"
	"github.com/chatd/chatd/internal/push"
	"github.com/chatd/chatd/internal/store/sqlite/sqlitetest"
)

const appID = 1400000001

// node is one node's connections: who is online here, what reached them.
type node struct {
	mu     sync.Mutex
	online []string
	got    chan []string
}

func (n *node) LocalUsers(app uint64) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if app != appID {
		return nil
	}
	return append([]string(nil), n.online...)
}

func (n *node) DeliverLocal(_ uint64, userIDs []string, p im.Push) {
	var ev push.Event
	if json.Unmarshal(p.Event, &ev) != nil || ev.Type != push.TypeAllMemberPush {
		userIDs = []string{"malformed event"}
	}
	n.got <- userIDs
}

func (n *node) next(t *testing.T) []string {
	t.Helper()
	select {
	case users := <-n.got:
		return users
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery")
		return nil
	}
}

// TestFanOut: a push made on one node reaches the matching users online on
// every node, each node delivering to its own connections.
func TestFanOut(t *testing.T) {
	db := sqlitetest.Open(t)
	ctx := t.Context()
	var imports []im.AccountImport
	for _, u := range []string{"a1", "a2", "b1", "b2"} {
		imports = append(imports, im.AccountImport{Account: im.Account{AppID: appID, UserID: u, CreatedAt: 1}})
	}
	if err := db.ImportAccounts(ctx, imports); err != nil {
		t.Fatal(err)
	}
	if err := db.AddPushTags(ctx, appID, []im.UserPushTags{{UserID: "a2", Tags: []string{"vip"}}, {UserID: "b1", Tags: []string{"vip"}}}, 100); err != nil {
		t.Fatal(err)
	}
	apps := []config.App{{SDKAppID: appID, SecretKey: "k", Admins: []string{"admin"}}}
	b := bus.NewLocal()
	t.Cleanup(func() { b.Close() })
	now := time.Unix(1717000000, 0)
	clock := func() time.Time { return now }
	nodeA := &node{online: []string{"a1", "a2"}, got: make(chan []string, 4)}
	nodeB := &node{online: []string{"b1", "b2"}, got: make(chan []string, 4)}
	var services []*push.Service
	for _, n := range []*node{nodeA, nodeB} {
		s := push.NewService(push.Deps{Store: db, Bus: b, Local: n, Apps: apps, Now: clock})
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		services = append(services, s)
	}

	random := int64(1)
	body := []im.MsgElem{{Type: "TIMTextElem", Content: json.RawMessage(`{"Text":"hi"}`)}}
	if _, err := services[0].Push(ctx, &apps[0], "admin", &push.Request{MsgRandom: &random, MsgBody: body,
		Condition: &push.Condition{TagsOr: []string{"vip"}}}); err != nil {
		t.Fatal(err)
	}
	if got := nodeA.next(t); !slices.Equal(got, []string{"a2"}) {
		t.Errorf("node A delivered to %v", got)
	}
	if got := nodeB.next(t); !slices.Equal(got, []string{"b1"}) {
		t.Errorf("node B delivered to %v", got)
	}

	now = now.Add(2 * time.Second)
	random = 2
	if _, err := services[1].Push(ctx, &apps[0], "admin", &push.Request{MsgRandom: &random, MsgBody: body}); err != nil {
		t.Fatal(err)
	}
	if got := nodeA.next(t); !slices.Equal(got, []string{"a1", "a2"}) {
		t.Errorf("node A delivered to %v", got)
	}
	if got := nodeB.next(t); !slices.Equal(got, []string{"b1", "b2"}) {
		t.Errorf("node B delivered to %v", got)
	}
}
