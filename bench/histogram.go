package main

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// histogram records durations in log-linear buckets (16 per power of two,
// so a percentile is within ~6% of the true value) with atomic counters:
// tens of thousands of goroutines can record into one without a lock and
// without keeping every sample.
type histogram struct {
	counts [histBuckets]atomic.Int64
	total  atomic.Int64
}

const (
	histSubBits = 4
	histBuckets = (64-histSubBits)<<histSubBits + 1<<histSubBits
)

func bucketOf(v uint64) int {
	if v < 1<<histSubBits {
		return int(v)
	}
	e := bits.Len64(v) - histSubBits - 1
	return (e+1)<<histSubBits + int((v>>e)&(1<<histSubBits-1))
}

// bucketMid is the middle of bucket i's range.
func bucketMid(i int) uint64 {
	if i < 1<<histSubBits {
		return uint64(i)
	}
	e := i>>histSubBits - 1
	m := uint64(i & (1<<histSubBits - 1))
	lo := (1<<histSubBits + m) << e
	return lo + (uint64(1)<<e)/2
}

// record adds one duration; negative ones (clock steps) count as zero.
func (h *histogram) record(d time.Duration) {
	h.counts[bucketOf(uint64(max(d, 0)))].Add(1)
	h.total.Add(1)
}

// count is the number of recorded durations.
func (h *histogram) count() int64 { return h.total.Load() }

// quantile returns the duration below which q (0..1) of the samples fall;
// 0 when nothing was recorded.
func (h *histogram) quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	rank := int64(q*float64(n-1)) + 1
	var seen int64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return time.Duration(bucketMid(i))
		}
	}
	return time.Duration(bucketMid(histBuckets - 1))
}

// ms converts a duration to float milliseconds for a report row.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
