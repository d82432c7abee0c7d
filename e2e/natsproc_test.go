package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/store/pgtest"
)

// natsBinary is where the CI image installs nats-server; PATH is searched
// when it is not there.
const natsBinary = "/usr/sbin/nats-server"

// natsServer is a private nats-server process a test can kill and start
// again on the same port, so a fault never touches the server on 4222 that
// other tests share.
type natsServer struct {
	t    testing.TB
	bin  string
	port int
	URL  string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
}

// startNATS runs nats-server on a free port and waits until it accepts
// connections. The process is killed when the test ends. Without the
// binary the test fails on CI and is skipped elsewhere.
func startNATS(t testing.TB) *natsServer {
	t.Helper()
	bin := natsBinary
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("nats-server"); err != nil {
			msg := "nats-server not found at " + natsBinary + " or on PATH"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg + "; skipping (set CI=true to fail instead)")
		}
	}
	s := &natsServer{t: t, bin: bin, port: freePort(t), out: &lockedBuffer{}}
	s.URL = fmt.Sprintf("nats://127.0.0.1:%d", s.port)
	t.Cleanup(func() {
		if s.running() {
			s.kill()
		}
	})
	s.start()
	return s
}

// start runs the server (again) and waits until it accepts connections.
func (s *natsServer) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "-a", "127.0.0.1", "-p", fmt.Sprint(s.port))
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start nats-server: %v", err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(s.cmd, s.done)
	waitFor(s.t, 10*time.Second, "nats-server to accept connections", func() bool {
		select {
		case <-s.done:
			s.t.Fatalf("nats-server exited:\n%s", s.out.String())
		default:
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.port), time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// kill stops the server with SIGKILL, as a crash or a lost host would:
// clients see their connections reset and every connection attempt refused.
func (s *natsServer) kill() {
	s.t.Helper()
	_ = s.cmd.Process.Kill()
	<-s.done
}

func (s *natsServer) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// freePort returns a TCP port nothing listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// faultCluster is a cluster whose NATS a test can kill: nodes on one
// fresh PostgreSQL database and a private natsServer, under a subject
// prefix of their own, with a short presence interval.
type faultCluster struct {
	nats  *natsServer
	args  []string // every node's flags
	nodes []*node
}

// newFaultCluster starts NATS and n nodes (n may be 0: see add).
func newFaultCluster(t *testing.T, n int, interval time.Duration) *faultCluster {
	t.Helper()
	c := &faultCluster{nats: startNATS(t)}
	prefix := make([]byte, 6)
	_, _ = rand.Read(prefix)
	c.args = []string{
		"--store", pgtest.NewDatabase(t),
		"--bus", c.nats.URL, "--bus-prefix", "chatd_test_" + hex.EncodeToString(prefix),
		"--presence-interval", interval.String(),
	}
	for range n {
		c.add(t)
	}
	return c
}

// add starts one more node of the cluster, whether NATS is up or not.
func (c *faultCluster) add(t *testing.T) *node {
	t.Helper()
	n := startTestApp(t, "", c.args...)
	c.nodes = append(c.nodes, n)
	return n
}
