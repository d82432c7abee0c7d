package e2e

import (
	"testing"
	"time"
)

// TestCommunityOnlineCount: million_group_open_http_svc/get_online_member_num
// counts the members of a Community with a connection that follows it,
// once each however many devices, on one node and across two.
func TestCommunityOnlineCount(t *testing.T) {
	c := newFaultCluster(t, 2, faultInterval)
	a, b := c.nodes[0], c.nodes[1]
	mustOK(t, a.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"own", "m1", "m2"}}))
	mustOK(t, a.rest("v4/group_open_http_svc/create_group", map[string]any{
		"Owner_Account": "own", "Type": "Community", "GroupId": "@TGS#_online", "Name": "Online",
		"MemberList": []any{map[string]any{"Member_Account": "m1"}, map[string]any{"Member_Account": "m2"}},
	}))
	count := func(n *node) int {
		reply := mustOK(t, n.rest("v4/million_group_open_http_svc/get_online_member_num", map[string]any{"GroupId": "@TGS#_online"}))
		return int(reply["OnlineMemberNum"].(float64))
	}
	if got := count(a); got != 0 {
		t.Fatalf("nobody online: %d", got)
	}
	m1a := dialUser(t, a, "m1")
	m1b := dialUser(t, b, "m1") // a second device, on the other node
	dialUser(t, b, "m2")
	if got := count(a); got < 1 {
		t.Fatalf("node A counts its own member at once: %d", got)
	}
	for _, n := range []*node{a, b} {
		waitFor(t, 5*time.Second, "both members counted once", func() bool { return count(n) == 2 })
	}
	_ = m1a.Close()
	_ = m1b.Close()
	for _, n := range []*node{a, b} {
		waitFor(t, 5*time.Second, "m1 gone", func() bool { return count(n) == 1 })
	}
}

// TestCommunityOnlineCountAlone: on one node without a bus the count is
// exact at the moment of the call.
func TestCommunityOnlineCountAlone(t *testing.T) {
	n := startTestApp(t, t.TempDir())
	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"own", "m1"}}))
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{
		"Owner_Account": "own", "Type": "Community", "GroupId": "@TGS#_alone", "Name": "Alone",
		"MemberList": []any{map[string]any{"Member_Account": "m1"}},
	}))
	count := func() float64 {
		return mustOK(t, n.rest("v4/million_group_open_http_svc/get_online_member_num", map[string]any{"GroupId": "@TGS#_alone"}))["OnlineMemberNum"].(float64)
	}
	m1 := dialUser(t, n, "m1")
	if got := count(); got != 1 {
		t.Fatalf("with m1 online: %v", got)
	}
	_ = m1.Close()
	waitFor(t, 5*time.Second, "m1 gone", func() bool { return count() == 0 })
}
