package s3read

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bootstrap-guard/bootstrap-guard/internal/rangeread"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// countingClient counts GetObject calls through the real SDK client.
type countingClient struct {
	*s3.Client
	calls int
}

func (c *countingClient) GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	c.calls++
	return c.Client.GetObject(ctx, in, opts...)
}

func TestMinIO(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "plain", false)
	m.Bucket(t, "versioned", true)
	obj := randomBytes(1 << 20)
	m.Put(t, "plain", "pkg.zip", obj)
	v1 := m.Put(t, "versioned", "pkg.zip", obj)
	if v1 == "" {
		t.Fatal("versioned bucket returned no version ID")
	}
	ctx := context.Background()

	t.Run("reads match the object with few requests", func(t *testing.T) {
		for _, bucket := range []string{"plain", "versioned"} {
			c := &countingClient{Client: m.Client()}
			r, err := Open(ctx, c, bucket, "pkg.zip", "", rangeread.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Size() != int64(len(obj)) {
				t.Fatalf("size %d, want %d", r.Size(), len(obj))
			}
			for _, off := range []int64{int64(len(obj)) - 100, 0, 10, 500 << 10, 100 << 10} {
				p := make([]byte, 64)
				if _, err := r.ReadAt(p, off); err != nil && err != io.EOF {
					t.Fatal(err)
				}
				if !bytes.Equal(p, obj[off:off+64]) {
					t.Fatalf("%s: bytes at %d differ", bucket, off)
				}
			}
			st := r.Stats()
			if st.Requests != c.calls || st.Requests != 3 {
				t.Errorf("%s: %d requests (SDK calls %d), want 3: tail, block at 0, block at 500 KiB", bucket, st.Requests, c.calls)
			}
		}
	})

	t.Run("missing key", func(t *testing.T) {
		_, err := Open(ctx, m.Client(), "plain", "nope.zip", "", rangeread.Options{})
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	})

	t.Run("access denied", func(t *testing.T) {
		_, err := Open(ctx, m.ClientAs(m.AccessKey, "wrong-secret"), "plain", "pkg.zip", "", rangeread.Options{})
		if !errors.Is(err, ErrAccessDenied) {
			t.Fatalf("got %v, want ErrAccessDenied", err)
		}
	})

	t.Run("object replaced mid-read, unversioned", func(t *testing.T) {
		m.Put(t, "plain", "moving.zip", obj)
		r, err := Open(ctx, m.Client(), "plain", "moving.zip", "", rangeread.Options{})
		if err != nil {
			t.Fatal(err)
		}
		m.Put(t, "plain", "moving.zip", randomBytes(len(obj)))
		_, err = r.ReadAt(make([]byte, 10), 0)
		if !errors.Is(err, ErrChanged) {
			t.Fatalf("got %v, want ErrChanged", err)
		}
	})

	t.Run("object replaced mid-read, versioned: keeps reading the pinned version", func(t *testing.T) {
		r, err := Open(ctx, m.Client(), "versioned", "pkg.zip", "", rangeread.Options{})
		if err != nil {
			t.Fatal(err)
		}
		m.Put(t, "versioned", "pkg.zip", randomBytes(len(obj)))
		p := make([]byte, 100)
		if _, err := r.ReadAt(p, 0); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p, obj[:100]) {
			t.Fatal("read bytes of the new version")
		}
	})

	t.Run("explicit version", func(t *testing.T) {
		r, err := Open(ctx, m.Client(), "versioned", "pkg.zip", v1, rangeread.Options{})
		if err != nil {
			t.Fatal(err)
		}
		p := make([]byte, 100)
		r.ReadAt(p, 0)
		if !bytes.Equal(p, obj[:100]) {
			t.Fatal("explicit version: wrong bytes")
		}
	})

	t.Run("small and empty objects", func(t *testing.T) {
		m.Put(t, "plain", "small", []byte("tiny"))
		r, err := Open(ctx, m.Client(), "plain", "small", "", rangeread.Options{})
		if err != nil || r.Size() != 4 {
			t.Fatalf("small: %v size %d", err, r.Size())
		}
		m.Put(t, "plain", "empty", nil)
		r, err = Open(ctx, m.Client(), "plain", "empty", "", rangeread.Options{})
		if err != nil || r.Size() != 0 {
			t.Fatalf("empty: %v", err)
		}
	})
}

func TestURLPolicy(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://awslambda-us-east-1-layers.s3.us-east-1.amazonaws.com/snapshots/123/layer-abc?X-Amz-Signature=x", true},
		{"https://prod-04-2014-layers.s3.amazonaws.com/snapshots/x", true},
		{"https://s3.eu-west-1.amazonaws.com/bucket/key", true},
		{"https://bucket.s3.dualstack.us-west-2.amazonaws.com/key", true},
		{"https://bucket.s3.cn-north-1.amazonaws.com.cn/key", true},
		{"http://bucket.s3.amazonaws.com/key", false},
		{"https://169.254.169.254/latest/meta-data/", false},
		{"https://evil.example.com/s3.amazonaws.com", false},
		{"https://s3.amazonaws.com.evil.example/key", false},
		{"https://bucket.s3.amazonaws.com:8443/key", false},
		{"https://user:pw@bucket.s3.amazonaws.com/key", false},
		{"https://lambda.us-east-1.amazonaws.com/", false},
		{"file:///etc/passwd", false},
		{"http://127.0.0.1:9000/x", false},
	}
	for _, tc := range tests {
		_, err := URLPolicy{}.Check(tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err=%v, want ok=%v", tc.url, err, tc.ok)
		}
	}
	if _, err := (URLPolicy{AllowLoopbackHTTP: true}).Check("http://127.0.0.1:9000/x"); err != nil {
		t.Errorf("loopback allowed for tests: %v", err)
	}
}

func TestOpenURL(t *testing.T) {
	obj := randomBytes(300 << 10)
	etag := `"v1"`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := r.Header.Get("If-Match"); m != "" && m != etag {
			w.WriteHeader(http.StatusPreconditionFailed)
			return
		}
		w.Header().Set("ETag", etag)
		http.ServeContent(w, r, "layer.zip", time.Time{}, bytes.NewReader(obj))
	}))
	defer srv.Close()
	ctx := context.Background()
	if _, err := OpenURL(ctx, srv.Client(), srv.URL+"/layer.zip", "arn:layer", URLPolicy{}, rangeread.Options{}); !errors.Is(err, ErrURL) {
		t.Fatalf("plain http without the test policy: got %v, want ErrURL", err)
	}
	r, err := OpenURL(ctx, srv.Client(), srv.URL+"/layer.zip?X-Amz-Signature=secret", "arn:layer", URLPolicy{AllowLoopbackHTTP: true}, rangeread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 50)
	r.ReadAt(p, 1000)
	if !bytes.Equal(p, obj[1000:1050]) || r.Size() != int64(len(obj)) {
		t.Fatal("wrong bytes or size")
	}
	etag = `"v2"`
	_, err = r.ReadAt(p, 200<<10)
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("got %v, want ErrChanged", err)
	}
	if bytes.Contains([]byte(err.Error()), []byte("secret")) {
		t.Errorf("error leaks the presigned URL: %v", err)
	}
}
