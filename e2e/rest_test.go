package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFirstStartCreatesApp: with no app configured the server makes one,
// prints how to use it, and reuses it on the next start.
func TestFirstStartCreatesApp(t *testing.T) {
	data := t.TempDir()
	n := startNode(t, data)
	out := n.out.String()
	for _, want := range []string{"SDKAppID:", "Admin:      administrator", "Admin UserSig (valid 180 days):", "curl -s -X POST", "viewers --server"} {
		if !strings.Contains(out, want) {
			t.Fatalf("welcome text lacks %q:\n%s", want, out)
		}
	}
	var app struct {
		SDKAppID  uint64 `json:"sdkappid"`
		SecretKey string `json:"secret_key"`
	}
	b, err := os.ReadFile(filepath.Join(data, "app.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &app); err != nil {
		t.Fatal(err)
	}
	if app.SDKAppID < 1400000000 || app.SDKAppID > 1499999999 || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(app.SecretKey) {
		t.Fatalf("generated app %+v is out of shape", app)
	}
	// The printed curl works as printed: take its URL and body.
	m := regexp.MustCompile(`curl -s -X POST '([^']+account_check[^']+)' \\\n\s+-d '([^']+)'`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no account_check curl in:\n%s", out)
	}
	reply := postRaw(t, m[1], m[2])
	mustOK(t, reply)
	if items := reply["ResultItem"].([]any); items[0].(map[string]any)["AccountStatus"] != "Imported" {
		t.Fatalf("the admin account is not imported: %v", reply)
	}
	if err := n.stop(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}

	again := startNode(t, data)
	if !strings.Contains(again.out.String(), "using the app in") || !strings.Contains(again.out.String(), "SDKAppID:   "+jsonNumber(app.SDKAppID)) {
		t.Fatalf("second start did not reuse the app:\n%s", again.out.String())
	}
	if err := again.stop(); err != nil {
		t.Fatal(err)
	}
}

func jsonNumber(v uint64) string { b, _ := json.Marshal(v); return string(b) }

// TestRESTOverHTTP drives accounts and groups over HTTP and checks that a
// restart, and a crash, keep every acknowledged write.
func TestRESTOverHTTP(t *testing.T) {
	storeEngines(t, testRESTOverHTTP)
}

func testRESTOverHTTP(t *testing.T, storeArgs []string) {
	data := t.TempDir()
	n := startTestApp(t, data, storeArgs...)

	mustOK(t, n.rest("v4/im_open_login_svc/multiaccount_import", map[string]any{"Accounts": []string{"ana", "ravi", "mei"}}))
	created := mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{
		"Owner_Account": "ana", "Type": "Public", "GroupId": "design_review", "Name": "Design Review",
		"MemberList": []any{map[string]any{"Member_Account": "ravi", "Role": "Admin"}, map[string]any{"Member_Account": "mei"}},
	}))
	if created["GroupId"] != "design_review" {
		t.Fatalf("create_group: %v", created)
	}
	live := mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Type": "AVChatRoom", "Name": "Live"}))
	if !strings.HasPrefix(live["GroupId"].(string), "@TGS#") {
		t.Fatalf("generated ID: %v", live)
	}

	// Bad input still answers HTTP 200 with the envelope.
	wantCode(t, n.rest("v4/im_open_login_svc/account_import", "{not json"), 60003)
	wantCode(t, n.rest("v4/im_open_login_svc/account_import", `{"UserID":42}`), 60015)
	wantCode(t, n.rest("v4/no_such_svc/nothing", "{}"), 60009)
	wantCode(t, n.restAs(testAppID, "ana", userSig("ana"), "v4/im_open_login_svc/account_check", `{"CheckItem":[{"UserID":"ana"}]}`), 60010)
	wantCode(t, n.restAs(testAppID, testAdmin, "garbage$", "v4/im_open_login_svc/account_check", "{}"), 70003)

	if err := n.stop(); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}

	// Restart: everything is still there.
	n = startTestApp(t, data, storeArgs...)
	checkGroup(t, n)
	mustOK(t, n.rest("v4/im_open_login_svc/account_import", map[string]any{"UserID": "after_crash"}))
	// Crash: the acknowledged write survives kill -9.
	n.kill()
	n = startTestApp(t, data, storeArgs...)
	checkGroup(t, n)
	reply := mustOK(t, n.rest("v4/im_open_login_svc/account_check", map[string]any{"CheckItem": []any{map[string]any{"UserID": "after_crash"}}}))
	if reply["ResultItem"].([]any)[0].(map[string]any)["AccountStatus"] != "Imported" {
		t.Fatalf("write acknowledged before kill -9 was lost: %v", reply)
	}
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
}

func checkGroup(t *testing.T, n *node) {
	t.Helper()
	info := mustOK(t, n.rest("v4/group_open_http_svc/get_group_info", map[string]any{"GroupIdList": []string{"design_review"}}))
	g := info["GroupInfo"].([]any)[0].(map[string]any)
	if g["ErrorCode"] != float64(0) || g["MemberNum"] != float64(3) || g["Owner_Account"] != "ana" {
		t.Fatalf("group after restart: %v", g)
	}
}

// TestUserSigCommand: the usersig subcommand prints one verifiable sig
// and nothing else.
func TestUserSigCommand(t *testing.T) {
	out, err := runBinary("usersig", "--sdkappid", "1400012345", "--secret-key", testKey, "--identifier", "administrator")
	if err != nil {
		t.Fatalf("usersig: %v: %s", err, out)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9*_-]+\n$`).MatchString(out) {
		t.Fatalf("usersig printed more than a sig: %q", out)
	}
	n := startTestApp(t, "")
	mustOK(t, n.restAs(testAppID, testAdmin, strings.TrimSpace(out), "v4/im_open_login_svc/account_check", `{"CheckItem":[{"UserID":"x"}]}`))
}
