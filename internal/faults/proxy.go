// Package faults is a fault-injecting HTTP proxy for tests: it stands between an S3 client and a
// real S3 server (MinIO) and, request by request, answers with throttling, server errors, delays,
// connection resets or truncated bodies, or runs an action (replace the object) before passing a
// request on. The client's signatures stay valid because the proxy keeps the Host header.
package faults

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Fault is what the proxy does to one request.
type Fault struct {
	Status   int           // answer with this status and an S3 error body (503 SlowDown, 500 ...)
	Delay    time.Duration // wait this long first (or until the client gives up)
	Reset    bool          // close the connection without answering
	Truncate bool          // forward, but send only half the body under the full Content-Length
	Before   func()        // run before forwarding (e.g. replace the object)
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	URL string

	mu       sync.Mutex
	plan     func(n int, r *http.Request) Fault
	requests int
	srv      *httptest.Server
}

// New starts a proxy in front of target (http://127.0.0.1:PORT). plan decides the fault for the
// n-th request (from 1); nil passes everything through.
func New(target string, plan func(n int, r *http.Request) Fault) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("faults: target %q: %w", target, err)
	}
	p := &Proxy{plan: plan}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests++
		n := p.requests
		plan := p.plan
		p.mu.Unlock()
		var f Fault
		if plan != nil {
			f = plan(n, r)
		}
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case f.Reset:
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case f.Status != 0:
			code := map[int]string{503: "SlowDown", 500: "InternalError", 429: "TooManyRequests"}[f.Status]
			if code == "" {
				code = "Fault" + strconv.Itoa(f.Status)
			}
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(f.Status)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected fault</Message></Error>`, code)
			return
		case f.Truncate:
			rp2 := *rp
			rp2.ModifyResponse = func(resp *http.Response) error {
				if resp.ContentLength > 1 {
					resp.Body = struct {
						io.Reader
						io.Closer
					}{io.LimitReader(resp.Body, resp.ContentLength/2), resp.Body}
				}
				return nil
			}
			rp2.ErrorLog = nil
			rp2.ServeHTTP(w, r)
			return
		}
		if f.Before != nil {
			f.Before()
		}
		rp.ServeHTTP(w, r)
	}))
	p.URL = p.srv.URL
	return p, nil
}

// Requests is how many requests reached the proxy.
func (p *Proxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }
