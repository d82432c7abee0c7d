package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/chatd/chatd/internal/config"
)

// counters reads GroupCounter as "key=value".
func counters(t *testing.T, env map[string]any) []string {
	t.Helper()
	out := []string{}
	for _, c := range list(t, env["GroupCounter"]) {
		sameKeys(t, "counter", c, "Key", "Value")
		out = append(out, fmt.Sprintf("%s=%d", c["Key"], num(t, c["Value"])))
	}
	return out
}

func TestGroupCounters(t *testing.T) {
	ts := memberFixture(t)
	env := ts.must(t, pathUpdateCounter, `{"GroupId":"live","GroupCounter":[{"Key":"likes","Value":1287},{"Key":"gifts","Value":45}]}`, 0)
	wantEqual(t, "Set is the default", counters(t, env), []string{"likes=1287", "gifts=45"})
	d := ts.events.takeOne(t, "GroupEvent", "CounterChanged")
	wantEqual(t, "event", d.event, map[string]any{"Type": "CounterChanged", "GroupId": "live", "Operator_Account": testAdmin,
		"GroupCounter": []any{map[string]any{"Key": "likes", "Value": 1287.0}, map[string]any{"Key": "gifts", "Value": 45.0}}})

	env = ts.must(t, pathUpdateCounter, `{"GroupId":"live","GroupCounter":[{"Key":"likes","Value":3},{"Key":"new","Value":2}],"Mode":"Increase"}`, 0)
	wantEqual(t, "Increase, a missing key from 0", counters(t, env), []string{"likes=1290", "new=2"})
	env = ts.must(t, pathUpdateCounter, `{"GroupId":"live","GroupCounter":[{"Key":"gifts","Value":50}],"Mode":"Decrease"}`, 0)
	wantEqual(t, "Decrease below 0", counters(t, env), []string{"gifts=-5"})
	env = ts.must(t, pathUpdateCounter, `{"GroupId":"live","GroupCounter":[{"Key":"new","Value":7}],"Mode":"Set"}`, 0)
	wantEqual(t, "Set", counters(t, env), []string{"new=7"})

	env = ts.must(t, pathGetCounter, `{"GroupId":"live","GroupCounterKeys":["likes","nope","gifts"]}`, 0)
	sameKeys(t, "reply", env, "ActionStatus", "ErrorCode", "ErrorInfo", "RequestId", "GroupCounter")
	wantEqual(t, "listed, in the order asked", counters(t, env), []string{"likes=1290", "gifts=-5"})
	env = ts.must(t, pathGetCounter, `{"GroupId":"live"}`, 0)
	wantEqual(t, "all, by key", counters(t, env), []string{"gifts=-5", "likes=1290", "new=7"})
	env = ts.must(t, pathGetCounter, `{"GroupId":"live","GroupCounterKeys":[]}`, 0)
	wantEqual(t, "an empty list asks for none", counters(t, env), []string{})
	ts.events.take()

	ts.must(t, pathDeleteCounter, `{"GroupId":"live","GroupCounterKeys":["gifts","nope"]}`, 0)
	d = ts.events.takeOne(t, "GroupEvent", "CounterChanged")
	wantEqual(t, "delete event", d.event["DeletedKeys"], []any{"gifts"})
	ts.must(t, pathDeleteCounter, `{"GroupId":"live","GroupCounterKeys":[]}`, 0)
	wantEqual(t, "an empty list deletes none", counters(t, ts.must(t, pathGetCounter, `{"GroupId":"live"}`, 0)), []string{"likes=1290", "new=7"})
	ts.must(t, pathDeleteCounter, `{"GroupId":"live"}`, 0)
	wantEqual(t, "no keys deletes all", counters(t, ts.must(t, pathGetCounter, `{"GroupId":"live"}`, 0)), []string{})
	ts.events.take()

	var twenty []string
	for i := range 20 {
		twenty = append(twenty, fmt.Sprintf(`{"Key":"k%02d","Value":%d}`, i, i))
	}
	ts.runCodes(t, pathUpdateCounter, []codeCase{
		{"20 keys", `{"GroupId":"pub","GroupCounter":[` + strings.Join(twenty, ",") + `]}`, 0},
		{"a 21st key", `{"GroupId":"pub","GroupCounter":[{"Key":"k20","Value":1}]}`, 10063},
		{"21 entries", `{"GroupId":"work","GroupCounter":[` + strings.Join(twenty, ",") + `,{"Key":"x","Value":1}]}`, 10063},
		{"key of 128 bytes", `{"GroupId":"work","GroupCounter":[{"Key":"` + strings.Repeat("k", 128) + `","Value":1}]}`, 0},
		{"key over 128 bytes", `{"GroupId":"work","GroupCounter":[{"Key":"` + strings.Repeat("k", 129) + `","Value":1}]}`, 10004},
		{"empty key", `{"GroupId":"work","GroupCounter":[{"Key":"","Value":1}]}`, 10004},
		{"int64 max", `{"GroupId":"work","GroupCounter":[{"Key":"max","Value":9223372036854775807}]}`, 0},
		{"over int64", `{"GroupId":"work","GroupCounter":[{"Key":"k","Value":9223372036854775808}]}`, 10004},
		{"an increase past int64", `{"GroupId":"work","GroupCounter":[{"Key":"max","Value":1}],"Mode":"Increase"}`, 10004},
		{"a decrease by int64 min", `{"GroupId":"work","GroupCounter":[{"Key":"k","Value":-9223372036854775808}],"Mode":"Decrease"}`, 10004},
		{"a fraction", `{"GroupId":"work","GroupCounter":[{"Key":"k","Value":1.5}]}`, 10004},
		{"unknown Mode", `{"GroupId":"work","GroupCounter":[{"Key":"k","Value":1}],"Mode":"Multiply"}`, 10004},
		{"GroupCounter missing", `{"GroupId":"work"}`, 10004},
		{"Community", `{"GroupId":"@TGS#_hub","GroupCounter":[{"Key":"k","Value":1}]}`, 10007},
		{"unknown group", `{"GroupId":"nope","GroupCounter":[{"Key":"k","Value":1}]}`, 10010},
		{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `","GroupCounter":[{"Key":"k","Value":1}]}`, 10015},
	})
	for _, path := range []string{pathGetCounter, pathDeleteCounter} {
		ts.runCodes(t, path, []codeCase{
			{"Community", `{"GroupId":"@TGS#_hub"}`, 10007},
			{"key over 128 bytes", `{"GroupId":"pub","GroupCounterKeys":["` + strings.Repeat("k", 129) + `"]}`, 10004},
			{"unknown group", `{"GroupId":"nope"}`, 10010},
			{"invalid group ID", `{"GroupId":"` + strings.Repeat("g", 49) + `"}`, 10015},
		})
	}
	t.Run("switched off", func(t *testing.T) {
		off := memberFixture(t, withApp(func(a *config.App) { a.Disabled = []string{"group_counter"} }))
		off.runCodes(t, pathGetCounter, []codeCase{{"get", `{"GroupId":"pub"}`, 10059}})
		off.runCodes(t, pathUpdateCounter, []codeCase{{"update", `{"GroupId":"pub","GroupCounter":[{"Key":"k","Value":1}]}`, 10059}})
		off.runCodes(t, pathDeleteCounter, []codeCase{{"delete", `{"GroupId":"pub"}`, 10059}})
	})
}

// TestConcurrentCounterIncrements: concurrent update_group_counter calls
// (on PostgreSQL, from several pooled connections) lose no increment.
func TestConcurrentCounterIncrements(t *testing.T) {
	ts := memberFixture(t, withRateLimit(0))
	const workers, rounds = 6, 15
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				ts.must(t, pathUpdateCounter, `{"GroupId":"live","GroupCounter":[{"Key":"likes","Value":2}],"Mode":"Increase"}`, 0)
			}
		})
	}
	wg.Wait()
	env := ts.must(t, pathGetCounter, `{"GroupId":"live"}`, 0)
	wantEqual(t, "no increment lost", counters(t, env), []string{fmt.Sprintf("likes=%d", 2*workers*rounds)})
}
