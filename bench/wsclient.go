package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"
	"github.com/gobwas/ws/wsutil"

	"github.com/chatd/chatd/internal/wsdeflate"
)

// wsClient is the harness's own WebSocket client of the gateway protocol
// (docs/client-protocol.md), on gobwas/ws: a socket, a reader, nothing per
// connection in the background. The generator must stay cheaper than the
// server it measures; a full client library per simulated user would make
// 19,000 logins or 100,000 deliveries a second measure the generator.
type wsClient struct {
	nc     net.Conn
	r      *bufio.Reader
	nextID int64
	// deflate: the server agreed to permessage-deflate without context
	// takeover.
	deflate bool
}

// maxInflated bounds a message from the server once inflated: far above
// any push or reply chatd sends.
const maxInflated = 16 << 20

// deflateOffer is the extension as the harness offers it.
var deflateOffer = wsflate.Parameters{ServerNoContextTakeover: true, ClientNoContextTakeover: true}.Option()

// wsURL is the gateway endpoint of a server's base URL.
func wsURL(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/v4/ws" }

// dialWS opens a socket and logs user in; offerDeflate offers
// permessage-deflate without context takeover, as a browser or the Go
// client does, for scenarios that measure what a client receives (the
// others leave it out, so a server does no compression they do not
// measure).
func (s *sourcePool) dialWS(ctx context.Context, base, user, sig string, offerDeflate bool) (*wsClient, error) {
	d := ws.Dialer{NetDial: s.DialContext, Timeout: callTimeout}
	if offerDeflate {
		d.Extensions = []httphead.Option{deflateOffer}
	}
	nc, br, hs, err := d.Dial(ctx, wsURL(base))
	if err != nil {
		return nil, err
	}
	if br == nil { // nothing arrived behind the handshake response
		br = bufio.NewReaderSize(nc, 512)
	}
	c := &wsClient{nc: nc, r: br}
	for _, x := range hs.Extensions {
		var p wsflate.Parameters
		if string(x.Name) == wsflate.ExtensionName && p.Parse(x) == nil {
			if !p.ServerNoContextTakeover {
				_ = nc.Close()
				return nil, fmt.Errorf("the server compresses with context takeover, which the harness does not follow")
			}
			c.deflate = true
		}
	}
	// Protocol 2, as the Go client speaks it: the smaller pushes.
	err = c.call(fmt.Sprintf(`"op":"login","SDKAppID":%d,"UserID":%q,"UserSig":%q,"Protocol":2`, benchAppID, user, sig))
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	return c, nil
}

func (c *wsClient) join(group string) error {
	return c.call(fmt.Sprintf(`"op":"join_group","GroupId":%q`, group))
}

func (c *wsClient) quit(group string) error {
	return c.call(fmt.Sprintf(`"op":"quit_group","GroupId":%q`, group))
}

// Close drops the socket without a close handshake, as a vanished client
// would; the server cleans up on the reset.
func (c *wsClient) Close() error { return c.nc.Close() }

// call sends one request (its fields after "id") and waits for its reply.
// Requests are sequential per client and nothing is pushed to a client
// that has not joined a room, so the next frame is the reply.
func (c *wsClient) call(fields string) error {
	c.nextID++
	id := c.nextID
	if err := c.nc.SetDeadline(time.Now().Add(callTimeout)); err != nil {
		return err
	}
	defer c.nc.SetDeadline(time.Time{})
	if err := wsutil.WriteClientText(c.nc, fmt.Appendf(nil, `{"id":%d,%s}`, id, fields)); err != nil {
		return err
	}
	var buf []byte
	data, err := c.next(&buf)
	if err != nil {
		return err
	}
	var reply struct {
		ID        int64
		ErrorCode int
		ErrorInfo string
	}
	if err := json.Unmarshal(data, &reply); err != nil || reply.ID != id {
		return fmt.Errorf("want the reply to request %d, got %s", id, data)
	}
	if reply.ErrorCode != 0 {
		return fmt.Errorf("error %d: %s", reply.ErrorCode, reply.ErrorInfo)
	}
	return nil
}

// receive calls fn with every text message until the socket ends. The
// payload is only valid during the call.
func (c *wsClient) receive(fn func(payload []byte)) {
	c.receiveSized(true, func(payload []byte, _ int) { fn(payload) })
}

// receiveSized is receive that also tells fn the bytes the message took
// on the wire: its frame, header included, compressed if it came so. With
// inflate false, a compressed payload is handed over as it came, which
// spares the generator the inflation when only frames are counted.
func (c *wsClient) receiveSized(inflate bool, fn func(payload []byte, wire int)) {
	var buf []byte
	for {
		p, wire, err := c.nextSized(&buf, inflate)
		if err != nil {
			return
		}
		fn(p, wire)
	}
}

// next reads the next text message and returns its payload (inflated if
// it came compressed); io.EOF when the server closes. The payload is valid
// until the next read.
func (c *wsClient) next(buf *[]byte) ([]byte, error) {
	p, _, err := c.nextSized(buf, true)
	return p, err
}

// nextSized is next that also returns the bytes of the message's frame on
// the wire, and inflates only when asked. The frame is read into *buf
// (grown as needed). chatd's frames are never fragmented or masked.
func (c *wsClient) nextSized(buf *[]byte, inflate bool) (payload []byte, wire int, err error) {
	var hdr [ws.MaxHeaderSize - 2]byte
	for {
		h, err := ws.ReadHeaderBuffer(c.r, hdr[:])
		if err != nil {
			return nil, 0, err
		}
		if h.OpCode == ws.OpClose {
			return nil, 0, io.EOF
		}
		if int64(cap(*buf)) < h.Length {
			*buf = make([]byte, h.Length)
		}
		p := (*buf)[:h.Length]
		if _, err := io.ReadFull(c.r, p); err != nil {
			return nil, 0, err
		}
		if h.OpCode != ws.OpText {
			continue
		}
		wire = wsHeaderLen(len(p)) + len(p)
		if !h.Rsv1() {
			return p, wire, nil
		}
		if !c.deflate {
			return nil, 0, fmt.Errorf("a compressed frame on a connection that did not negotiate compression")
		}
		if !inflate {
			return p, wire, nil
		}
		inflated, err := wsdeflate.Inflate(p, maxInflated)
		if err != nil {
			return nil, 0, fmt.Errorf("inflate: %w", err)
		}
		return inflated, wire, nil
	}
}

// keepAlive sends a heartbeat on every client each interval until ctx
// ends, for clients that stay otherwise silent for longer than the server's
// idle timeout. Nothing else may use the clients meanwhile; the replies
// are left unread.
func keepAlive(ctx context.Context, clients []*wsClient, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	frame := []byte(`{"id":0,"op":"heartbeat"}`)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, c := range clients {
			_ = wsutil.WriteClientText(c.nc, frame)
		}
	}
}
