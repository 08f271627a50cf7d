// Package elfinfo reads what decides whether Linux can start an executable: the ELF header, the
// program headers, the program interpreter and the glibc symbol versions it needs. It reads those
// structures and nothing else (no section headers, which sit at the end of the file), through an
// io.ReaderAt, with every count and offset checked against the file before use.
//
// debug/elf is not used: it reads section headers, allocates from counts found in the file and
// documents that it is not hardened against malformed input.
package elfinfo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// ErrFormat is matched (errors.Is) by every error that says the bytes are not a usable ELF file.
var ErrFormat = errors.New("elf: malformed file")

// FormatError reports a malformed structure and where it was found.
type FormatError struct {
	Offset int64
	Msg    string
}

func (e *FormatError) Error() string { return fmt.Sprintf("elf: %s (at byte %d)", e.Msg, e.Offset) }

// Is makes errors.Is(err, ErrFormat) true for every FormatError.
func (e *FormatError) Is(target error) bool { return target == ErrFormat }

func formatErr(off int64, format string, args ...any) error {
	return &FormatError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// Machines this package names; e_machine values from the ELF specification.
const (
	EM386     = 3
	EMARM     = 40
	EMX86_64  = 62
	EMAARCH64 = 183
	EMRISCV   = 243
	EMPPC64   = 21
	EMS390    = 22
)

// File types (e_type).
const (
	TypeRel  = 1
	TypeExec = 2
	TypeDyn  = 3
	TypeCore = 4
)

// OS ABIs (EI_OSABI) that mean "not Linux".
const (
	OSABISysV    = 0
	OSABIGNU     = 3
	OSABIFreeBSD = 9
)

// Limits on structures read from the file. Linux refuses program header tables over 64 KiB.
const (
	maxPhdrBytes   = 64 << 10
	maxInterp      = 4096
	maxDynamic     = 64 << 10
	maxStrtab      = 1 << 20
	maxVerneedSpan = 64 << 10
	maxVersions    = 4096
)

// Info is what the kernel and the dynamic loader will look at.
type Info struct {
	Class     int // 32 or 64
	BigEndian bool
	OSABI     byte
	Type      uint16
	Machine   uint16
	// Interp is the PT_INTERP path; empty for a static executable.
	Interp string
	// Needed lists DT_NEEDED libraries (for messages).
	Needed []string
	// Glibc lists the GLIBC_x.y versions required, sorted ascending, without duplicates.
	Glibc []Version
	// BytesRead counts bytes requested from the reader, to show the cost of a check.
	BytesRead int64
}

// Static reports whether no program interpreter is needed.
func (i *Info) Static() bool { return i.Interp == "" }

// MachineName is a human name for Machine.
func (i *Info) MachineName() string { return MachineName(i.Machine, i.Class) }

// MachineName names an e_machine value as people and Lambda's Architectures do.
func MachineName(m uint16, class int) string {
	switch m {
	case EMX86_64:
		return "x86_64"
	case EMAARCH64:
		return "arm64"
	case EM386:
		return "i386 (32-bit x86)"
	case EMARM:
		return "arm (32-bit)"
	case EMRISCV:
		return "riscv" + strconv.Itoa(class)
	case EMPPC64:
		return "ppc64"
	case EMS390:
		return "s390x"
	}
	return "machine " + strconv.Itoa(int(m))
}

// Version is a glibc symbol version such as 2.34.
type Version struct{ Major, Minor, Patch int }

func (v Version) String() string {
	s := strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor)
	if v.Patch > 0 {
		s += "." + strconv.Itoa(v.Patch)
	}
	return s
}

// Less orders versions.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// ParseVersion reads "2.34" or "2.3.4".
func ParseVersion(s string) (Version, bool) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || v > 9999 {
			return Version{}, false
		}
		n[i] = v
	}
	return Version{n[0], n[1], n[2]}, true
}

// MaxGlibc is the newest glibc version required, and false when none is.
func (i *Info) MaxGlibc() (Version, bool) {
	if len(i.Glibc) == 0 {
		return Version{}, false
	}
	return i.Glibc[len(i.Glibc)-1], true
}

// IsELF reports whether b starts with the ELF magic.
func IsELF(b []byte) bool { return len(b) >= 4 && string(b[:4]) == "\x7fELF" }

type reader struct {
	r    io.ReaderAt
	size int64
	bo   binary.ByteOrder
	read int64
}

// at reads n bytes at off, all inside the file, or fails with a format error naming what.
func (r *reader) at(off, n int64, what string) ([]byte, error) {
	if off < 0 || n < 0 || off > r.size || n > r.size-off {
		return nil, formatErr(off, "%s (%d bytes) lies outside the %d-byte file", what, n, r.size)
	}
	b := make([]byte, n)
	r.read += n
	k, err := r.r.ReadAt(b, off)
	if k == len(b) {
		return b, nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, formatErr(off, "%s truncated", what)
	}
	return nil, fmt.Errorf("read %s: %w", what, err)
}

type phdr struct {
	typ                uint32
	off, vaddr, filesz uint64
}

// Parse reads the ELF file of size bytes in r. Errors matching ErrFormat mean the file is not a
// well-formed ELF executable; any other error is the reader's.
func Parse(r io.ReaderAt, size int64) (*Info, error) {
	rd := &reader{r: r, size: size}
	ident, err := rd.at(0, 16, "ELF identification")
	if err != nil {
		return nil, err
	}
	if !IsELF(ident) {
		return nil, formatErr(0, "no ELF magic")
	}
	info := &Info{OSABI: ident[7]}
	switch ident[4] {
	case 1:
		info.Class = 32
	case 2:
		info.Class = 64
	default:
		return nil, formatErr(4, "invalid class %d", ident[4])
	}
	switch ident[5] {
	case 1:
		rd.bo = binary.LittleEndian
	case 2:
		rd.bo = binary.BigEndian
		info.BigEndian = true
	default:
		return nil, formatErr(5, "invalid data encoding %d", ident[5])
	}
	hlen := int64(52)
	if info.Class == 64 {
		hlen = 64
	}
	h, err := rd.at(0, hlen, "ELF header")
	if err != nil {
		return nil, err
	}
	bo := rd.bo
	info.Type = bo.Uint16(h[16:])
	info.Machine = bo.Uint16(h[18:])
	var phoff uint64
	var phentsize, phnum uint16
	if info.Class == 64 {
		phoff = bo.Uint64(h[32:])
		phentsize, phnum = bo.Uint16(h[54:]), bo.Uint16(h[56:])
	} else {
		phoff = uint64(bo.Uint32(h[28:]))
		phentsize, phnum = bo.Uint16(h[42:]), bo.Uint16(h[44:])
	}
	defer func() { info.BytesRead = rd.read }()
	if info.Type != TypeExec && info.Type != TypeDyn {
		return info, nil // not loadable; the caller reports the type
	}
	want := uint16(32)
	if info.Class == 64 {
		want = 56
	}
	if phnum == 0 {
		return nil, formatErr(0, "executable without program headers")
	}
	if phentsize != want {
		return nil, formatErr(0, "program header entry size %d, want %d", phentsize, want)
	}
	total := int64(phentsize) * int64(phnum)
	if total > maxPhdrBytes || phoff > uint64(size) {
		return nil, formatErr(0, "program header table (%d entries at offset %d) is out of bounds", phnum, phoff)
	}
	ph, err := rd.at(int64(phoff), total, "program header table")
	if err != nil {
		return nil, err
	}
	phs := make([]phdr, 0, phnum)
	for i := 0; i < int(phnum); i++ {
		b := ph[i*int(phentsize):]
		var p phdr
		p.typ = bo.Uint32(b)
		if info.Class == 64 {
			p.off, p.vaddr, p.filesz = bo.Uint64(b[8:]), bo.Uint64(b[16:]), bo.Uint64(b[32:])
		} else {
			p.off, p.vaddr, p.filesz = uint64(bo.Uint32(b[4:])), uint64(bo.Uint32(b[8:])), uint64(bo.Uint32(b[16:]))
		}
		phs = append(phs, p)
	}
	var dyn *phdr
	for i := range phs {
		switch p := &phs[i]; p.typ {
		case 3: // PT_INTERP
			if p.filesz == 0 || p.filesz > maxInterp {
				return nil, formatErr(int64(phoff), "PT_INTERP of %d bytes", p.filesz)
			}
			if p.off > uint64(size) {
				return nil, formatErr(int64(phoff), "PT_INTERP at offset %d lies outside the file", p.off)
			}
			b, err := rd.at(int64(p.off), int64(p.filesz), "program interpreter path")
			if err != nil {
				return nil, err
			}
			info.Interp = strings.TrimRight(string(b), "\x00")
		case 2: // PT_DYNAMIC
			if dyn == nil {
				dyn = p
			}
		}
	}
	if dyn != nil && info.Interp != "" {
		if err := readDynamic(rd, info, phs, dyn); err != nil {
			return nil, err
		}
	}
	return info, nil
}

// vaddrToOffset maps a virtual address to its file offset through the PT_LOAD segments.
func vaddrToOffset(phs []phdr, addr uint64) (int64, bool) {
	for _, p := range phs {
		if p.typ == 1 && addr >= p.vaddr && addr-p.vaddr < p.filesz {
			o := p.off + (addr - p.vaddr)
			if o < p.off || o > 1<<62 {
				return 0, false
			}
			return int64(o), true
		}
	}
	return 0, false
}

func readDynamic(rd *reader, info *Info, phs []phdr, dyn *phdr) error {
	n := min(dyn.filesz, maxDynamic)
	if dyn.off > uint64(rd.size) {
		return formatErr(0, "PT_DYNAMIC at offset %d lies outside the file", dyn.off)
	}
	n = min(n, uint64(rd.size)-dyn.off)
	b, err := rd.at(int64(dyn.off), int64(n), "dynamic section")
	if err != nil {
		return err
	}
	entSize := 16
	if info.Class == 32 {
		entSize = 8
	}
	var strtab, strsz, verneed, verneednum uint64
	var needed []uint64
	for i := 0; i+entSize <= len(b); i += entSize {
		var tag, val uint64
		if info.Class == 64 {
			tag, val = rd.bo.Uint64(b[i:]), rd.bo.Uint64(b[i+8:])
		} else {
			tag, val = uint64(rd.bo.Uint32(b[i:])), uint64(rd.bo.Uint32(b[i+4:]))
		}
		if tag == 0 { // DT_NULL
			break
		}
		switch tag {
		case 1: // DT_NEEDED
			if len(needed) < maxVersions {
				needed = append(needed, val)
			}
		case 5:
			strtab = val
		case 10:
			strsz = val
		case 0x6ffffffe:
			verneed = val
		case 0x6fffffff:
			verneednum = val
		}
	}
	if strtab == 0 || strsz == 0 {
		return nil // nothing named: no libraries, no versions
	}
	strOff, ok := vaddrToOffset(phs, strtab)
	if !ok {
		return formatErr(int64(dyn.off), "DT_STRTAB address %#x is not in a loaded segment", strtab)
	}
	strs, err := rd.at(strOff, int64(min(strsz, maxStrtab, uint64(max(rd.size-strOff, 0)))), "dynamic string table")
	if err != nil {
		return err
	}
	str := func(o uint64) (string, bool) {
		if o >= uint64(len(strs)) {
			return "", false
		}
		s := strs[o:]
		if i := bytes.IndexByte(s, 0); i >= 0 {
			return string(s[:i]), true
		}
		return "", false
	}
	for _, o := range needed {
		if s, ok := str(o); ok {
			info.Needed = append(info.Needed, s)
		}
	}
	if verneed == 0 || verneednum == 0 {
		return nil
	}
	vnOff, ok := vaddrToOffset(phs, verneed)
	if !ok {
		return formatErr(int64(dyn.off), "DT_VERNEED address %#x is not in a loaded segment", verneed)
	}
	span := min(int64(maxVerneedSpan), rd.size-vnOff)
	vn, err := rd.at(vnOff, span, "version needs table")
	if err != nil {
		return err
	}
	seen := map[Version]bool{}
	count := 0
	pos := 0
	for i := uint64(0); i < verneednum; i++ {
		if pos < 0 || pos+16 > len(vn) {
			return formatErr(vnOff+int64(pos), "version need entry %d lies outside the table", i)
		}
		cnt := int(rd.bo.Uint16(vn[pos+2:]))
		aux := int(rd.bo.Uint32(vn[pos+8:]))
		next := int(rd.bo.Uint32(vn[pos+12:]))
		apos := pos + aux
		for j := 0; j < cnt; j++ {
			if count++; count > maxVersions {
				return formatErr(vnOff, "more than %d version needs", maxVersions)
			}
			if aux < 0 || apos < pos || apos+16 > len(vn) {
				return formatErr(vnOff+int64(apos), "version need auxiliary entry lies outside the table")
			}
			name := rd.bo.Uint32(vn[apos+8:])
			anext := int(rd.bo.Uint32(vn[apos+12:]))
			if s, ok := str(uint64(name)); ok {
				if v, ok := strings.CutPrefix(s, "GLIBC_"); ok {
					if ver, ok := ParseVersion(v); ok && !seen[ver] {
						seen[ver] = true
						info.Glibc = append(info.Glibc, ver)
					}
				}
			}
			if anext == 0 {
				break
			}
			if anext < 0 || apos+anext <= apos {
				return formatErr(vnOff+int64(apos), "version need auxiliary chain loops")
			}
			apos += anext
		}
		if next == 0 {
			break
		}
		if next < 0 || pos+next <= pos {
			return formatErr(vnOff+int64(pos), "version need chain loops")
		}
		pos += next
	}
	slices.SortFunc(info.Glibc, func(a, b Version) int {
		switch {
		case a.Less(b):
			return -1
		case b.Less(a):
			return 1
		}
		return 0
	})
	return nil
}

// Foreign is an executable format other than ELF, told from a file's first bytes.
type Foreign int

// Foreign formats.
const (
	NotForeign Foreign = iota // none of those below (ELF, a script, anything else)
	MachO                     // macOS, thin or universal (fat)
	PE                        // Windows (MZ, with or without a PE header)
	Wasm                      // WebAssembly
)

// Sniff tells a foreign executable format from a file's first bytes and describes it for
// messages ("a macOS (Mach-O) binary"); NotForeign and "" for anything else. The magic numbers
// are Go's (src/debug/macho/macho.go: Magic32, Magic64, MagicFat and their byte-swapped forms;
// src/debug/pe/file.go: MZ, and the "PE\0\0" signature at the offset stored at 0x3c) and the
// WebAssembly binary format's "\0asm". 0xcafebabe is also a Java class file's magic: a fat
// Mach-O has a small architecture count where a class file has its major version (45 or more).
func Sniff(b []byte) (Foreign, string) {
	if len(b) >= 4 {
		switch be := binary.BigEndian.Uint32(b); {
		case be == 0xcffaedfe || be == 0xcefaedfe || be == 0xfeedfacf || be == 0xfeedface:
			return MachO, "a macOS (Mach-O) binary"
		case be == 0xcafebabe && len(b) >= 8 && b[7] < 45:
			return MachO, "a macOS universal (fat Mach-O) binary"
		}
	}
	if len(b) >= 2 && b[0] == 'M' && b[1] == 'Z' {
		if len(b) >= 0x40 {
			off := int(binary.LittleEndian.Uint32(b[0x3c:]))
			if off >= 0 && off+4 <= len(b) && string(b[off:off+4]) == "PE\x00\x00" {
				return PE, "a Windows (PE) binary"
			}
		}
		return PE, "a Windows (MZ) file"
	}
	if bytes.HasPrefix(b, []byte("\x00asm")) {
		return Wasm, "a WebAssembly module"
	}
	return NotForeign, ""
}
