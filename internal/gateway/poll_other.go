//go:build !linux

package gateway

// poller, outside Linux, gives each connection a reader goroutine that
// blocks in read: correct everywhere, without the idle-connection memory
// savings of the epoll poller (poll_linux.go).
type poller struct{}

func (p *poller) add(c *conn) error {
	go func() {
		for c.readable() {
		}
	}()
	return nil
}

func (p *poller) remove(*conn) {}

func (p *poller) close() {}

// writeNow never writes directly here: every frame goes through the
// connection's queue and writer goroutine.
func writeNow(int, []byte) (int, error) { return 0, nil }
