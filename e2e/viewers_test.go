package e2e

import (
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestViewersDemo: the viewers subcommand the welcome text suggests puts N
// users in a room, and takes them out again on Ctrl-C.
func TestViewersDemo(t *testing.T) {
	n := startTestApp(t, "")
	mustOK(t, n.rest("v4/group_open_http_svc/create_group", map[string]any{"Type": "AVChatRoom", "GroupId": "demo-room", "Name": "Demo"}))
	cmd := exec.Command(binary, "viewers", "--server", n.BaseURL, "--sdkappid", fmt.Sprint(testAppID),
		"--secret-key", testKey, "--group", "demo-room", "--count", "25")
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	waitCount(t, n, "demo-room", 25)
	_ = cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("viewers exited with %v:\n%s", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("viewers ignored Ctrl-C:\n%s", out.String())
	}
	waitCount(t, n, "demo-room", 0)
}
