package zipread

import (
	"bufio"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Entry is the uncompressed content of one archive entry, readable at any offset. Reading at an
// offset decompresses only the bytes in front of it (and reads only their compressed bytes).
// Size is the size the archive declares; content that ends early is a format error and content
// that runs on is cut at Size, so a lying entry can neither starve nor flood a reader.
type Entry struct {
	File *File
	io.ReaderAt
	size int64
}

// Size is the declared uncompressed size.
func (e *Entry) Size() int64 { return e.size }

// DataOffset reads f's local header and returns where its compressed data starts.
func (z *Reader) DataOffset(f *File) (int64, error) {
	var h [localLen]byte
	if err := readFull(z.r, h[:], f.HeaderOffset); err != nil {
		return 0, fmt.Errorf("local header of %q: %w", f.Name, err)
	}
	if binary.LittleEndian.Uint32(h[:]) != sigLocal {
		return 0, formatErr(f.HeaderOffset, "entry %q: bad local header signature", f.Name)
	}
	off := f.HeaderOffset + localLen +
		int64(binary.LittleEndian.Uint16(h[26:])) + int64(binary.LittleEndian.Uint16(h[28:]))
	if off > z.size || uint64(z.size-off) < f.CompressedSize {
		return 0, formatErr(f.HeaderOffset, "entry %q: %d bytes of data run past the end of the archive", f.Name, f.CompressedSize)
	}
	return off, nil
}

// ErrUnsupported is matched by errors for entries Lambda cannot extract (encryption, exotic
// compression methods); they are format errors too.
var ErrUnsupported = errors.New("zip: unsupported entry")

type unsupportedError struct{ FormatError }

func (e *unsupportedError) Is(target error) bool {
	return target == ErrUnsupported || target == ErrFormat
}

// Open returns the content of f.
func (z *Reader) Open(f *File) (*Entry, error) {
	if f.Flags&0x1 != 0 {
		return nil, &unsupportedError{FormatError{f.HeaderOffset, fmt.Sprintf("entry %q is encrypted", f.Name)}}
	}
	if f.UncompressedSize > 1<<62 {
		return nil, formatErr(f.HeaderOffset, "entry %q declares an impossible size", f.Name)
	}
	off, err := z.DataOffset(f)
	if err != nil {
		return nil, err
	}
	size := int64(f.UncompressedSize)
	comp := io.NewSectionReader(z.r, off, int64(f.CompressedSize))
	switch f.Method {
	case Store:
		if f.CompressedSize != f.UncompressedSize {
			return nil, formatErr(f.HeaderOffset, "stored entry %q has compressed size %d but size %d", f.Name, f.CompressedSize, f.UncompressedSize)
		}
		return &Entry{File: f, ReaderAt: storedReader{comp, f}, size: size}, nil
	case Deflate:
		return &Entry{File: f, ReaderAt: &inflater{comp: comp, size: size, f: f}, size: size}, nil
	}
	return nil, &unsupportedError{FormatError{f.HeaderOffset, fmt.Sprintf("entry %q uses compression method %d; only stored (0) and deflate (8) can be extracted", f.Name, f.Method)}}
}

type storedReader struct {
	r *io.SectionReader
	f *File
}

func (s storedReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("read entry %q: %w", s.f.Name, err)
	}
	return n, err
}

// headCache is how much of the start of a deflated entry is kept: ELF headers, program headers
// and (for most binaries) the dynamic string and version tables live there, so jumping back to
// them does not restart decompression.
const headCache = 64 << 10

// inflater is an io.ReaderAt over a deflate stream. It keeps one decompressor and its position;
// a read behind the position (and outside the cached head) starts decompression again.
type inflater struct {
	comp *io.SectionReader
	size int64
	f    *File

	mu   sync.Mutex
	fr   io.ReadCloser
	pos  int64
	head []byte
}

func (x *inflater) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("zipread: negative offset")
	}
	if off >= x.size {
		return 0, io.EOF
	}
	want := p
	var tailErr error
	if rest := x.size - off; int64(len(want)) > rest {
		want, tailErr = want[:rest], io.EOF
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if end := off + int64(len(want)); end <= int64(len(x.head)) {
		return copy(want, x.head[off:end]), tailErr
	}
	if x.fr == nil || off < x.pos {
		x.restart()
	}
	if err := x.skip(off - x.pos); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(x.fr, want)
	x.remember(want[:n])
	x.pos += int64(n)
	if err != nil {
		return n, x.streamErr(err)
	}
	return n, tailErr
}

func (x *inflater) restart() {
	if x.fr != nil {
		x.fr.Close()
	}
	x.comp.Seek(0, io.SeekStart)
	x.fr = flate.NewReader(bufio.NewReaderSize(x.comp, 32<<10))
	x.pos = 0
	x.head = x.head[:0]
}

// remember appends b to the head cache when it continues it.
func (x *inflater) remember(b []byte) {
	if x.pos == int64(len(x.head)) && len(x.head) < headCache {
		x.head = append(x.head, b[:min(len(b), headCache-len(x.head))]...)
	}
}

func (x *inflater) skip(n int64) error {
	buf := make([]byte, 32<<10)
	for n > 0 {
		k, err := io.ReadFull(x.fr, buf[:min(int64(len(buf)), n)])
		x.remember(buf[:k])
		x.pos += int64(k)
		n -= int64(k)
		if err != nil {
			return x.streamErr(err)
		}
	}
	return nil
}

// streamErr separates corrupt or short data (format errors) from failures of the source.
func (x *inflater) streamErr(err error) error {
	x.fr.Close()
	x.fr = nil
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return formatErr(x.f.HeaderOffset, "entry %q ends before its declared %d bytes", x.f.Name, x.size)
	case errors.As(err, &corrupt):
		return formatErr(x.f.HeaderOffset, "entry %q: corrupt deflate data: %v", x.f.Name, err)
	}
	return fmt.Errorf("read entry %q: %w", x.f.Name, err)
}
