// Package wsdeflate inflates WebSocket messages compressed with
// permessage-deflate without context takeover (RFC 7692): each message on
// its own, with nothing kept from the one before. The gateway reads its
// clients' messages with it, and the bench harness the gateway's.
package wsdeflate

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"sync"
)

// ErrTooBig: the message inflates to more than the limit.
var ErrTooBig = errors.New("message too big")

// ErrCorrupt: the message is not DEFLATE data, or refers to an earlier
// message, which no context takeover forbids.
var ErrCorrupt = errors.New("compressed message does not inflate")

// tail is appended to a compressed message before inflating it: the
// 00 00 ff ff its sender removed (RFC 7692 §7.2.1), then an empty final
// block, so that the inflater sees the end of the stream instead of
// waiting for more.
var tail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// inflater is a pooled decompressor (about 40 KiB) and its source: a
// connection holds none between messages.
type inflater struct {
	src bytes.Reader
	r   io.ReadCloser // a flate.Resetter
}

var inflaters = sync.Pool{New: func() any {
	in := &inflater{}
	in.r = flate.NewReader(&in.src)
	return in
}}

// Inflate decompresses msg, a whole message as it came compressed, of at
// most limit bytes once inflated (ErrTooBig beyond). msg is the caller's
// own: the tail is appended to it.
func Inflate(msg []byte, limit int64) ([]byte, error) {
	in := inflaters.Get().(*inflater)
	defer inflaters.Put(in)
	in.src.Reset(append(msg, tail...))
	if err := in.r.(flate.Resetter).Reset(&in.src, nil); err != nil {
		return nil, ErrCorrupt
	}
	out, err := io.ReadAll(io.LimitReader(in.r, limit+1))
	switch {
	case int64(len(out)) > limit:
		return nil, ErrTooBig
	case err != nil:
		return nil, ErrCorrupt
	}
	return out, nil
}
