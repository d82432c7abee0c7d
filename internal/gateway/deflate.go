package gateway

import (
	"bytes"
	"compress/flate"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gobwas/httphead"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsflate"

	"github.com/chatd/chatd/internal/wsdeflate"
)

// Per-message compression (RFC 7692, permessage-deflate), without context
// takeover in either direction: every message is compressed alone. That is
// what keeps fan-out encode-once (a push is compressed once and the same
// compressed frame goes into every socket that negotiated it) and what
// keeps a connection free of compression state (no 32 KiB window per
// socket, in either direction).

// deflateNegotiation answers one upgrade's permessage-deflate offers. Use
// a fresh one per upgrade as the Negotiate function of ws.HTTPUpgrader or
// ws.Upgrader; accepted then tells whether the connection compresses.
//
// The first offer the server can honour is accepted, answered with
// server_no_context_takeover and client_no_context_takeover (RFC 7692
// §7.1.1: a server may add both even when they were not offered). An
// offer is declined (the upgrade goes on without the extension) when it
// is malformed (§5) or asks for a server window under 32 KiB:
// compress/flate always uses a 32 KiB window, so server_max_window_bits
// below 15 cannot be honoured; 15 is accepted by echoing it (§7.1.2.1).
// client_max_window_bits needs no answer: the inflater reads any window up
// to 32 KiB.
type deflateNegotiation struct {
	accepted bool
}

// flateWindowBits is the window compress/flate compresses with: 32 KiB.
const flateWindowBits = 15

func (n *deflateNegotiation) negotiate(offer httphead.Option) (httphead.Option, error) {
	if n.accepted || !bytes.Equal(offer.Name, wsflate.ExtensionNameBytes) {
		return httphead.Option{}, nil
	}
	var p wsflate.Parameters
	if p.Parse(offer) != nil {
		return httphead.Option{}, nil
	}
	answer := wsflate.Parameters{ServerNoContextTakeover: true, ClientNoContextTakeover: true}
	if p.ServerMaxWindowBits.Defined() {
		if p.ServerMaxWindowBits < flateWindowBits {
			return httphead.Option{}, nil
		}
		answer.ServerMaxWindowBits = flateWindowBits
	}
	n.accepted = true
	return answer.Option(), nil
}

// RSV1 is set on the first frame of a compressed message (RFC 7692 §6):
// rsvCompressed is the bit as ws.Header.Rsv holds it, rsv1Bit as it is in
// the first byte of a frame.
const (
	rsvCompressed = 0b100
	rsv1Bit       = 0x40
)

// syncFlushTail ends the data of every flush; the sender of a compressed
// message removes it (RFC 7692 §7.2.1).
var syncFlushTail = []byte{0x00, 0x00, 0xff, 0xff}

// errBadDeflate: a compressed message that does not inflate; closed with
// 1007, the status for a message whose data does not match its type.
var errBadDeflate = wsdeflate.ErrCorrupt

// Compression of what the server sends. A payload shorter than
// deflateThreshold goes plain: the replies and small pushes under it save
// a few bytes each (a 113-byte login reply becomes 101) for 2-3 µs of
// compression, while the push of a 100-byte text message (about 300
// bytes) loses a third. BestSpeed takes 6-7 µs for that push; HuffmanOnly
// is 1 µs faster and leaves it 13% larger; levels 2 and above take 4 µs
// more for 3% less.
const (
	deflateThreshold = 128
	deflateLevel     = flate.BestSpeed
)

// deflater is a pooled compressor (1.2 MB at BestSpeed: compress/flate's
// hash tables are fixed arrays whatever the level) and the buffer it
// writes to.
type deflater struct {
	w   *flate.Writer
	out bytes.Buffer
}

var deflaters = sync.Pool{New: func() any {
	d := &deflater{}
	d.w, _ = flate.NewWriter(&d.out, deflateLevel) // fails only for a bad level
	return d
}}

// maxDeflating bounds the compressions under way at once, and so the
// compressors alive: replies are compressed on their connections' reader
// goroutines, and a burst of them (every client syncing after a restart)
// would otherwise take a compressor each. A frame that finds the bound
// reached goes plain, as RFC 7692 allows for any message; compression is
// CPU work, so more at once than there are CPUs would not go faster.
var (
	maxDeflating = int32(max(4, 2*runtime.GOMAXPROCS(0)))
	deflating    atomic.Int32
)

// maxPooledOutput: a deflater whose buffer grew beyond this (a rare large
// push) is not kept.
const maxPooledOutput = 64 << 10

// deflateText is payload as a compressed text frame (RSV1 set, the tail
// removed as RFC 7692 §7.2.1 says); ok is false when the payload is under
// the threshold, compression does not make it smaller or every compressor
// is busy (maxDeflating), and the message is then to be sent plain, as the
// RFC allows for any message.
func deflateText(payload []byte) (frame []byte, ok bool) {
	if len(payload) < deflateThreshold {
		return nil, false
	}
	if deflating.Add(1) > maxDeflating {
		deflating.Add(-1)
		return nil, false
	}
	d := deflaters.Get().(*deflater)
	defer func() {
		if d.out.Cap() <= maxPooledOutput {
			deflaters.Put(d)
		}
		deflating.Add(-1)
	}()
	d.out.Reset()
	d.w.Reset(&d.out)
	// Writing into a bytes.Buffer cannot fail.
	_, _ = d.w.Write(payload)
	_ = d.w.Flush()
	compressed := bytes.TrimSuffix(d.out.Bytes(), syncFlushTail)
	if len(compressed) >= len(payload) {
		return nil, false
	}
	return makeFrame(rsv1Bit|byte(ws.OpText), compressed), true
}
