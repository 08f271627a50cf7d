package s3read

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestFetch covers the whole-object GET of hook payloads: policy, status codes, retries, the size
// cap (declared and streamed), redirects, and that no error repeats the presigned URL.
func TestFetch(t *testing.T) {
	var flaky atomic.Int32
	body := `{"resourceProperties":{"Runtime":"provided.al2023"}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok.json":
			fmt.Fprint(w, body)
		case "/flaky.json": // two 503s, then the object: AWS's Python library retries 5xx too
			if flaky.Add(1) <= 2 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, body)
		case "/down.json":
			w.WriteHeader(http.StatusInternalServerError)
		case "/expired.json":
			w.WriteHeader(http.StatusForbidden)
		case "/gone.json":
			w.WriteHeader(http.StatusNotFound)
		case "/big.json":
			w.Header().Set("Content-Length", "2048")
			w.Write(make([]byte, 2048))
		case "/big-chunked.json": // no Content-Length: the cap holds while reading
			f := w.(http.Flusher)
			for range 4 {
				w.Write(make([]byte, 512))
				f.Flush()
			}
		case "/redirect-away":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/redirect-home":
			http.Redirect(w, r, "/ok.json", http.StatusFound)
		default:
			w.WriteHeader(http.StatusTeapot)
		}
	}))
	defer srv.Close()
	loop := URLPolicy{AllowLoopbackHTTP: true}
	const secret = "?X-Amz-Credential=AKIDEXAMPLE&X-Amz-Signature=topsecret"
	tests := []struct {
		name   string
		path   string
		policy URLPolicy
		max    int64
		want   string // body; "" when an error is wanted
		err    error  // errors.Is target; nil: any error
	}{
		{"ok", "/ok.json", loop, 1024, body, nil},
		{"release policy refuses plain http", "/ok.json", URLPolicy{}, 1024, "", ErrURL},
		{"retried 5xx", "/flaky.json", loop, 1024, body, nil},
		{"persistent 5xx", "/down.json", loop, 1024, "", nil},
		{"403", "/expired.json", loop, 1024, "", ErrAccessDenied},
		{"404", "/gone.json", loop, 1024, "", ErrNotFound},
		{"declared too large", "/big.json", loop, 1024, "", ErrTooLarge},
		{"streamed too large", "/big-chunked.json", loop, 1024, "", ErrTooLarge},
		{"exactly the cap", "/big.json", loop, 2048, strings.Repeat("\x00", 2048), nil},
		{"redirect off S3", "/redirect-away", loop, 1024, "", ErrURL},
		{"redirect within the policy", "/redirect-home", loop, 1024, body, nil},
		{"other status", "/teapot", loop, 1024, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Fetch(context.Background(), srv.Client(), srv.URL+tt.path+secret, "the payload", tt.policy, tt.max)
			if tt.want != "" {
				if err != nil || string(b) != tt.want {
					t.Fatalf("got %d bytes, %v; want %d bytes", len(b), err, len(tt.want))
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; got %d bytes", len(b))
			}
			if tt.err != nil && !errors.Is(err, tt.err) {
				t.Errorf("error %v, want %v", err, tt.err)
			}
			if strings.Contains(err.Error(), "topsecret") || strings.Contains(err.Error(), srv.URL) {
				t.Errorf("error leaks the URL: %v", err)
			}
			if !strings.Contains(err.Error(), "the payload") {
				t.Errorf("error does not name what was fetched: %v", err)
			}
		})
	}
	if n := flaky.Load(); n != 3 {
		t.Errorf("flaky object served %d times, want 3", n)
	}
}

// TestFetchDeadline: a server that never answers ends with the context, not later.
func TestFetchDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Fetch(ctx, srv.Client(), srv.URL+"/slow.json", "the payload", URLPolicy{AllowLoopbackHTTP: true}, 1024)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the deadline", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("returned after %v", took)
	}
}
