package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/config"
)

// attrs reads GroupAttrAry as "key=value".
func (ts *testServer) attrs(t *testing.T, groupID string) []string {
	t.Helper()
	env := ts.must(t, pathGetAttr, `{"GroupId":"`+groupID+`"}`, 0)
	out := []string{}
	for _, a := range list(t, env["GroupAttrAry"]) {
		sameKeys(t, "attribute", a, "key", "value")
		out = append(out, a["key"].(string)+"="+a["value"].(string))
	}
	return out
}

// attrBody is a GroupAttr list of n pairs k0..k{n-1} with values of size
// bytes.
func attrBody(groupID string, n, size int) string {
	var parts []string
	for i := range n {
		parts = append(parts, fmt.Sprintf(`{"key":"k%d","value":"%s"}`, i, strings.Repeat("v", size)))
	}
	return `{"GroupId":"` + groupID + `","GroupAttr":[` + strings.Join(parts, ",") + `]}`
}

func TestGroupAttrs(t *testing.T) {
	ts := memberFixture(t)
	wantEqual(t, "empty", ts.attrs(t, "live"), []string{})
	ts.must(t, pathModifyAttr, `{"GroupId":"live","GroupAttr":[{"key":"stage","value":"q&a"},{"key":"speaker","value":"u_ana"}]}`, 0)
	wantEqual(t, "after modify", ts.attrs(t, "live"), []string{"stage=q&a", "speaker=u_ana"})
	d := ts.events.takeOne(t, "GroupEvent", "AttrChanged")
	wantEqual(t, "event", d.event, map[string]any{"Type": "AttrChanged", "GroupId": "live", "Operator_Account": testAdmin,
		"GroupAttrAry": []any{map[string]any{"key": "stage", "value": "q&a"}, map[string]any{"key": "speaker", "value": "u_ana"}}})

	ts.must(t, pathModifyAttr, `{"GroupId":"live","GroupAttr":[{"key":"stage","value":"voting"},{"key":"round","value":"2"}]}`, 0)
	wantEqual(t, "upsert keeps the others", ts.attrs(t, "live"), []string{"stage=voting", "speaker=u_ana", "round=2"})
	ts.must(t, pathDeleteAttr, `{"GroupId":"live","GroupAttr":[{"key":"round"}]}`, 0)
	wantEqual(t, "after delete", ts.attrs(t, "live"), []string{"stage=voting", "speaker=u_ana"})
	ts.must(t, pathDeleteAttr, `{"GroupId":"live","GroupAttr":[{"key":"stage"},{"key":"nope"}]}`, 10050)
	wantEqual(t, "a failed delete deletes nothing", ts.attrs(t, "live"), []string{"stage=voting", "speaker=u_ana"})
	ts.clock.Advance(time.Second) // five writes per second per group
	ts.must(t, pathSetAttr, `{"GroupId":"live","GroupAttr":[{"key":"stage","value":"closed"}]}`, 0)
	wantEqual(t, "after reset", ts.attrs(t, "live"), []string{"stage=closed"})
	ts.must(t, pathClearAttr, `{"GroupId":"live"}`, 0)
	wantEqual(t, "after clear", ts.attrs(t, "live"), []string{})
	ts.must(t, pathSetAttr, `{"GroupId":"live","GroupAttr":[]}`, 0)
	ts.events.take()

	t.Run("every type", func(t *testing.T) {
		for _, id := range []string{"pub", "work", "@TGS#_hub"} {
			ts.must(t, pathModifyAttr, `{"GroupId":"`+id+`","GroupAttr":[{"key":"k","value":"v"}]}`, 0)
			wantEqual(t, id, ts.attrs(t, id), []string{"k=v"})
		}
		ts.must(t, pathClearAttr, `{"GroupId":"@TGS#_hub"}`, 10007)
		ts.events.take()
	})

	ts.clock.Advance(time.Second)
	ts.must(t, pathClearAttr, `{"GroupId":"pub"}`, 0)
	ts.runCodes(t, pathModifyAttr, []codeCase{
		{"16 keys of 1,000 bytes", attrBody("pub", 16, 1000), 0},
		{"17 keys", attrBody("pub", 17, 1), 10047},
		{"a 17th key after the merge", `{"GroupId":"pub","GroupAttr":[{"key":"extra","value":"x"}]}`, 10047},
		{"key of 32 bytes", `{"GroupId":"work","GroupAttr":[{"key":"` + strings.Repeat("k", 32) + `","value":"x"}]}`, 0},
		{"key over 32 bytes", `{"GroupId":"work","GroupAttr":[{"key":"` + strings.Repeat("k", 33) + `","value":"x"}]}`, 10045},
		{"value of 4,000 bytes", `{"GroupId":"work","GroupAttr":[{"key":"big","value":"` + strings.Repeat("v", 4000) + `"}]}`, 0},
	})
	ts.clock.Advance(time.Second)
	ts.runCodes(t, pathModifyAttr, []codeCase{
		{"value over 4,000 bytes", `{"GroupId":"work","GroupAttr":[{"key":"big","value":"` + strings.Repeat("v", 4001) + `"}]}`, 10046},
		{"values over 16,000 bytes in all", `{"GroupId":"pub","GroupAttr":[{"key":"k0","value":"` + strings.Repeat("v", 1001) + `"}]}`, 10048},
		{"empty key", `{"GroupId":"work","GroupAttr":[{"key":"","value":"x"}]}`, 10004},
		{"GroupAttr missing", `{"GroupId":"work"}`, 10004},
		{"value not a string", `{"GroupId":"work","GroupAttr":[{"key":"k","value":1}]}`, 10004},
		{"unknown group", `{"GroupId":"nope","GroupAttr":[{"key":"k","value":"v"}]}`, 10010},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `","GroupAttr":[{"key":"k","value":"v"}]}`, 10015},
	})
	ts.runCodes(t, pathSetAttr, []codeCase{
		{"17 keys", attrBody("work", 17, 1), 10047},
		{"key over 32 bytes", `{"GroupId":"work","GroupAttr":[{"key":"` + strings.Repeat("k", 33) + `","value":"x"}]}`, 10045},
		{"value over 4,000 bytes", `{"GroupId":"work","GroupAttr":[{"key":"k","value":"` + strings.Repeat("v", 4001) + `"}]}`, 10046},
		{"values over 16,000 bytes in all", attrBody("work", 5, 3201), 10048},
	})
	ts.runCodes(t, pathDeleteAttr, []codeCase{
		{"key over 32 bytes", `{"GroupId":"work","GroupAttr":[{"key":"` + strings.Repeat("k", 33) + `"}]}`, 10045},
		{"missing key", `{"GroupId":"work","GroupAttr":[{"key":"never"}]}`, 10050},
		{"GroupAttr empty", `{"GroupId":"work","GroupAttr":[]}`, 10004},
	})
	for _, path := range []string{pathGetAttr, pathClearAttr} {
		ts.runCodes(t, path, []codeCase{
			{"GroupId missing", `{}`, 10004},
			{"unknown group", `{"GroupId":"nope"}`, 10010},
			{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `"}`, 10015},
		})
	}

	t.Run("five writes per second per group", func(t *testing.T) {
		ts.clock.Advance(time.Second)
		writes := []string{pathModifyAttr, pathSetAttr, pathDeleteAttr, pathClearAttr, pathModifyAttr}
		bodies := []string{`{"GroupId":"live","GroupAttr":[{"key":"a","value":"1"}]}`, `{"GroupId":"live","GroupAttr":[{"key":"a","value":"2"}]}`,
			`{"GroupId":"live","GroupAttr":[{"key":"a"}]}`, `{"GroupId":"live"}`, `{"GroupId":"live","GroupAttr":[{"key":"b","value":"1"}]}`}
		for i, p := range writes {
			ts.must(t, p, bodies[i], 0)
		}
		ts.must(t, pathModifyAttr, `{"GroupId":"live","GroupAttr":[{"key":"c","value":"1"}]}`, 10049)
		ts.must(t, pathClearAttr, `{"GroupId":"live"}`, 10049)
		// Reads do not count; other groups have their own budget.
		wantEqual(t, "read", ts.attrs(t, "live"), []string{"b=1"})
		ts.must(t, pathModifyAttr, `{"GroupId":"pub","GroupAttr":[{"key":"k1","value":"x"}]}`, 0)
		ts.clock.Advance(time.Second)
		ts.must(t, pathModifyAttr, `{"GroupId":"live","GroupAttr":[{"key":"c","value":"1"}]}`, 0)
	})
	t.Run("switched off", func(t *testing.T) {
		off := memberFixture(t, withApp(func(a *config.App) { a.Disabled = []string{"group_attr"} }))
		off.must(t, pathGetAttr, `{"GroupId":"pub"}`, 10007)
		off.must(t, pathModifyAttr, `{"GroupId":"pub","GroupAttr":[{"key":"k","value":"v"}]}`, 10007)
	})
}
