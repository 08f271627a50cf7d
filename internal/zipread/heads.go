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
	// Weight is how much reading this head is worth against others when the budget is short
	// (default 1): a WHEEL file that decides a hundred modules weighs a hundred.
	Weight int
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

// ReadHeads reads the first bytes of several entries in few reads. The byte ranges they need are
// sorted and joined into groups, each read with one request; the plan chosen covers the most
// weight (Weight, default 1) within the budget's requests and bytes, trying several distances
// up to which a run of unwanted bytes is read through rather than paying another request. What
// the budget cannot cover is Skipped. Each entry is decompressed from memory only as far as its
// bytes go, so a head costs no request beyond its share of the planned reads. The error is the
// source's (the check cannot decide); entry problems are in each Head's Err.
func (z *Reader) ReadHeads(reqs []HeadRequest, b *Budget) ([]Head, error) {
	out := make([]Head, len(reqs))
	var wants []want
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
		wants = append(wants, want{i: i, off: f.HeaderOffset, end: end, weight: max(r.Weight, 1)})
	}
	slices.SortFunc(wants, func(a, b want) int { return cmpInt64(a.off, b.off) })
	plan := planReads(wants, b)
	planned := map[int]bool{}
	for _, g := range plan {
		for _, m := range g.members {
			planned[m.i] = true
		}
	}
	for _, w := range wants {
		if !planned[w.i] {
			out[w.i].Skipped = true
		}
	}
	for _, g := range plan {
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

type want struct {
	i        int
	off, end int64
	weight   int
}

type readGroup struct {
	off, end int64
	members  []want
	weight   int
	rank     int // the lowest request index: the most important member
}

// joinDistances are the runs of unwanted bytes tried as "read through": the merge gap, then
// larger ones that trade bytes for requests.
var joinDistances = []int64{mergeGap, 256 << 10, 1 << 20, 4 << 20, 16 << 20}

// planReads picks the groups to read: for each join distance, the groups it forms are taken
// densest first (weight per byte) while the budget lasts, and the distance covering the most
// weight (then the fewest bytes) wins; requests and bytes left over go, the same way, to the
// heads not yet covered. The result is sorted by offset.
func planReads(wants []want, b *Budget) []*readGroup {
	var plan []*readGroup
	requests, bytes := b.Requests, b.Bytes
	for requests > 0 && len(wants) > 0 {
		picked, spent := bestGroups(wants, requests, bytes)
		if len(picked) == 0 {
			break
		}
		plan = append(plan, picked...)
		requests -= len(picked)
		bytes -= spent
		taken := map[int]bool{}
		for _, g := range picked {
			for _, m := range g.members {
				taken[m.i] = true
			}
		}
		var rest []want
		for _, w := range wants {
			if !taken[w.i] {
				rest = append(rest, w)
			}
		}
		wants = rest
	}
	slices.SortFunc(plan, func(x, y *readGroup) int { return cmpInt64(x.off, y.off) })
	return plan
}

// bestGroups is one planning pass over wants (sorted by offset) with the given budget.
func bestGroups(wants []want, requests int, bytes int64) ([]*readGroup, int64) {
	var best []*readGroup
	bestWeight, bestBytes := 0, int64(0)
	for _, dist := range joinDistances {
		var groups []*readGroup
		for _, w := range wants {
			if g := lastGroup(groups); g != nil && w.off <= g.end+dist {
				g.end = max(g.end, w.end)
				g.members = append(g.members, w)
				g.weight += w.weight
				g.rank = min(g.rank, w.i)
				continue
			}
			groups = append(groups, &readGroup{off: w.off, end: w.end, members: []want{w}, weight: w.weight, rank: w.i})
		}
		order := slices.Clone(groups)
		slices.SortStableFunc(order, func(x, y *readGroup) int {
			// density x.weight/xlen vs y.weight/ylen, without division; ties: importance.
			lx, ly := x.end-x.off, y.end-y.off
			if d := cmpInt64(int64(y.weight)*lx, int64(x.weight)*ly); d != 0 {
				return d
			}
			return x.rank - y.rank
		})
		var picked []*readGroup
		weight, spent := 0, int64(0)
		for _, g := range order {
			if len(picked) >= requests {
				break
			}
			if n := g.end - g.off; spent+n <= bytes {
				picked = append(picked, g)
				weight += g.weight
				spent += n
			}
		}
		if weight > bestWeight || (weight == bestWeight && weight > 0 && spent < bestBytes) {
			best, bestWeight, bestBytes = picked, weight, spent
		}
		if len(picked) == len(groups) {
			break // everything fits: larger distances only read more
		}
	}
	return best, bestBytes
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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
