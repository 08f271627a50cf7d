// Package zipread reads the central directory of a zip archive and opens single entries, from an
// io.ReaderAt and a size, with few and large reads and no trust in the archive's own numbers.
//
// It exists beside archive/zip for two reasons. zip.NewReader reads the central directory a few
// KiB at a time, which over S3 is one request per read; this package reads the tail of the archive
// once and the rest of the directory in large blocks. And every entry can be read at any offset
// (an ELF parser jumps around) while decompressing only the bytes in front of that offset.
package zipread

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
)

// Limits that bound memory and time on hostile archives. Real Lambda packages sit far below them:
// Lambda caps a package at 262,144,000 unzipped bytes, which leaves no room for millions of files.
const (
	// TailSize is the first read: the end of central directory record, a zip64 locator and, for an
	// ordinary package, the whole central directory.
	TailSize = 64 << 10
	// MaxDirectorySize bounds the central directory.
	MaxDirectorySize = 32 << 20
	// MaxEntries bounds the number of entries.
	MaxEntries = 250_000
	// dirBlock is the read size for a central directory larger than the tail.
	dirBlock = 1 << 20
)

const (
	sigLocal     = 0x04034b50
	sigCentral   = 0x02014b50
	sigEnd       = 0x06054b50
	sigEnd64     = 0x06064b50
	sigLocator64 = 0x07064b50

	endLen       = 22
	end64Len     = 56
	locator64Len = 20
	centralLen   = 46
	localLen     = 30
	maxComment   = 0xffff
)

// ErrFormat is matched (errors.Is) by every error that says the bytes are not a usable zip.
var ErrFormat = errors.New("zip: not a valid zip file")

// FormatError reports malformed archive bytes, with the offset where the problem was found.
type FormatError struct {
	Offset int64
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("zip: %s (at byte %d)", e.Msg, e.Offset)
}

// Is makes errors.Is(err, ErrFormat) true for every FormatError.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

func formatErr(off int64, format string, args ...any) error {
	return &FormatError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Creator operating systems (the high byte of "version made by") whose external attributes carry
// a Unix mode in their high 16 bits.
const (
	CreatorMSDOS = 0
	CreatorUnix  = 3
	CreatorNTFS  = 10
	CreatorVFAT  = 14
	CreatorMacOS = 19
)

// Compression methods Lambda's extractor handles.
const (
	Store   = 0
	Deflate = 8
)

// File is one central directory entry.
type File struct {
	Name             string // exactly as stored; not cleaned
	CreatorOS        byte
	Flags            uint16
	Method           uint16
	CRC32            uint32
	CompressedSize   uint64
	UncompressedSize uint64
	ExternalAttrs    uint32
	HeaderOffset     int64 // of the local file header, adjusted for data prepended to the archive
}

// IsDir reports whether the entry is a directory (by name, as unzip decides).
func (f *File) IsDir() bool { return strings.HasSuffix(f.Name, "/") }

// UnixMode returns the entry's Unix mode (type and permission bits) and true when the archive
// carries one: the creator is Unix-like and the high 16 bits of the external attributes are set.
// Archives written on Windows carry none, and then Lambda extracts the file without execute bits.
func (f *File) UnixMode() (fs.FileMode, bool) {
	switch f.CreatorOS {
	case CreatorUnix, CreatorMacOS, CreatorNTFS, CreatorVFAT:
	default:
		return 0, false
	}
	m := f.ExternalAttrs >> 16
	if m == 0 {
		return 0, false
	}
	mode := fs.FileMode(m & 0o777)
	switch m & 0o170000 {
	case 0o040000:
		mode |= fs.ModeDir
	case 0o120000:
		mode |= fs.ModeSymlink
	case 0o100000, 0:
		// regular file; 0 appears when a tool wrote permission bits only
	case 0o010000:
		mode |= fs.ModeNamedPipe
	case 0o140000:
		mode |= fs.ModeSocket
	case 0o020000:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case 0o060000:
		mode |= fs.ModeDevice
	}
	if m&0o4000 != 0 {
		mode |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= fs.ModeSticky
	}
	return mode, true
}

// Reader is an opened archive: its entries, and a way to read them.
type Reader struct {
	r    io.ReaderAt
	size int64
	File []File
	// BaseOffset is the number of bytes found in front of the archive (a self-extractor stub, or
	// junk); entry offsets are already adjusted for it.
	BaseOffset int64
}

// readFull reads exactly len(p) bytes at off. Short reads are format errors (the archive claims
// bytes it does not have); any other error is the source's, returned wrapped.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatErr(off, "archive truncated: wanted %d bytes, got %d", len(p), n)
	}
	return fmt.Errorf("read %d bytes at offset %d: %w", len(p), off, err)
}

// NewReader reads the central directory of the size-byte archive in r.
func NewReader(r io.ReaderAt, size int64) (*Reader, error) {
	if size < endLen {
		return nil, formatErr(0, "%d bytes is too short for a zip archive", size)
	}
	tailLen := min(size, int64(TailSize))
	tail := make([]byte, tailLen)
	tailOff := size - tailLen
	if err := readFull(r, tail, tailOff); err != nil {
		return nil, err
	}
	ends := findEnds(tail)
	if len(ends) == 0 && tailLen < size && tailLen < endLen+maxComment+locator64Len {
		// A comment longer than the tail: read the largest possible tail once.
		tailLen = min(size, int64(endLen+maxComment+locator64Len))
		tail = make([]byte, tailLen)
		tailOff = size - tailLen
		if err := readFull(r, tail, tailOff); err != nil {
			return nil, err
		}
		ends = findEnds(tail)
	}
	if len(ends) == 0 {
		return nil, formatErr(size, "no end of central directory record: not a zip archive")
	}
	if len(ends) > maxEndCandidates {
		return nil, formatErr(tailOff+int64(ends[0]), "%d end of central directory signatures in the last %d bytes", len(ends), tailLen)
	}
	// Every candidate that describes a plausible directory is a reading some extractor may take.
	// One is normal; several (fake signatures planted in a comment) make the content ambiguous.
	var d directoryEnd
	var firstErr error
	valid := 0
	for _, i := range ends {
		c, err := readDirectoryEnd(r, size, tail, tailOff, i)
		if err == nil {
			err = validateDirectory(r, tail, tailOff, &c)
		}
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				return nil, err
			}
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if valid++; valid == 1 {
			d = c
		}
	}
	switch {
	case valid == 0:
		return nil, firstErr
	case valid > 1:
		return nil, formatErr(d.dirEnd, "%d conflicting end of central directory records (fake signatures in the comment?): extractors would disagree on the content", valid)
	}
	z := &Reader{r: r, size: size}
	if err := z.readDirectory(tail, tailOff, d); err != nil {
		return nil, err
	}
	return z, nil
}

// maxEndCandidates bounds how many end-record signatures are examined.
const maxEndCandidates = 16

// findEnds returns the indexes in b of every end of central directory signature whose comment fits
// in b, last first.
func findEnds(b []byte) []int {
	var out []int
	for i := len(b) - endLen; i >= 0; i-- {
		if binary.LittleEndian.Uint32(b[i:]) != sigEnd {
			continue
		}
		if n := int(binary.LittleEndian.Uint16(b[i+20:])); i+endLen+n <= len(b) {
			out = append(out, i)
			if len(out) > maxEndCandidates {
				break
			}
		}
	}
	return out
}

type directoryEnd struct {
	records   uint64
	dirSize   uint64
	dirOffset uint64
	dirEnd    int64 // where the central directory must end: the zip64 record or the EOCD
	zip64     bool
	base      int64 // bytes in front of the archive
}

// validateDirectory checks that a candidate end record describes a directory that fits in the
// archive and starts with a central directory signature, and sets its base offset.
func validateDirectory(r io.ReaderAt, tail []byte, tailOff int64, d *directoryEnd) error {
	if d.dirSize > MaxDirectorySize {
		return formatErr(d.dirEnd, "central directory of %d bytes exceeds the limit of %d", d.dirSize, MaxDirectorySize)
	}
	if d.records > MaxEntries {
		return formatErr(d.dirEnd, "%d entries exceed the limit of %d", d.records, MaxEntries)
	}
	if d.dirSize > uint64(d.dirEnd) || d.dirOffset > uint64(d.dirEnd) {
		return formatErr(d.dirEnd, "central directory (offset %d, %d bytes) lies outside the archive", d.dirOffset, d.dirSize)
	}
	// Data in front of the archive shifts every offset: the directory ends where the end record
	// starts, so the shift is whatever the recorded offset is short by.
	d.base = d.dirEnd - int64(d.dirSize) - int64(d.dirOffset)
	if d.base < 0 {
		return formatErr(d.dirEnd, "central directory (offset %d, %d bytes) overlaps its end record", d.dirOffset, d.dirSize)
	}
	if d.records == 0 || d.dirSize == 0 {
		if d.records != 0 || d.dirSize != 0 {
			return formatErr(d.dirEnd, "end record says %d entries in %d bytes", d.records, d.dirSize)
		}
		return nil
	}
	start := d.base + int64(d.dirOffset)
	var sig [4]byte
	if start >= tailOff && start+4 <= tailOff+int64(len(tail)) {
		copy(sig[:], tail[start-tailOff:])
	} else if err := readFull(r, sig[:], start); err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(sig[:]) != sigCentral {
		return formatErr(start, "no central directory where the end record says it starts")
	}
	return nil
}

func readDirectoryEnd(r io.ReaderAt, size int64, tail []byte, tailOff int64, i int) (directoryEnd, error) {
	b := tail[i:]
	d := directoryEnd{
		records:   uint64(binary.LittleEndian.Uint16(b[10:])),
		dirSize:   uint64(binary.LittleEndian.Uint32(b[12:])),
		dirOffset: uint64(binary.LittleEndian.Uint32(b[16:])),
		dirEnd:    tailOff + int64(i),
	}
	if binary.LittleEndian.Uint16(b[4:]) != 0 || binary.LittleEndian.Uint16(b[6:]) != 0 {
		return d, formatErr(d.dirEnd, "multi-disk (spanned) archives are not supported")
	}
	if d.records != 0xffff && d.dirSize != 0xffffffff && d.dirOffset != 0xffffffff {
		return d, nil
	}
	// Zip64: a locator sits right in front of the end record and points at the zip64 record.
	locOff := d.dirEnd - locator64Len
	if locOff < 0 {
		return d, nil // values that merely look like the zip64 marker
	}
	loc := make([]byte, locator64Len)
	if locOff >= tailOff {
		copy(loc, tail[locOff-tailOff:])
	} else if err := readFull(r, loc, locOff); err != nil {
		return d, err
	}
	if binary.LittleEndian.Uint32(loc) != sigLocator64 {
		return d, nil
	}
	off64 := binary.LittleEndian.Uint64(loc[8:])
	if off64 > uint64(locOff) || uint64(locOff)-off64 < end64Len {
		return d, formatErr(locOff, "zip64 locator points at offset %d, outside the archive", off64)
	}
	rec := make([]byte, end64Len)
	if int64(off64) >= tailOff {
		copy(rec, tail[int64(off64)-tailOff:])
	} else if err := readFull(r, rec, int64(off64)); err != nil {
		return d, err
	}
	if binary.LittleEndian.Uint32(rec) != sigEnd64 {
		return d, formatErr(int64(off64), "zip64 end of central directory record missing")
	}
	d.records = binary.LittleEndian.Uint64(rec[32:])
	d.dirSize = binary.LittleEndian.Uint64(rec[40:])
	d.dirOffset = binary.LittleEndian.Uint64(rec[48:])
	d.dirEnd = int64(off64)
	d.zip64 = true
	return d, nil
}

func (z *Reader) readDirectory(tail []byte, tailOff int64, d directoryEnd) error {
	base := d.base
	start := base + int64(d.dirOffset)
	var src io.Reader
	if start >= tailOff {
		src = strings.NewReader(string(tail[start-tailOff : d.dirEnd-tailOff]))
	} else {
		src = bufio.NewReaderSize(io.NewSectionReader(z.r, start, int64(d.dirSize)), dirBlock)
	}
	z.BaseOffset = base
	hdr := make([]byte, centralLen)
	var v []byte // name, extra and comment of the current entry; reused
	var consumed int64
	for consumed < int64(d.dirSize) {
		off := start + consumed
		if len(z.File) >= MaxEntries {
			return formatErr(off, "more than %d entries", MaxEntries)
		}
		if _, err := io.ReadFull(src, hdr); err != nil {
			return dirReadErr(off, err)
		}
		if binary.LittleEndian.Uint32(hdr) != sigCentral {
			return formatErr(off, "central directory entry %d has a bad signature", len(z.File))
		}
		f := File{
			CreatorOS:        hdr[5],
			Flags:            binary.LittleEndian.Uint16(hdr[8:]),
			Method:           binary.LittleEndian.Uint16(hdr[10:]),
			CRC32:            binary.LittleEndian.Uint32(hdr[16:]),
			CompressedSize:   uint64(binary.LittleEndian.Uint32(hdr[20:])),
			UncompressedSize: uint64(binary.LittleEndian.Uint32(hdr[24:])),
			ExternalAttrs:    binary.LittleEndian.Uint32(hdr[38:]),
		}
		nameLen := int(binary.LittleEndian.Uint16(hdr[28:]))
		extraLen := int(binary.LittleEndian.Uint16(hdr[30:]))
		commentLen := int(binary.LittleEndian.Uint16(hdr[32:]))
		headerOffset := uint64(binary.LittleEndian.Uint32(hdr[42:]))
		varLen := nameLen + extraLen + commentLen
		if consumed+centralLen+int64(varLen) > int64(d.dirSize) {
			return formatErr(off, "central directory entry %d runs past the end of the directory", len(z.File))
		}
		if cap(v) < varLen {
			v = make([]byte, varLen)
		}
		v = v[:varLen]
		if _, err := io.ReadFull(src, v); err != nil {
			return dirReadErr(off, err)
		}
		f.Name = string(v[:nameLen])
		if err := applyZip64(&f, &headerOffset, v[nameLen:nameLen+extraLen]); err != nil {
			return formatErr(off, "entry %q: %v", f.Name, err)
		}
		if headerOffset > uint64(z.size) || int64(headerOffset) > z.size-localLen-base {
			return formatErr(off, "entry %q: local header offset %d lies outside the archive", f.Name, headerOffset)
		}
		f.HeaderOffset = int64(headerOffset) + base
		if f.CompressedSize > uint64(z.size) {
			return formatErr(off, "entry %q: compressed size %d is larger than the archive", f.Name, f.CompressedSize)
		}
		z.File = append(z.File, f)
		consumed += centralLen + int64(varLen)
	}
	// Counts are 16 bits in plain archives; some writers let them wrap past 65,535 entries.
	if n := uint64(len(z.File)); n != d.records && (d.zip64 || uint16(n) != uint16(d.records)) {
		return formatErr(start, "central directory holds %d entries, its end record says %d", n, d.records)
	}
	return nil
}

func dirReadErr(off int64, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatErr(off, "central directory truncated")
	}
	return fmt.Errorf("read central directory at offset %d: %w", off, err)
}

// applyZip64 replaces saturated 32-bit fields with the values of the zip64 extra field, which
// lists only the saturated ones, in a fixed order.
func applyZip64(f *File, headerOffset *uint64, extra []byte) error {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		extra = extra[4:]
		if n > len(extra) {
			return errors.New("extra field runs past its entry")
		}
		field := extra[:n]
		extra = extra[n:]
		if id != 0x0001 {
			continue
		}
		next := func(dst *uint64) error {
			if *dst != 0xffffffff {
				return nil
			}
			if len(field) < 8 {
				return errors.New("zip64 extra field too short")
			}
			*dst = binary.LittleEndian.Uint64(field)
			field = field[8:]
			return nil
		}
		for _, p := range []*uint64{&f.UncompressedSize, &f.CompressedSize, headerOffset} {
			if err := next(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// Overlap reports two entries whose data overlap, which no zip writer produces and which zip bombs
// use to make a small archive declare a huge size. The check uses the central directory only: an
// entry's local header and data must end before the next entry starts.
func (z *Reader) Overlap() (a, b *File, ok bool) {
	idx := make([]int, len(z.File))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int { return cmp.Compare(z.File[i].HeaderOffset, z.File[j].HeaderOffset) })
	for n := 1; n < len(idx); n++ {
		p, q := &z.File[idx[n-1]], &z.File[idx[n]]
		end := uint64(p.HeaderOffset) + localLen + uint64(len(p.Name)) + p.CompressedSize
		if end > uint64(q.HeaderOffset) {
			return p, q, true
		}
	}
	return nil, nil, false
}
