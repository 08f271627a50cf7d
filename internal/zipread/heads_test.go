package zipread

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// countingReader counts ReadAt calls and bytes, as requests to S3 would be.
type countingReader struct {
	r     io.ReaderAt
	calls atomic.Int64
	bytes atomic.Int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	c.calls.Add(1)
	c.bytes.Add(int64(len(p)))
	return c.r.ReadAt(p, off)
}

// headsZip builds a zip of n compressible "modules" (mod-i: a text header then filler), each
// followed by gap bytes of incompressible data, stored or deflated.
func headsZip(t testing.TB, n, gap int, method uint16) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	pad := make([]byte, gap)
	rand.Read(pad)
	for i := 0; i < n; i++ {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("pkg/mod-%03d.so", i), Method: method})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "module %03d\n", i)
		w.Write(bytes.Repeat([]byte("symbol table entry "), 2000))
		if gap > 0 {
			w, _ = zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("pkg/data-%03d.bin", i), Method: zip.Store})
			w.Write(pad)
		}
	}
	zw.Close()
	return buf.Bytes()
}

func TestReadHeads(t *testing.T) {
	for _, method := range []uint16{zip.Store, zip.Deflate} {
		t.Run(fmt.Sprintf("method-%d", method), func(t *testing.T) {
			b := headsZip(t, 40, 0, method)
			cr := &countingReader{r: bytes.NewReader(b)}
			z, err := NewReader(cr, int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			before := cr.calls.Load()
			var reqs []HeadRequest
			for i := range z.File {
				reqs = append(reqs, HeadRequest{File: &z.File[i], Max: 4096})
			}
			budget := Budget{Requests: 6, Bytes: 3 << 20}
			heads, err := z.ReadHeads(reqs, &budget)
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range heads {
				want := fmt.Sprintf("module %03d\n", i)
				if h.Skipped || h.Err != nil || !bytes.HasPrefix(h.Data, []byte(want)) || len(h.Data) > 4096 {
					t.Fatalf("head %d: skipped %v err %v data %q...", i, h.Skipped, h.Err, h.Data[:min(len(h.Data), 16)])
				}
			}
			if calls := cr.calls.Load() - before; calls != 1 {
				t.Errorf("%d reads for 40 adjacent heads, want 1", calls)
			}
			if budget.Requests != 5 {
				t.Errorf("budget left %d requests, want 5", budget.Requests)
			}
		})
	}
}

// TestReadHeadsBudget: heads spread through a large archive cost no more reads than the budget,
// and what does not fit is Skipped, the first requests kept.
func TestReadHeadsBudget(t *testing.T) {
	b := headsZip(t, 30, 200<<10, zip.Deflate) // 200 KiB of incompressible data between heads
	cr := &countingReader{r: bytes.NewReader(b)}
	z, err := NewReader(cr, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var reqs []HeadRequest
	for i := range z.File {
		if filepath.Ext(z.File[i].Name) == ".so" {
			reqs = append(reqs, HeadRequest{File: &z.File[i], Max: 16 << 10})
		}
	}
	before := cr.calls.Load()
	budget := Budget{Requests: 4, Bytes: 1 << 20}
	heads, err := z.ReadHeads(reqs, &budget)
	if err != nil {
		t.Fatal(err)
	}
	calls := cr.calls.Load() - before
	read, skipped := 0, 0
	for i, h := range heads {
		switch {
		case h.Skipped:
			skipped++
		case h.Err != nil:
			t.Errorf("head %d: %v", i, h.Err)
		default:
			read++
		}
	}
	if calls > 4 || read == 0 || skipped == 0 || read+skipped != len(reqs) {
		t.Errorf("%d reads, %d heads read, %d skipped of %d", calls, read, skipped, len(reqs))
	}
	if heads[0].Skipped {
		t.Error("the first (most important) request was skipped")
	}
	if budget.Requests < 0 || budget.Bytes < 0 {
		t.Errorf("budget overspent: %+v", budget)
	}
}

// TestReadHeadsCorrupt: a deflated entry with garbage data is a format error, not a panic, and
// does not hide its neighbours.
func TestReadHeadsCorrupt(t *testing.T) {
	b := headsZip(t, 3, 0, zip.Deflate)
	z, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	off, err := z.DataOffset(&z.File[1])
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(b)
	for i := off; i < off+int64(z.File[1].CompressedSize); i++ {
		bad[i] = 0xff
	}
	z, _ = NewReader(bytes.NewReader(bad), int64(len(bad)))
	var reqs []HeadRequest
	for i := range z.File {
		reqs = append(reqs, HeadRequest{File: &z.File[i], Max: 1 << 20})
	}
	heads, err := z.ReadHeads(reqs, &Budget{Requests: 8, Bytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(heads[1].Err, ErrFormat) {
		t.Errorf("corrupt entry: %v", heads[1].Err)
	}
	if heads[0].Err != nil || heads[2].Err != nil || !heads[0].Complete {
		t.Errorf("neighbours: %+v %+v", heads[0].Err, heads[2].Err)
	}
}

// FuzzReadHeads reads the heads of every entry of arbitrary archives under a small budget.
func FuzzReadHeads(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.zip")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(64), uint8(2))
	}
	f.Add(headsZip(f, 3, 0, zip.Deflate), uint16(4096), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, max uint16, requests uint8) {
		z, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		var reqs []HeadRequest
		for i := range z.File {
			reqs = append(reqs, HeadRequest{File: &z.File[i], Max: int64(max)})
		}
		budget := Budget{Requests: int(requests % 8), Bytes: 1 << 20}
		heads, err := z.ReadHeads(reqs, &budget)
		if err != nil {
			t.Fatalf("memory reader failed: %v", err)
		}
		for i, h := range heads {
			if int64(len(h.Data)) > int64(max) {
				t.Fatalf("head %d: %d bytes for max %d", i, len(h.Data), max)
			}
			if h.Err != nil && !errors.Is(h.Err, ErrFormat) {
				t.Fatalf("head %d: %v is not a format error", i, h.Err)
			}
		}
		if budget.Requests < 0 || budget.Bytes < 0 {
			t.Fatalf("budget overspent: %+v", budget)
		}
	})
}
