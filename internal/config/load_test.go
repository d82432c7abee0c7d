package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "chatd.json")
	if err := os.WriteFile(file, []byte(`{"addr":"file:1","rate_limit":7,"apps":[{"sdkappid":1400000001,"secret_key":"k","admins":["boss"]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		wantAddr string
		wantRate int
		wantApp  uint64
	}{
		{"file only", []string{"--config", file}, nil, "file:1", 7, 1400000001},
		{"env beats file", []string{"--config", file}, map[string]string{"CHATD_ADDR": "env:2", "CHATD_RATE_LIMIT": "0"}, "env:2", 0, 1400000001},
		{"flag beats env", []string{"--config", file, "--addr", "flag:3", "--sdkappid", "1400000009"}, map[string]string{"CHATD_ADDR": "env:2"}, "flag:3", 7, 1400000009},
		{"config path from env", nil, map[string]string{"CHATD_CONFIG": file}, "file:1", 7, 1400000001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			c := got.Config
			if c.Addr != tc.wantAddr || c.RateLimit != tc.wantRate || c.Apps[0].SDKAppID != tc.wantApp {
				t.Fatalf("addr %q rate %d app %d, want %q %d %d", c.Addr, c.RateLimit, c.Apps[0].SDKAppID, tc.wantAddr, tc.wantRate, tc.wantApp)
			}
			if c.Apps[0].Admins[0] != "boss" {
				t.Fatalf("admins from the file lost: %v", c.Apps[0].Admins)
			}
		})
	}
}

func TestLoadGeneratesAppOnce(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := func(string) string { return "" }
	first, err := Load([]string{"--data", data}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	app := first.Config.Apps[0]
	if !first.AppCreated || app.SDKAppID < minGeneratedAppID || app.SDKAppID > maxGeneratedAppID || len(app.SecretKey) != 64 {
		t.Fatalf("generated app %+v (created %v)", app, first.AppCreated)
	}
	if first.Config.Addr != DefaultAddr || first.Config.PresenceInterval != Duration(DefaultPresenceInterval) || app.Admins[0] != DefaultAdmin {
		t.Fatalf("defaults not applied: %+v", first.Config)
	}
	again, err := Load([]string{"--data", data}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if again.AppCreated || again.Config.Apps[0].SDKAppID != app.SDKAppID || again.Config.Apps[0].SecretKey != app.SecretKey {
		t.Fatalf("second start did not reuse the app: %+v", again)
	}
}

func TestLoadRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad sdkappid", []string{"--sdkappid", "x", "--secret-key", "k"}, "sdkappid"},
		{"negative rate", []string{"--rate-limit", "-1"}, "rate-limit"},
		{"bad interval", []string{"--presence-interval", "soon"}, "presence-interval"},
		{"key without app id", []string{"--secret-key", "k"}, "sdkappid is missing"},
		{"too many admins", []string{"--sdkappid", "1", "--secret-key", "k", "--admin", strings.Repeat("a,", 10) + "a"}, "admins"},
		{"stray argument", []string{"oops"}, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(append(tc.args, "--data", t.TempDir()), func(string) string { return "" }, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestDurationJSON(t *testing.T) {
	var d Duration
	for in, want := range map[string]time.Duration{`"90s"`: 90 * time.Second, `120`: 2 * time.Minute} {
		if err := d.UnmarshalJSON([]byte(in)); err != nil || time.Duration(d) != want {
			t.Fatalf("%s: %v %v", in, time.Duration(d), err)
		}
	}
}
