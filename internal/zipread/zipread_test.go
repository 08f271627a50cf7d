package zipread

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixtures reads archives made by real tools and compares every entry with archive/zip.
func TestFixtures(t *testing.T) {
	tests := []struct {
		file      string
		names     []string
		modes     map[string]fs.FileMode // expected Unix modes; absent means "no mode"
		base      int64
		wantError bool
	}{
		{file: "unix.zip", names: []string{"bootstrap", "lib/", "lib/data.txt", "link"},
			modes: map[string]fs.FileMode{"bootstrap": 0o755, "lib/": fs.ModeDir | 0o755, "lib/data.txt": 0o644, "link": fs.ModeSymlink | 0o777}},
		{file: "stored.zip", names: []string{"bootstrap"}, modes: map[string]fs.FileMode{"bootstrap": 0o755}},
		{file: "zip64.zip", names: []string{"bootstrap", "lib/data.txt"}, modes: map[string]fs.FileMode{"bootstrap": 0o755, "lib/data.txt": 0o644}},
		{file: "nested.zip", names: []string{"lib/data.txt", "bin/hello/bootstrap"}, modes: map[string]fs.FileMode{"lib/data.txt": 0o644, "bin/hello/bootstrap": 0o755}},
		{file: "comment.zip", names: []string{"bootstrap"}, modes: map[string]fs.FileMode{"bootstrap": 0o755}},
		{file: "prepended.zip", names: []string{"bootstrap"}, modes: map[string]fs.FileMode{"bootstrap": 0o755}, base: 72},
		{file: "prepended-adjusted.zip", names: []string{"bootstrap"}, modes: map[string]fs.FileMode{"bootstrap": 0o755}},
		{file: "msdos.zip", names: []string{"bootstrap"}, modes: map[string]fs.FileMode{}},
		{file: "backslash.zip", names: []string{`bin\bootstrap`}, modes: map[string]fs.FileMode{}},
		{file: "empty.zip", names: nil},
		{file: "fake-eocd-comment.zip", wantError: true},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			z, err := NewReader(bytes.NewReader(b), int64(len(b)))
			if tc.wantError {
				if !errors.Is(err, ErrFormat) {
					t.Fatalf("got %v, want a format error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			var names []string
			for _, f := range z.File {
				names = append(names, f.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.names, ",") {
				t.Fatalf("got names %q, want %q", names, tc.names)
			}
			if z.BaseOffset != tc.base {
				t.Errorf("got base offset %d, want %d", z.BaseOffset, tc.base)
			}
			ref, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("archive/zip: %v", err)
			}
			for i := range z.File {
				f := &z.File[i]
				mode, ok := f.UnixMode()
				want, wantOK := tc.modes[f.Name]
				if ok != wantOK || mode != want {
					t.Errorf("%s: got mode %v (%v), want %v (%v)", f.Name, mode, ok, want, wantOK)
				}
				e, err := z.Open(f)
				if err != nil {
					t.Fatalf("Open %s: %v", f.Name, err)
				}
				got := make([]byte, e.Size())
				if _, err := e.ReadAt(got, 0); err != nil && err != io.EOF {
					t.Fatalf("read %s: %v", f.Name, err)
				}
				rc, err := ref.File[i].Open()
				if err != nil {
					t.Fatal(err)
				}
				wantData, _ := io.ReadAll(rc)
				rc.Close()
				if !bytes.Equal(got, wantData) {
					t.Errorf("%s: content differs from archive/zip", f.Name)
				}
			}
		})
	}
}

// TestRandomAccess reads a deflated entry at offsets out of order, as the ELF parser does, and
// compares with the original bytes.
func TestRandomAccess(t *testing.T) {
	data := make([]byte, 300<<10)
	for i := range data {
		data[i] = byte(i * 7 / 13) // compressible but not constant
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("big")
	w.Write(data)
	zw.Close()
	z, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	e, err := z.Open(&z.File[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{0, 200 << 10, 64, 250 << 10, 100 << 10, 299 << 10, 10} {
		p := make([]byte, 1000)
		n, err := e.ReadAt(p, off)
		if err != nil && err != io.EOF {
			t.Fatalf("ReadAt %d: %v", off, err)
		}
		if !bytes.Equal(p[:n], data[off:off+int64(n)]) {
			t.Fatalf("ReadAt %d: content differs", off)
		}
	}
	if n, err := e.ReadAt(make([]byte, 10), int64(len(data))-4); n != 4 || err != io.EOF {
		t.Errorf("read over the end: got %d, %v; want 4, EOF", n, err)
	}
}

// TestHostile covers archives no tool writes, each rejected with a format error.
func TestHostile(t *testing.T) {
	good := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("bootstrap")
		w.Write([]byte("#!/bin/sh\n"))
		zw.Close()
		return buf.Bytes()
	}
	eocdAt := func(b []byte) int { return bytes.LastIndex(b, []byte("PK\x05\x06")) }
	cdAt := func(b []byte) int { return bytes.Index(b, []byte("PK\x01\x02")) }
	tests := []struct {
		name   string
		mutate func([]byte) []byte
	}{
		{"too short", func(b []byte) []byte { return b[:10] }},
		{"no end record", func(b []byte) []byte { return bytes.Repeat([]byte{'x'}, 100) }},
		{"directory offset outside", func(b []byte) []byte {
			i := eocdAt(b)
			b[i+16], b[i+17], b[i+18], b[i+19] = 0xff, 0xff, 0xff, 0x7f
			return b
		}},
		{"directory size outside", func(b []byte) []byte {
			i := eocdAt(b)
			b[i+12], b[i+13], b[i+14], b[i+15] = 0xff, 0xff, 0xff, 0x01
			return b
		}},
		{"entry count lies", func(b []byte) []byte { i := eocdAt(b); b[i+10], b[i+8] = 5, 5; return b }},
		{"local header offset outside", func(b []byte) []byte {
			i := cdAt(b)
			b[i+42], b[i+43], b[i+44], b[i+45] = 0xff, 0xff, 0xff, 0x7f
			return b
		}},
		{"name runs past directory", func(b []byte) []byte { i := cdAt(b); b[i+28], b[i+29] = 0xff, 0x0f; return b }},
		{"spanned archive", func(b []byte) []byte { i := eocdAt(b); b[i+4] = 1; return b }},
		{"zip64 locator pointing outside", func(b []byte) []byte {
			i := eocdAt(b)
			loc := make([]byte, 20)
			copy(loc, "PK\x06\x07")
			for k := 8; k < 16; k++ {
				loc[k] = 0xff
			}
			out := append(append(append([]byte{}, b[:i]...), loc...), b[i:]...)
			j := eocdAt(out)
			out[j+10], out[j+11] = 0xff, 0xff // entry count saturated: look for zip64
			return out
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.mutate(good())
			_, err := NewReader(bytes.NewReader(b), int64(len(b)))
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("got %v, want a format error", err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(12, func(w io.Writer) (io.WriteCloser, error) { return nopCloser{w}, nil })
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "bz", Method: 12})
	w.Write([]byte("x"))
	zw.Close()
	b := buf.Bytes()
	z, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := z.Open(&z.File[0]); !errors.Is(err, ErrUnsupported) || !errors.Is(err, ErrFormat) {
		t.Errorf("method 12: got %v, want ErrUnsupported", err)
	}
	z.File[0].Method = Store
	z.File[0].Flags |= 1
	if _, err := z.Open(&z.File[0]); !errors.Is(err, ErrUnsupported) {
		t.Errorf("encrypted: got %v, want ErrUnsupported", err)
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// TestSourceErrors shows that a failing reader is reported as such, not as a bad archive.
func TestSourceErrors(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := NewReader(failingReader{boom}, 1000)
	if !errors.Is(err, boom) || errors.Is(err, ErrFormat) {
		t.Fatalf("got %v, want the source's error and not a format error", err)
	}
}

type failingReader struct{ err error }

func (f failingReader) ReadAt([]byte, int64) (int, error) { return 0, f.err }

// TestReads shows the batching: an archive whose directory fits in the tail costs one read.
func TestReads(t *testing.T) {
	b, err := os.ReadFile("testdata/unix.zip")
	if err != nil {
		t.Fatal(err)
	}
	c := &countReader{r: bytes.NewReader(b)}
	if _, err := NewReader(c, int64(len(b))); err != nil {
		t.Fatal(err)
	}
	if c.n != 1 {
		t.Errorf("got %d reads, want 1", c.n)
	}
}

type countReader struct {
	r io.ReaderAt
	n int
}

func (c *countReader) ReadAt(p []byte, off int64) (int, error) { c.n++; return c.r.ReadAt(p, off) }
