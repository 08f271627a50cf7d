package rangeread

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
)

// memSource serves ranges from memory and records them, like the S3 manager's test fakes.
type memSource struct {
	data   []byte
	ranges []string
	fail   error
	short  bool
}

func (m *memSource) Tail(ctx context.Context, n int64) ([]byte, int64, error) {
	n = min(n, int64(len(m.data)))
	m.ranges = append(m.ranges, fmt.Sprintf("-%d", n))
	return m.data[int64(len(m.data))-n:], int64(len(m.data)), nil
}

func (m *memSource) Range(ctx context.Context, off, n int64) ([]byte, error) {
	m.ranges = append(m.ranges, fmt.Sprintf("%d-%d", off, off+n-1))
	if m.fail != nil {
		return nil, m.fail
	}
	if m.short {
		n--
	}
	return m.data[off : off+n], nil
}

func TestReaderBatchesAndCaches(t *testing.T) {
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i % 251)
	}
	src := &memSource{data: data}
	r, err := New(context.Background(), src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	reads := []struct{ off, n int64 }{
		{int64(len(data)) - 22, 22}, // end record: in the tail
		{0, 30},                     // local header: one block
		{30, 4096},                  // ELF header: same block
		{64 << 10, 100},             // still the first block
		{int64(len(data)) - 200<<10, 10},
	}
	for _, rd := range reads {
		p := make([]byte, rd.n)
		if _, err := r.ReadAt(p, rd.off); err != nil && err != io.EOF {
			t.Fatal(err)
		}
		if !bytes.Equal(p, data[rd.off:rd.off+rd.n]) {
			t.Fatalf("bytes at %d differ", rd.off)
		}
	}
	want := []string{"-65536", "0-131071", "843776-974847"}
	if fmt.Sprint(src.ranges) != fmt.Sprint(want) {
		t.Errorf("got ranges %v, want %v", src.ranges, want)
	}
	if st := r.Stats(); st.Requests != 3 || st.Bytes != 65536+2*131072 {
		t.Errorf("got stats %+v", st)
	}
}

func TestReaderEvicts(t *testing.T) {
	data := make([]byte, 4<<20)
	r, _ := New(context.Background(), &memSource{data: data}, Options{MaxCache: 256 << 10})
	for off := int64(0); off < 3<<20; off += 128 << 10 {
		r.ReadAt(make([]byte, 1), off)
	}
	if r.held > 256<<10 {
		t.Errorf("cache holds %d bytes, limit %d", r.held, 256<<10)
	}
}

func TestReaderErrors(t *testing.T) {
	data := make([]byte, 1<<20)
	boom := errors.New("connection reset")
	r, _ := New(context.Background(), &memSource{data: data, fail: boom}, Options{})
	if _, err := r.ReadAt(make([]byte, 10), 0); !errors.Is(err, boom) {
		t.Errorf("got %v, want the source's error", err)
	}
	r, _ = New(context.Background(), &memSource{data: data, short: true}, Options{})
	if _, err := r.ReadAt(make([]byte, 10), 0); err == nil {
		t.Error("short range: want an error")
	}
	if _, err := r.ReadAt(make([]byte, 10), -1); !errors.Is(err, ErrOffset) {
		t.Errorf("negative offset: got %v", err)
	}
	if n, err := r.ReadAt(make([]byte, 10), int64(len(data))); n != 0 || err != io.EOF {
		t.Errorf("at the end: got %d, %v", n, err)
	}
}
