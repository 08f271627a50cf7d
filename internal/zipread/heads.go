package zipread

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// HeadRequest asks for up to Max leading uncompressed bytes of File.
type HeadRequest struct {
	File *File
	Max  int64
}

// Head answers a HeadRequest.
type Head struct {
	Data     []byte // at most Max bytes; fewer when the compressed bytes read ran out first
	Complete bool   // Data is the whole entry
	Skipped  bool   // not read: the budget was spent
	Err      error  // the entry's bytes are not usable (matches ErrFormat)
}

// Budget bounds ReadHeads: how many reads it may issue and how many bytes they may total. Each
// call spends from it, so several calls (several sources) share one budget.
type Budget struct {
	Requests int
	Bytes    int64
}

// localSlack is read past a local header's fixed part and name for its extra field, which may
// differ from the central directory's (Unix time and uid/gid fields, zip64 sizes).
const localSlack = 256

// mergeGap is the largest run of unwanted bytes read through to join two wanted ranges into one
// request: cheaper than a round trip on S3.
const mergeGap = 64 << 10

// compressedFor is how many compressed bytes are read for max uncompressed bytes. ELF headers,
// symbol and string tables deflate to a third or less (the first 16 KiB of Debian 12's python3
// modules: 3-7.6 KB); a head that runs short is decoded as far as it goes and read again larger.
func compressedFor(f *File, max int64) int64 {
	if f.Method == Store {
		return min(int64(f.CompressedSize), max)
	}
	return min(int64(f.CompressedSize), max/2+1024)
}

// ReadHeads reads the first bytes of several entries in few reads: the byte ranges they need are
// sorted, ranges closer than 64 KiB are read as one, and when more reads than the budget allows
// remain, the closest ranges are joined while the byte budget lasts. Requests come in order of
// importance: what the budget cannot cover is dropped from the end (Skipped). Each entry is
// decompressed from memory only as far as its bytes go, so a head costs no request beyond its
// share of the planned reads. The error is the source's (the check cannot decide).
func (z *Reader) ReadHeads(reqs []HeadRequest, b *Budget) ([]Head, error) {
	out := make([]Head, len(reqs))
	type want struct {
		i        int
		off, end int64
	}
	wants := make([]want, 0, len(reqs))
	for i, r := range reqs {
		f := r.File
		if f.Flags&0x1 != 0 || (f.Method != Store && f.Method != Deflate) {
			_, err := z.Open(f)
			out[i].Err = err
			continue
		}
		if r.Max <= 0 || f.UncompressedSize == 0 {
			out[i].Complete = f.UncompressedSize == 0
			continue
		}
		n := localLen + int64(len(f.Name)) + localSlack + compressedFor(f, r.Max)
		end := min(f.HeaderOffset+n, z.size)
		wants = append(wants, want{i, f.HeaderOffset, end})
	}
	// Plan: groups of wanted ranges, each one read.
	type group struct {
		off, end int64
		members  []want
		rank     int // the most important member's request index
	}
	sorted := slices.Clone(wants)
	slices.SortFunc(sorted, func(a, b want) int { return int(a.off - b.off) })
	var groups []*group
	for _, w := range sorted {
		if g := lastGroup(groups); g != nil && w.off <= g.end+mergeGap {
			g.end = max(g.end, w.end)
			g.members = append(g.members, w)
			g.rank = min(g.rank, w.i)
			continue
		}
		groups = append(groups, &group{off: w.off, end: w.end, members: []want{w}, rank: w.i})
	}
	total := func() (n int64) {
		for _, g := range groups {
			n += g.end - g.off
		}
		return n
	}
	// Too many reads: join the closest neighbours while the bytes allow it.
	for len(groups) > b.Requests && len(groups) > 1 {
		best := -1
		for i := 0; i+1 < len(groups); i++ {
			if best < 0 || groups[i+1].off-groups[i].end < groups[best+1].off-groups[best].end {
				best = i
			}
		}
		gap := groups[best+1].off - groups[best].end
		if total()+gap > b.Bytes {
			break
		}
		a, c := groups[best], groups[best+1]
		a.end = max(a.end, c.end)
		a.members = append(a.members, c.members...)
		a.rank = min(a.rank, c.rank)
		groups = slices.Delete(groups, best+1, best+2)
	}
	// Still over budget: keep the groups holding the most important requests.
	slices.SortStableFunc(groups, func(a, b *group) int { return a.rank - b.rank })
	var keep []*group
	spent := int64(0)
	for _, g := range groups {
		if len(keep) >= b.Requests || spent+(g.end-g.off) > b.Bytes {
			for _, m := range g.members {
				out[m.i].Skipped = true
			}
			continue
		}
		keep = append(keep, g)
		spent += g.end - g.off
	}
	slices.SortFunc(keep, func(a, b *group) int { return int(a.off - b.off) })
	for _, g := range keep {
		buf := make([]byte, g.end-g.off)
		if err := readFull(z.r, buf, g.off); err != nil {
			if errors.Is(err, ErrFormat) {
				for _, m := range g.members {
					out[m.i].Err = err
				}
				continue
			}
			return nil, err
		}
		b.Requests--
		b.Bytes -= int64(len(buf))
		for _, m := range g.members {
			r := reqs[m.i]
			out[m.i] = z.headFrom(buf[m.off-g.off:m.end-g.off], r.File, r.Max)
		}
	}
	return out, nil
}

func lastGroup[T any](gs []*T) *T {
	if len(gs) == 0 {
		return nil
	}
	return gs[len(gs)-1]
}

// headFrom decodes an entry's first bytes from b, which starts at its local header.
func (z *Reader) headFrom(b []byte, f *File, max int64) Head {
	if len(b) < localLen || binary.LittleEndian.Uint32(b) != sigLocal {
		return Head{Err: formatErr(f.HeaderOffset, "entry %q: bad local header signature", f.Name)}
	}
	start := int64(localLen) + int64(binary.LittleEndian.Uint16(b[26:])) + int64(binary.LittleEndian.Uint16(b[28:]))
	if f.HeaderOffset+start > z.size || uint64(z.size-f.HeaderOffset-start) < f.CompressedSize {
		return Head{Err: formatErr(f.HeaderOffset, "entry %q: %d bytes of data run past the end of the archive", f.Name, f.CompressedSize)}
	}
	if start > int64(len(b)) {
		return Head{Skipped: true} // the local extra field was longer than the slack read
	}
	comp := b[start:]
	comp = comp[:min(int64(len(comp)), int64(f.CompressedSize))]
	gotAll := int64(len(comp)) == int64(f.CompressedSize)
	want := min(max, int64(f.UncompressedSize))
	switch f.Method {
	case Store:
		data := comp[:min(int64(len(comp)), want)]
		return Head{Data: data, Complete: int64(len(data)) == int64(f.UncompressedSize)}
	}
	fr := flate.NewReader(bytes.NewReader(comp))
	defer fr.Close()
	data := make([]byte, want)
	n, err := io.ReadFull(fr, data)
	data = data[:n]
	var corrupt flate.CorruptInputError
	switch {
	case err == nil:
	case errors.As(err, &corrupt) && gotAll:
		return Head{Err: formatErr(f.HeaderOffset, "entry %q: corrupt deflate data: %v", f.Name, err)}
	case (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && gotAll && int64(n) < want:
		return Head{Err: formatErr(f.HeaderOffset, "entry %q ends before its declared %d bytes", f.Name, f.UncompressedSize)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &corrupt):
		// The compressed bytes read ran out: what was decoded is a valid, shorter head.
	default:
		return Head{Err: fmt.Errorf("entry %q: %w", f.Name, err)}
	}
	return Head{Data: data, Complete: int64(n) == int64(f.UncompressedSize)}
}
