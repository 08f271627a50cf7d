// Package rangeread turns a remote object that can be read by byte ranges (an S3 object, an HTTPS
// URL) into an io.ReaderAt that makes few, large requests: the first takes the object's tail
// (where a zip keeps its directory), later misses fetch at least a read-ahead block, and what was
// fetched is cached within a bound. It counts requests and bytes so callers can report the cost.
package rangeread

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Source fetches byte ranges of one object. Implementations pin every request after the first to
// the object the first one saw (a version ID or an ETag), so a replaced object fails instead of
// mixing old and new bytes.
type Source interface {
	// Tail returns the last n bytes of the object (all of it when it is smaller) and its size.
	Tail(ctx context.Context, n int64) (data []byte, size int64, err error)
	// Range returns bytes [off, off+n) of the object.
	Range(ctx context.Context, off, n int64) ([]byte, error)
}

// Defaults, chosen for zip packages: the tail holds the end record and the central directory of
// an ordinary package; a read-ahead block holds a local header plus the first pages of an ELF.
const (
	DefaultTail      = 64 << 10
	DefaultReadAhead = 128 << 10
	DefaultMaxCache  = 8 << 20
)

// Options tune a Reader.
type Options struct {
	Tail, ReadAhead, MaxCache int64
}

// Stats is what a Reader cost.
type Stats struct {
	Requests int
	Bytes    int64
}

type span struct {
	off  int64
	data []byte
	used uint64 // last use, for eviction
}

// Reader is an io.ReaderAt over a Source. It is safe for concurrent use.
type Reader struct {
	ctx  context.Context
	src  Source
	opts Options
	size int64

	mu    sync.Mutex
	tail  span
	spans []*span
	held  int64
	clock uint64
	stats Stats
}

// New fetches the tail of the object and returns a Reader. ctx bounds every later request too:
// io.ReaderAt has no context of its own.
func New(ctx context.Context, src Source, opts Options) (*Reader, error) {
	if opts.Tail <= 0 {
		opts.Tail = DefaultTail
	}
	if opts.ReadAhead <= 0 {
		opts.ReadAhead = DefaultReadAhead
	}
	if opts.MaxCache <= 0 {
		opts.MaxCache = DefaultMaxCache
	}
	data, size, err := src.Tail(ctx, opts.Tail)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > size || size < 0 {
		return nil, fmt.Errorf("rangeread: tail of %d bytes for an object of %d", len(data), size)
	}
	r := &Reader{ctx: ctx, src: src, opts: opts, size: size}
	r.tail = span{off: size - int64(len(data)), data: data}
	r.stats = Stats{Requests: 1, Bytes: int64(len(data))}
	return r, nil
}

// Size is the object's size.
func (r *Reader) Size() int64 { return r.size }

// Stats returns the requests made and bytes fetched so far.
func (r *Reader) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// ErrOffset reports a negative offset.
var ErrOffset = errors.New("rangeread: negative offset")

// ReadAt implements io.ReaderAt.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, ErrOffset
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := p
	var eof error
	if rest := r.size - off; int64(len(want)) > rest {
		want, eof = want[:rest], io.EOF
	}
	n := 0
	for n < len(want) {
		k, err := r.readSome(want[n:], off+int64(n))
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, eof
}

// readSome copies from the cache, or fetches the block at off and copies from it.
func (r *Reader) readSome(p []byte, off int64) (int, error) {
	r.mu.Lock()
	if k := r.fromCache(p, off); k > 0 {
		r.mu.Unlock()
		return k, nil
	}
	r.mu.Unlock()
	n := max(int64(len(p)), r.opts.ReadAhead)
	n = min(n, r.size-off)
	// Do not fetch again what the tail already holds.
	if off < r.tail.off {
		n = min(n, r.tail.off-off)
	}
	data, err := r.src.Range(r.ctx, off, n)
	if err != nil {
		return 0, err
	}
	if int64(len(data)) != n {
		return 0, fmt.Errorf("rangeread: asked for %d bytes at %d, got %d", n, off, len(data))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Requests++
	r.stats.Bytes += n
	r.store(off, data)
	return copy(p, data), nil
}

func (r *Reader) fromCache(p []byte, off int64) int {
	if k := copyFrom(&r.tail, p, off); k > 0 {
		return k
	}
	for _, s := range r.spans {
		if k := copyFrom(s, p, off); k > 0 {
			r.clock++
			s.used = r.clock
			return k
		}
	}
	return 0
}

func copyFrom(s *span, p []byte, off int64) int {
	if off < s.off || off >= s.off+int64(len(s.data)) {
		return 0
	}
	return copy(p, s.data[off-s.off:])
}

// store caches a fetched block, evicting the least recently used ones past MaxCache.
func (r *Reader) store(off int64, data []byte) {
	r.clock++
	r.spans = append(r.spans, &span{off: off, data: data, used: r.clock})
	r.held += int64(len(data))
	for r.held > r.opts.MaxCache && len(r.spans) > 1 {
		oldest := 0
		for i, s := range r.spans {
			if s.used < r.spans[oldest].used {
				oldest = i
			}
		}
		r.held -= int64(len(r.spans[oldest].data))
		r.spans = append(r.spans[:oldest], r.spans[oldest+1:]...)
	}
}
