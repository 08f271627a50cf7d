package inspect

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// hostileCase is a package no honest tool writes.
type hostileCase struct {
	name string
	zip  func(t *testing.T) []byte
	// want is the rule that must report it; "" means the package must pass (it is odd, not broken).
	want result.RuleID
}

func hostileCases() []hostileCase {
	return []hostileCase{
		{"4 GB entry declared in a tiny zip", func(t *testing.T) []byte {
			z := mkzip(t, entry{name: "bootstrap", data: goBinary(t, "linux-amd64"), mode: 0o755}, entry{name: "x", data: []byte("x"), mode: 0o644, store: true})
			return lyingSize(t, z, "x", 0xfffffff0)
		}, result.PackageTooLarge},
		{"bootstrap declares 4 GB but holds 1 KB", func(t *testing.T) []byte {
			z := mkzip(t, entry{name: "bootstrap", data: bytes.Repeat([]byte{0x7f}, 1024), mode: 0o755})
			return lyingSize(t, z, "bootstrap", 0xfffffff0)
		}, result.PackageTooLarge},
		{"deflate bomb: 300 MB of zeros as bootstrap", func(t *testing.T) []byte {
			return bomb(t, 300<<20)
		}, result.PackageTooLarge},
		{"100,000 entries", func(t *testing.T) []byte {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			for i := range 100_000 {
				h := &zip.FileHeader{Name: fmt.Sprintf("d%d/f%d", i%100, i), Method: zip.Store}
				h.SetMode(0o644)
				zw.CreateHeader(h)
			}
			w, _ := zw.CreateHeader(exeHeader("bootstrap"))
			w.Write([]byte("#!/bin/sh\necho hi\n"))
			zw.Close()
			return buf.Bytes()
		}, ""},
		{"zip64 record with impossible offsets", func(t *testing.T) []byte {
			z := mkzip(t, entry{name: "bootstrap", data: []byte("#!/bin/sh\n"), mode: 0o755})
			i := bytes.LastIndex(z, []byte("PK\x05\x06"))
			rec := make([]byte, 56)
			copy(rec, "PK\x06\x06")
			binary.LittleEndian.PutUint64(rec[32:], 1)
			binary.LittleEndian.PutUint64(rec[40:], 1<<40)
			binary.LittleEndian.PutUint64(rec[48:], 1<<62)
			loc := make([]byte, 20)
			copy(loc, "PK\x06\x07")
			binary.LittleEndian.PutUint64(loc[8:], uint64(i))
			out := append(append(append(bytes.Clone(z[:i]), rec...), loc...), z[i:]...)
			j := bytes.LastIndex(out, []byte("PK\x05\x06"))
			binary.LittleEndian.PutUint16(out[j+10:], 0xffff)
			binary.LittleEndian.PutUint32(out[j+16:], 0xffffffff)
			return out
		}, result.PackageUnreadable},
		{"overlapping entries", func(t *testing.T) []byte {
			z := mkzip(t, entry{name: "bootstrap", data: []byte("#!/bin/sh\necho one\n"), mode: 0o755, store: true},
				entry{name: "other", data: []byte("two"), mode: 0o644, store: true})
			// Point the second entry's local header offset at the first entry's.
			first := bytes.Index(z, []byte("PK\x01\x02"))
			second := first + 4 + bytes.Index(z[first+4:], []byte("PK\x01\x02"))
			copy(z[second+42:second+46], z[first+42:first+46])
			return z
		}, result.PackageUnreadable},
		{"two bootstraps", func(t *testing.T) []byte {
			return mkzip(t, entry{name: "bootstrap", data: []byte("#!/bin/sh\n"), mode: 0o755}, entry{name: "bootstrap", data: []byte("#!/bin/sh\n"), mode: 0o755})
		}, result.PathDuplicate},
		{"central directory pointing outside the file", func(t *testing.T) []byte {
			z := mkzip(t, entry{name: "bootstrap", data: []byte("#!/bin/sh\n"), mode: 0o755})
			i := bytes.LastIndex(z, []byte("PK\x05\x06"))
			binary.LittleEndian.PutUint32(z[i+16:], 0x7fffffff)
			return z
		}, result.PackageUnreadable},
		{"comment full of fake end records", func(t *testing.T) []byte {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, _ := zw.CreateHeader(exeHeader("bootstrap"))
			w.Write([]byte("#!/bin/sh\n"))
			zw.SetComment(string(bytes.Repeat(append([]byte("PK\x05\x06"), make([]byte, 18)...), 40)))
			zw.Close()
			return buf.Bytes()
		}, result.PackageUnreadable},
		{"data prepended to the zip", func(t *testing.T) []byte {
			return append(bytes.Repeat([]byte("MZ stub "), 1000), mkzip(t, entry{name: "bootstrap", data: []byte("#!/bin/sh\n"), mode: 0o755})...)
		}, ""},
		{"names with .., NUL and absolute paths", func(t *testing.T) []byte {
			return mkzip(t, entry{name: "bootstrap", data: []byte("#!/bin/sh\n"), mode: 0o755},
				entry{name: "../../etc/passwd", data: []byte("x"), mode: 0o644},
				entry{name: "/etc/shadow", data: []byte("x"), mode: 0o644},
				entry{name: "a\x00b", data: []byte("x"), mode: 0o644})
		}, result.PathUnsafe},
		{"symlink loop", func(t *testing.T) []byte {
			return mkzip(t, entry{name: "bootstrap", data: []byte("a"), mode: fs.ModeSymlink | 0o777},
				entry{name: "a", data: []byte("b"), mode: fs.ModeSymlink | 0o777},
				entry{name: "b", data: []byte("a"), mode: fs.ModeSymlink | 0o777})
		}, result.BootstrapBrokenSymlink},
		{"symlink chain of 30 links", func(t *testing.T) []byte {
			es := []entry{{name: "bootstrap", data: []byte("l0"), mode: fs.ModeSymlink | 0o777}}
			for i := range 30 {
				es = append(es, entry{name: fmt.Sprintf("l%d", i), data: []byte(fmt.Sprintf("l%d", i+1)), mode: fs.ModeSymlink | 0o777})
			}
			es = append(es, entry{name: "l30", data: []byte("#!/bin/sh\n"), mode: 0o755})
			return mkzip(t, es...)
		}, ""},
		{"symlink chain of 50 links", func(t *testing.T) []byte {
			es := []entry{{name: "bootstrap", data: []byte("l0"), mode: fs.ModeSymlink | 0o777}}
			for i := range 50 {
				es = append(es, entry{name: fmt.Sprintf("l%d", i), data: []byte(fmt.Sprintf("l%d", i+1)), mode: fs.ModeSymlink | 0o777})
			}
			es = append(es, entry{name: "l50", data: []byte("#!/bin/sh\n"), mode: 0o755})
			return mkzip(t, es...)
		}, result.BootstrapBrokenSymlink},
		{"symlink with a 1 MB target", func(t *testing.T) []byte {
			return mkzip(t, entry{name: "bootstrap", data: bytes.Repeat([]byte("a/"), 512<<10), mode: fs.ModeSymlink | 0o777})
		}, result.BootstrapBrokenSymlink},
		{"ELF program headers out of bounds", func(t *testing.T) []byte {
			b := bytes.Clone(goBinary(t, "linux-amd64"))
			binary.LittleEndian.PutUint64(b[32:], 1<<40)
			return mkzip(t, entry{name: "bootstrap", data: b, mode: 0o755})
		}, result.BootstrapNotLinux},
		{"ELF version table out of bounds", func(t *testing.T) []byte {
			b := bytes.Clone(goBinary(t, "cgo-amd64"))
			corruptDynamic(t, b, 0x6ffffffe, 1<<40) // DT_VERNEED
			return mkzip(t, entry{name: "bootstrap", data: b, mode: 0o755})
		}, result.BootstrapNotLinux},
		{"ELF claiming 65535 program headers", func(t *testing.T) []byte {
			b := bytes.Clone(goBinary(t, "linux-amd64"))
			binary.LittleEndian.PutUint16(b[56:], 0xffff)
			return mkzip(t, entry{name: "bootstrap", data: b, mode: 0o755})
		}, result.BootstrapNotLinux},
	}
}

func exeHeader(name string) *zip.FileHeader {
	h := &zip.FileHeader{Name: name, Method: zip.Deflate}
	h.SetMode(0o755)
	return h
}

// bomb returns a zip whose bootstrap inflates to n zero bytes.
func bomb(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(exeHeader("bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for range n >> 20 {
		w.Write(zero)
	}
	zw.Close()
	return buf.Bytes()
}

// corruptDynamic sets the value of a dynamic tag in a 64-bit little-endian ELF.
func corruptDynamic(t *testing.T, b []byte, tag, val uint64) {
	t.Helper()
	le := binary.LittleEndian
	phoff, phnum := le.Uint64(b[32:]), le.Uint16(b[56:])
	for i := range uint64(phnum) {
		p := b[phoff+i*56:]
		if le.Uint32(p) != 2 {
			continue
		}
		off, size := le.Uint64(p[8:]), le.Uint64(p[32:])
		for o := off; o+16 <= off+size; o += 16 {
			if le.Uint64(b[o:]) == tag {
				le.PutUint64(b[o+8:], val)
				return
			}
		}
	}
	t.Fatalf("dynamic tag %#x not found", tag)
}

// maxHeapPerCheck bounds what one check of a hostile package may allocate in total (so its peak
// heap is bounded too): far below the hook's 128 MB of memory.
const maxHeapPerCheck = 64 << 20

// TestHostilePackages checks each hostile package: the expected finding, no panic, no error
// (the bytes were readable), and bounded allocation. A deadline guards against hangs; CPU
// figures are printed by BenchmarkHostilePackages.
func TestHostilePackages(t *testing.T) {
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			z := tc.zip(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res, err := checker().Check(ctx, Function{Target: "hostile", Runtime: "provided.al2023", Code: zipSource("hostile.zip", z)})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d-byte zip: %s, %v, allocated %.1f MiB", len(z), res.Status, rules(res, ""), float64(alloc)/(1<<20))
			if alloc > maxHeapPerCheck {
				t.Errorf("allocated %d bytes, want at most %d", alloc, maxHeapPerCheck)
			}
			if tc.want == "" {
				if res.Status != result.Pass {
					t.Fatalf("got %s %+v, want PASS", res.Status, res.Findings)
				}
				return
			}
			if len(res.FindingsFor(tc.want)) == 0 {
				t.Fatalf("got %v, want %s: %+v", rules(res, ""), tc.want, res.Findings)
			}
		})
	}
}

// BenchmarkHostilePackages prints the time and allocation of one check per hostile package.
func BenchmarkHostilePackages(b *testing.B) {
	t := &testing.T{}
	for _, tc := range hostileCases() {
		z := tc.zip(t)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				checker().Check(context.Background(), Function{Target: "hostile", Runtime: "provided.al2023", Code: zipSource("hostile.zip", z)})
			}
		})
	}
}

// A reader that fails is never mistaken for a bad package.
func TestSourceFailureIsAnError(t *testing.T) {
	z := mkzip(t, entry{name: "bootstrap", data: goBinary(t, "linux-amd64"), mode: 0o755})
	for _, failAfter := range []int{0, 1, 2, 3} {
		t.Run(fmt.Sprint("fail after ", failAfter, " reads"), func(t *testing.T) {
			r := &flakyReader{r: bytes.NewReader(z), ok: failAfter}
			_, err := checker().Check(context.Background(), Function{Target: "f", Runtime: "provided.al2023", Code: Source{Name: "f.zip", ReaderAt: r, Size: int64(len(z))}})
			if r.calls <= failAfter {
				t.Skipf("check made only %d reads", r.calls)
			}
			if !IsSourceError(err) {
				t.Fatalf("got %v, want a SourceError", err)
			}
		})
	}
}

type flakyReader struct {
	r     io.ReaderAt
	ok    int
	calls int
}

func (f *flakyReader) ReadAt(p []byte, off int64) (int, error) {
	f.calls++
	if f.calls > f.ok {
		return 0, fmt.Errorf("connection reset by peer")
	}
	return f.r.ReadAt(p, off)
}
