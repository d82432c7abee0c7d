// Package natstest gives tests the buses of a chatd cluster on the local
// NATS server (CHATD_TEST_NATS, default nats://127.0.0.1:4222).
package natstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/bus/natsbus"
)

// Cluster returns n buses under one fresh subject prefix: the nodes of one
// cluster, which no other test sees. It skips the test when NATS is not
// reachable, and fails it on CI. The buses close when the test ends.
func Cluster(t testing.TB, n int) []*natsbus.Bus {
	t.Helper()
	url := os.Getenv("CHATD_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	id := make([]byte, 6)
	_, _ = rand.Read(id)
	prefix := "chatdtest." + hex.EncodeToString(id)
	out := make([]*natsbus.Bus, n)
	for i := range out {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		nb, err := natsbus.Connect(ctx, url, natsbus.Options{Prefix: prefix})
		cancel()
		if err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("NATS at %s: %v", url, err)
			}
			t.Skipf("NATS not reachable at %s: %v", url, err)
		}
		t.Cleanup(func() { _ = nb.Close() })
		out[i] = nb
	}
	return out
}
