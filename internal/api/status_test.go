package api_test

import (
	"strings"
	"testing"
)

const pathOnlineStatus = "/v4/openim/query_online_status"

// TestQueryOnlineStatus covers the REST side; who is online comes from the
// gateway and is covered end to end (e2e TestCluster).
func TestQueryOnlineStatus(t *testing.T) {
	ts := newTestServer(t)
	ts.importAccounts(t, "alice")

	env := ts.must(t, pathOnlineStatus, `{"To_Account":["alice","ghost"],"IsNeedDetail":1,"IsReturnCustomStatus":1}`, 0)
	results, errs := list(t, env["QueryResult"]), list(t, env["ErrorList"])
	if len(results) != 1 || results[0]["To_Account"] != "alice" || results[0]["Status"] != "Offline" {
		t.Fatalf("QueryResult: %v", results)
	}
	if d, ok := results[0]["Detail"]; ok {
		t.Fatalf("an offline user has Detail %v (the spec's example omits it)", d)
	}
	if results[0]["CustomStatus"] != "" {
		t.Fatalf("CustomStatus asked for but %v", results[0]["CustomStatus"])
	}
	if len(errs) != 1 || errs[0]["To_Account"] != "ghost" || num(t, errs[0]["ErrorCode"]) != 70107 {
		t.Fatalf("ErrorList: %v", errs)
	}

	plain := ts.must(t, pathOnlineStatus, `{"To_Account":["alice"]}`, 0)
	if _, ok := list(t, plain["QueryResult"])[0]["Detail"]; ok {
		t.Fatal("Detail present without IsNeedDetail")
	}
	if errs := list(t, plain["ErrorList"]); len(errs) != 0 {
		t.Fatalf("ErrorList not empty: %v", errs)
	}

	for name, body := range map[string]string{
		"missing":   `{}`,
		"empty":     `{"To_Account":[]}`,
		"too many":  jsonBody(t, map[string]any{"To_Account": ids("u", 501)}),
		"not array": `{"To_Account":"alice"}`,
	} {
		t.Run(name, func(t *testing.T) {
			code := 70402
			if strings.Contains(name, "not array") {
				code = 60015
			}
			ts.must(t, pathOnlineStatus, body, code)
		})
	}
}
