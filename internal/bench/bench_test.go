// Package bench compares, against MinIO, how the hook reads a code package (ranged GETs through
// s3read and the inspection engine) with the obvious alternative (download the whole object, open
// it with archive/zip, find the bootstrap), for packages of 5, 50 and 250 MB with the bootstrap
// first and last. Run it with `make bench`; each line reports bytes transferred, requests, wall
// time (ns/op) and peak heap.
package bench

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/rangeread"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// countingTransport counts requests and response bytes on the wire.
type countingTransport struct {
	requests atomic.Int64
	bytes    atomic.Int64
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	k, err := c.ReadCloser.Read(p)
	c.n.Add(int64(k))
	return k, err
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.requests.Add(1)
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = countingBody{resp.Body, &t.bytes}
	}
	return resp, err
}

// peakHeap samples the heap while f runs and returns the highest HeapInuse seen.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	return peak.Load()
}

var (
	setupOnce sync.Once
	env       struct {
		minio     *testenv.MinIO
		bootstrap []byte
	}
)

func setup(b *testing.B) {
	setupOnce.Do(func() {
		env.minio = testenv.StartMinIO(b)
		env.minio.Bucket(b, "bench", false)
		env.bootstrap = testenv.HelloBootstrap(b)
	})
}

// makePackage writes a zip of about size bytes: the bootstrap and incompressible padding, with the
// bootstrap first or last, and uploads it.
func makePackage(b *testing.B, size int, last bool) string {
	key := fmt.Sprintf("pkg-%dMB-%v.zip", size/1_000_000, last)
	var buf bytes.Buffer
	buf.Grow(size + 1<<20)
	zw := zip.NewWriter(&buf)
	addBootstrap := func() {
		h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
		h.SetMode(0o755)
		w, _ := zw.CreateHeader(h)
		w.Write(env.bootstrap)
	}
	if !last {
		addBootstrap()
	}
	pad := size - deflatedSize(env.bootstrap) // so the whole zip is about size bytes
	chunk := make([]byte, 1<<20)
	for i := 0; pad > 0; i++ {
		h := &zip.FileHeader{Name: fmt.Sprintf("assets/blob-%03d.bin", i), Method: zip.Store}
		h.SetMode(0o644)
		w, _ := zw.CreateHeader(h)
		n := min(pad, 8<<20)
		for written := 0; written < n; written += len(chunk) {
			rand.Read(chunk)
			w.Write(chunk[:min(len(chunk), n-written)])
		}
		pad -= n
	}
	if last {
		addBootstrap()
	}
	zw.Close()
	env.minio.Put(b, "bench", key, buf.Bytes())
	return key
}

func client(t *countingTransport) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(env.minio.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(env.minio.AccessKey, env.minio.Secret, ""),
		HTTPClient:  &http.Client{Transport: t},
	})
}

// ranged is the hook's way: byte ranges into the engine.
func ranged(b *testing.B, c *s3.Client, key string) {
	ctx := context.Background()
	r, err := s3read.Open(ctx, c, "bench", key, "", rangeread.Options{})
	if err != nil {
		b.Fatal(err)
	}
	res, err := inspect.New(inspect.Options{}).Check(ctx, inspect.Function{Target: key, Runtime: "provided.al2023",
		Architecture: result.ArchARM, Code: inspect.Source{Name: key, ReaderAt: r, Size: r.Size()}})
	if err != nil || res.Status != result.Pass {
		b.Fatalf("check: %v %+v", err, res.Findings)
	}
}

// download is the obvious way: the whole object, archive/zip, the bootstrap's ELF magic.
func download(b *testing.B, c *s3.Client, key string) {
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String(key)})
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		b.Fatal(err)
	}
	f, err := zr.Open("bootstrap")
	if err != nil {
		b.Fatal(err)
	}
	magic := make([]byte, 4)
	io.ReadFull(f, magic)
	f.Close()
	if string(magic) != "\x7fELF" {
		b.Fatal("no ELF bootstrap")
	}
}

func BenchmarkPackageRead(b *testing.B) {
	setup(b)
	for _, size := range []int{5_000_000, 50_000_000, 250_000_000} { // MB as Lambda counts them: 250 MB is under its 262,144,000-byte limit
		for _, last := range []bool{false, true} {
			key := makePackage(b, size, last)
			pos := "first"
			if last {
				pos = "last"
			}
			for _, m := range []struct {
				name string
				fn   func(*testing.B, *s3.Client, string)
			}{{"ranged", ranged}, {"download", download}} {
				b.Run(fmt.Sprintf("%dMB/bootstrap-%s/%s", size/1_000_000, pos, m.name), func(b *testing.B) {
					var peak uint64
					t := &countingTransport{}
					c := client(t)
					for b.Loop() {
						if p := peakHeap(func() { m.fn(b, c, key) }); p > peak {
							peak = p
						}
					}
					n := float64(b.N)
					b.ReportMetric(float64(t.bytes.Load())/n, "bytes-transferred/op")
					b.ReportMetric(float64(t.requests.Load())/n, "requests/op")
					b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				})
			}
		}
	}
}

// deflatedSize is how many bytes the bootstrap takes in a zip.
func deflatedSize(b []byte) int {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bootstrap")
	w.Write(b)
	zw.Close()
	return buf.Len()
}
