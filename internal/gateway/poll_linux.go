package gateway

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// poller watches idle sockets with one epoll instance, so that a waiting
// connection costs no goroutine. Each socket is registered one-shot: after
// an event it stays disarmed until its reader has handled the bytes and
// re-arms it, so at most one reader per connection runs at a time.
//
// Go's runtime keeps the same descriptors in its own epoll for the reads
// and writes we then make through net.Conn; two epoll instances may watch
// one descriptor.
type poller struct {
	startOnce sync.Once
	startErr  error
	epfd      int
	epfile    *os.File // epfd in the runtime's netpoller, for the wait
	wake      int      // eventfd: ends the wait loop on close

	mu     sync.RWMutex
	conns  map[uint64]*conn // by conn id, the key stored in the epoll event
	closed bool

	// jobs hands read events to idle readers; unbuffered, so a send
	// succeeds only when one is waiting.
	jobs chan readJob
}

// readJob is one read event: serve c, then re-arm it with op.
type readJob struct {
	c  *conn
	op int
}

// readerIdle is how long a reader waits for another event before it ends
// (and its stack is freed): long enough to be reused under load.
const readerIdle = time.Second

// wakeKey is the event key of the eventfd; conn ids start at 1.
const wakeKey = 0

const armEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

// start creates the epoll instance with the first connection, so a gateway
// that never serves one holds no descriptor or goroutine.
func (p *poller) start() error {
	p.startOnce.Do(func() {
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			p.startErr = fmt.Errorf("gateway: epoll_create: %w", err)
			return
		}
		wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			_ = unix.Close(epfd)
			p.startErr = fmt.Errorf("gateway: eventfd: %w", err)
			return
		}
		ev := unix.EpollEvent{Events: unix.EPOLLIN}
		setKey(&ev, wakeKey)
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &ev); err != nil {
			_ = unix.Close(wake)
			_ = unix.Close(epfd)
			p.startErr = fmt.Errorf("gateway: epoll_ctl eventfd: %w", err)
			return
		}
		if err := unix.SetNonblock(epfd, true); err != nil {
			_ = unix.Close(wake)
			_ = unix.Close(epfd)
			p.startErr = fmt.Errorf("gateway: epoll nonblock: %w", err)
			return
		}
		p.epfd, p.wake = epfd, wake
		p.epfile = os.NewFile(uintptr(epfd), "gateway-epoll")
		p.conns = make(map[uint64]*conn)
		p.jobs = make(chan readJob)
		go p.run()
	})
	return p.startErr
}

// add starts watching c; its reads are served until it is cut.
func (p *poller) add(c *conn) error {
	if err := p.start(); err != nil {
		return err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return errors.New("gateway: poller closed")
	}
	p.conns[c.id] = c
	p.mu.Unlock()
	if c.pending != nil { // bytes already read: serve them before waiting
		p.dispatch(readJob{c, unix.EPOLL_CTL_ADD})
		return nil
	}
	return p.arm(c, unix.EPOLL_CTL_ADD)
}

// remove forgets a connection being cut. Closing its socket takes it out
// of the epoll set; an event already collected for it finds nothing here.
func (p *poller) remove(c *conn) {
	p.mu.Lock()
	delete(p.conns, c.id)
	p.mu.Unlock()
}

// arm (re-)enables the one-shot event. Control holds the descriptor open,
// so a socket closed meanwhile cannot have its number reused under us.
func (p *poller) arm(c *conn, op int) error {
	var ctlErr error
	err := c.raw.Control(func(fd uintptr) {
		ev := unix.EpollEvent{Events: armEvents}
		setKey(&ev, c.id)
		ctlErr = unix.EpollCtl(p.epfd, op, int(fd), &ev)
	})
	return errors.Join(err, ctlErr)
}

// dispatch runs a read event on an idle reader, or on a new one when all
// are busy. A reader outlives its event by up to readerIdle so that its
// stack stays grown: a request can go deep (a send runs SQLite, whose
// frames are large), and a fresh goroutine per event copied its stack
// several times per request. Idle connections still cost no goroutine.
func (p *poller) dispatch(j readJob) {
	select {
	case p.jobs <- j:
	default:
		go p.reader(j)
	}
}

// reader serves read events until none comes for readerIdle.
func (p *poller) reader(j readJob) {
	idle := time.NewTimer(readerIdle)
	defer idle.Stop()
	for {
		p.serve(j.c, j.op)
		idle.Reset(readerIdle)
		select {
		case j = <-p.jobs:
		case <-idle.C:
			return
		}
	}
}

// serve runs one read event, then waits for the next one.
func (p *poller) serve(c *conn, op int) {
	if !c.readable() {
		return
	}
	if err := p.arm(c, op); err != nil {
		c.cut()
	}
}

func (p *poller) run() {
	events := make([]unix.EpollEvent, 256)
	// The wait is Go's own: the epoll descriptor is in the runtime's
	// netpoller, and our epoll is asked only once it has events. A
	// blocking epoll_wait kept its thread in a system call holding the
	// server's P until sysmon took it back, so with one core every other
	// goroutine could stall behind an idle wait.
	rc, err := p.epfile.SyscallConn()
	if err != nil {
		return
	}
	for {
		var n int
		var waitErr error
		err := rc.Read(func(uintptr) bool {
			n, waitErr = unix.EpollWait(p.epfd, events, 0)
			if errors.Is(waitErr, unix.EINTR) {
				n, waitErr = 0, nil
			}
			return n > 0 || waitErr != nil
		})
		if err != nil || waitErr != nil {
			return // closed
		}
		p.mu.RLock()
		for _, ev := range events[:n] {
			k := key(&ev)
			if k == wakeKey {
				p.mu.RUnlock()
				_ = unix.Close(p.wake)
				_ = p.epfile.Close()
				return
			}
			if c := p.conns[k]; c != nil {
				p.dispatch(readJob{c, unix.EPOLL_CTL_MOD})
			}
		}
		p.mu.RUnlock()
	}
}

// close stops the wait loop; sockets still open are the caller's to cut.
func (p *poller) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.conns == nil {
		p.closed = true
		return
	}
	p.closed = true
	var one [8]byte
	one[7] = 1 // eventfd counters are host-endian; any non-zero value wakes
	_, _ = unix.Write(p.wake, one[:])
}

// setKey and key store a connection id in the event's 64 data bits.
func setKey(ev *unix.EpollEvent, k uint64) {
	ev.Fd, ev.Pad = int32(uint32(k)), int32(uint32(k>>32))
}

func key(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// writeNow writes b into the socket without waiting: it returns how much
// the kernel took, possibly 0 when the socket's buffer is full. It writes
// to the descriptor itself: going through net.Conn would block, and through
// RawConn.Write would allocate a closure per call, which fan-out to every
// connection of a room cannot afford. The caller holds the connection's
// write lock and has checked it is not cut, so the descriptor is still
// this socket's.
func writeNow(fd int, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := unix.Write(fd, b[n:])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return n, nil
		case err != nil:
			return n, err
		}
		n += m
	}
	return n, nil
}
