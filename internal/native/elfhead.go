package native

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/elfinfo"
)

// HeadSize is a head that holds the dynamic string table and version needs table of every
// module and addon we measured (Debian 12's Python modules within 16 KiB, sharp's addon at 53 KiB;
// libvips needs 212 KiB, hence the larger later rounds of headRounds). The dynamic section itself
// sits behind the code, often megabytes in, which a ranged read of a deflated entry cannot reach
// cheaply.
const HeadSize = 64 << 10

// Format is the kind of a file, from its first bytes.
type Format int

// Formats.
const (
	FormatUnknown Format = iota
	FormatELF
	FormatMachO
	FormatPE
	FormatEmpty
)

// Binary is what the start of a native file says about it.
type Binary struct {
	Format Format
	// What names a non-ELF format for messages ("a macOS (Mach-O) binary").
	What string
	// ELF fields (Format == FormatELF).
	Class     int
	BigEndian bool
	OSABI     byte
	Type      uint16
	Machine   uint16
	Interp    string // PT_INTERP when the program headers were read; "" for shared objects
	// Malformed is set when the ELF structures read are invalid.
	Malformed error
	// Libc is LibcGNU or LibcMusl when the dynamic names say so, "" when unknown.
	Libc string
	// LibcEvidence is the name that decided Libc (libc.musl-x86_64.so.1, /lib/ld-musl-…).
	LibcEvidence string
	// Glibc is the newest GLIBC_x.y the file needs; GlibcKnown says whether the version needs
	// table was found whole (then a zero Glibc means "none").
	Glibc      elfinfo.Version
	GlibcKnown bool
	// Needed lists libraries named by the version needs table (for messages).
	Needed []string
}

// Arch is the Lambda architecture name of an ELF file's machine.
func (b Binary) Arch() string {
	if b.Format != FormatELF {
		return ""
	}
	return elfinfo.MachineName(b.Machine, b.Class)
}

// errBeyondHead marks a read past the bytes fetched (but inside the file): the structure is there,
// it was just not read.
var errBeyondHead = errors.New("native: beyond the bytes read")

type headReader struct {
	b    []byte
	size int64
}

func (h headReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("native: negative offset")
	}
	if off >= int64(len(h.b)) {
		if off < h.size {
			return 0, errBeyondHead
		}
		return 0, io.EOF
	}
	n := copy(p, h.b[off:])
	if n < len(p) {
		if off+int64(len(p)) <= h.size {
			return n, errBeyondHead
		}
		return n, io.EOF
	}
	return n, nil
}

// AnalyzeHead reads what head (the first bytes of a file of size bytes) says. It never fails:
// what cannot be decided from the bytes given is left unknown.
func AnalyzeHead(head []byte, size int64) Binary {
	var b Binary
	switch {
	case size == 0:
		b.Format, b.What = FormatEmpty, "an empty file"
		return b
	case !elfinfo.IsELF(head):
		b.Format, b.What = describeMagic(head)
		return b
	}
	b.Format = FormatELF
	if len(head) < 20 || (head[4] != 1 && head[4] != 2) || (head[5] != 1 && head[5] != 2) {
		b.Malformed = fmt.Errorf("ELF header of %d bytes", len(head))
		return b
	}
	b.Class = 32 * int(head[4])
	b.BigEndian = head[5] == 2
	var bo binary.ByteOrder = binary.LittleEndian
	if b.BigEndian {
		bo = binary.BigEndian
	}
	b.OSABI = head[7]
	b.Type = bo.Uint16(head[16:])
	b.Machine = bo.Uint16(head[18:])
	// elfinfo reads the program headers (and, for an executable, its interpreter and dynamic
	// section). Reads past the bytes fetched leave those parts unknown rather than failing.
	info, err := elfinfo.Parse(headReader{head, size}, size)
	switch {
	case err == nil:
		b.Interp = info.Interp
		if info.Interp != "" {
			// elfinfo read the real dynamic section of an executable: its answer is exact.
			b.Glibc, _ = info.MaxGlibc()
			b.GlibcKnown = true
			b.Needed = info.Needed
		}
	case errors.Is(err, errBeyondHead):
	case errors.Is(err, elfinfo.ErrFormat):
		b.Malformed = err
		return b
	}
	b.scanDynamicNames(head, size, bo)
	return b
}

// scanDynamicNames recovers the version needs table (.gnu.version_r) and the libc in use from
// the head without the dynamic section: each candidate Verneed/Vernaux chain must be closed and
// every name it points to must hash (the SysV ELF hash stored in vna_hash) to the value the entry
// records, which no random bytes do. The method is ours (derived from the formats, checked
// against objdump on real files in TestAnalyzeHeadRealFiles), not a documented interface. Layouts: ELF gABI "Symbol Versioning" (Elf_Verneed,
// Elf_Vernaux; identical for 32 and 64 bits); Go src/debug/elf/file.go gnuVersionInit.
func (b *Binary) scanDynamicNames(head []byte, size int64, bo binary.ByteOrder) {
	if b.Interp != "" {
		switch {
		case strings.Contains(b.Interp, "ld-musl-"):
			b.Libc, b.LibcEvidence = LibcMusl, b.Interp
		case strings.Contains(b.Interp, "ld-linux"):
			b.Libc, b.LibcEvidence = LibcGNU, b.Interp
		}
	}
	strs := indexStrings(head)
	if b.Libc == "" {
		// DT_NEEDED names live in the dynamic string table at the start of the file. musl is
		// libc.musl-<arch>.so.1 (Alpine) or a plain libc.so (musl-gcc); glibc is libc.so.6
		// (npm/npm-install-checks lib/current-env.js and lovell/detect-libc match "libc.musl-"
		// and "ld-musl-").
		for s := range strs.byName {
			switch {
			case strings.HasPrefix(s, "libc.musl-") || strings.HasPrefix(s, "ld-musl-"):
				b.Libc, b.LibcEvidence = LibcMusl, s
			case s == "libc.so" && b.Libc != LibcMusl:
				b.Libc, b.LibcEvidence = LibcMusl, s
			}
		}
		if b.Libc == "" {
			if _, ok := strs.byName["libc.so.6"]; ok {
				b.Libc, b.LibcEvidence = LibcGNU, "libc.so.6"
			}
		}
	}
	if b.GlibcKnown {
		return
	}
	needs, ok := findVerneed(head, bo, strs)
	if !ok {
		if int64(len(head)) >= size && b.Libc != "" {
			// The whole file was read and has no version needs: it needs no particular glibc.
			b.GlibcKnown = true
		}
		return
	}
	b.GlibcKnown = true
	for file, vers := range needs {
		b.Needed = append(b.Needed, file)
		for _, v := range vers {
			if ver, ok := glibcVersion(v); ok && b.Glibc.Less(ver) {
				b.Glibc = ver
			}
		}
		if file == "libc.so.6" && b.Libc == "" {
			b.Libc, b.LibcEvidence = LibcGNU, file
		}
	}
	slices.Sort(b.Needed)
}

// glibcVersion reads GLIBC_2.34 (not GLIBC_PRIVATE, not GLIBCXX_*).
func glibcVersion(name string) (elfinfo.Version, bool) {
	v, ok := strings.CutPrefix(name, "GLIBC_")
	if !ok {
		return elfinfo.Version{}, false
	}
	return elfinfo.ParseVersion(v)
}

// elfHash is the SysV ELF hash (gABI "Hash Table"), which vna_hash holds.
func elfHash(s []byte) uint32 {
	var h uint32
	for _, c := range s {
		h = h<<4 + uint32(c)
		if g := h & 0xf0000000; g != 0 {
			h ^= g >> 24
		}
		h &^= 0xf0000000
	}
	return h
}

// maxScanStrings bounds the strings indexed in one head.
const maxScanStrings = 1 << 15

type stringIndex struct {
	head   []byte
	byHash map[uint32][]int
	byName map[string]int
}

// indexStrings indexes every NUL-terminated printable string that starts after a NUL.
func indexStrings(head []byte) stringIndex {
	idx := stringIndex{head: head, byHash: map[uint32][]int{}, byName: map[string]int{}}
	for i := 1; i < len(head) && len(idx.byName) < maxScanStrings; i++ {
		if head[i-1] != 0 || !printable(head[i]) {
			continue
		}
		j := i
		for j < len(head) && j-i < 256 && printable(head[j]) {
			j++
		}
		if j >= len(head) || head[j] != 0 {
			i = j
			continue
		}
		s := head[i:j]
		h := elfHash(s)
		idx.byHash[h] = append(idx.byHash[h], i)
		if _, dup := idx.byName[string(s)]; !dup {
			idx.byName[string(s)] = i
		}
		i = j
	}
	return idx
}

func printable(c byte) bool { return c > 0x20 && c < 0x7f }

// at returns the NUL-terminated string at off, if it is one.
func (x stringIndex) at(off int64) ([]byte, bool) {
	if off < 0 || off >= int64(len(x.head)) {
		return nil, false
	}
	s := x.head[off:]
	i := bytes.IndexByte(s, 0)
	if i <= 0 || i > 256 {
		return nil, false
	}
	return s[:i], true
}

type verneed struct {
	pos, next int
	file      string
	versions  []string
}

// findVerneed locates a closed, hash-verified version needs chain in head. It returns the
// versions needed per library.
func findVerneed(head []byte, bo binary.ByteOrder, strs stringIndex) (map[string][]string, bool) {
	const entLen = 16
	found := map[int]*verneed{}
	var base int64 = -1
	for p := 0; p+entLen <= len(head); p += 4 {
		if bo.Uint16(head[p:]) != 1 { // vn_version
			continue
		}
		cnt := int(bo.Uint16(head[p+2:]))
		aux := int(bo.Uint32(head[p+8:]))
		next := int(bo.Uint32(head[p+12:]))
		if cnt < 1 || cnt > 64 || aux < entLen || aux > 1024 || aux%4 != 0 || (next != 0 && (next < entLen || next%4 != 0 || next > 1<<16)) {
			continue
		}
		vn, vbase, ok := verifyVerneed(head, bo, strs, p, cnt, aux, base)
		if !ok {
			continue
		}
		vn.next = next
		base = vbase
		found[p] = vn
	}
	if len(found) == 0 {
		return nil, false
	}
	// The chain's first entry is the one no other entry points to; it must end with next == 0.
	pointed := map[int]bool{}
	for p, vn := range found {
		if vn.next != 0 {
			pointed[p+vn.next] = true
		}
	}
	var best map[string][]string
	bestLen := 0
	for p := range found {
		if pointed[p] {
			continue
		}
		out := map[string][]string{}
		n := 0
		for q, ok := p, true; ok; {
			vn := found[q]
			out[vn.file] = append(out[vn.file], vn.versions...)
			n++
			if vn.next == 0 {
				if n > bestLen {
					best, bestLen = out, n
				}
				break
			}
			q += vn.next
			_, ok = found[q]
			if n > len(found) {
				break
			}
		}
	}
	return best, best != nil
}

// verifyVerneed checks one Elf_Verneed at p and its Vernaux chain against the string table
// whose start is base (or, when base < 0, finds base from the first name's hash).
func verifyVerneed(head []byte, bo binary.ByteOrder, strs stringIndex, p, cnt, aux int, base int64) (*verneed, int64, bool) {
	type vernaux struct {
		hash uint32
		name int64
	}
	var auxes []vernaux
	a := p + aux
	for j := 0; j < cnt; j++ {
		if a < 0 || a+16 > len(head) {
			return nil, 0, false
		}
		flags := bo.Uint16(head[a+4:])
		if flags&^0x3 != 0 { // VER_FLG_BASE | VER_FLG_WEAK
			return nil, 0, false
		}
		auxes = append(auxes, vernaux{bo.Uint32(head[a:]), int64(bo.Uint32(head[a+8:]))})
		next := int(bo.Uint32(head[a+12:]))
		if j == cnt-1 {
			if next != 0 {
				return nil, 0, false
			}
			break
		}
		if next < 16 || next%4 != 0 {
			return nil, 0, false
		}
		a += next
	}
	file := int64(bo.Uint32(head[p+4:]))
	check := func(base int64) (*verneed, bool) {
		fname, ok := strs.at(base + file)
		if !ok {
			return nil, false
		}
		vn := &verneed{pos: p, file: string(fname)}
		for _, x := range auxes {
			s, ok := strs.at(base + x.name)
			if !ok || elfHash(s) != x.hash {
				return nil, false
			}
			vn.versions = append(vn.versions, string(s))
		}
		return vn, true
	}
	if base >= 0 {
		vn, ok := check(base)
		return vn, base, ok
	}
	for _, pos := range strs.byHash[auxes[0].hash] {
		b := int64(pos) - auxes[0].name
		if b < 0 {
			continue
		}
		if vn, ok := check(b); ok {
			return vn, b, true
		}
	}
	return nil, 0, false
}

// describeMagic names a non-ELF format from its first bytes (elfinfo.Sniff).
func describeMagic(b []byte) (Format, string) {
	switch f, what := elfinfo.Sniff(b); f {
	case elfinfo.MachO:
		return FormatMachO, what
	case elfinfo.PE:
		return FormatPE, what
	case elfinfo.Wasm:
		return FormatUnknown, what
	}
	return FormatUnknown, fmt.Sprintf("an unknown format (first bytes % x)", b[:min(len(b), 8)])
}
