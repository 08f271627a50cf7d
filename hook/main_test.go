package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// build compiles a package the way the Makefile does and returns the binary's path.
func build(t testing.TB, dir, pkg, goos, goarch string, tags ...string) string {
	t.Helper()
	out := filepath.Join(dir, goos+"-"+goarch+"-"+filepath.Base(pkg))
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", out}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, msg)
	}
	return out
}

func zipOf(t *testing.T, name string, mode fs.FileMode, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: name, Method: zip.Deflate}
	h.SetMode(mode)
	w, err := zw.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// event makes a real-shaped create event for a function with the given properties.
func event(t *testing.T, file, logicalID string, props map[string]any) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "internal", "hookapi", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	if props == nil {
		return b
	}
	var ev map[string]any
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	rd := ev["requestData"].(map[string]any)
	rd["targetLogicalId"] = logicalID
	rd["targetModel"].(map[string]any)["resourceProperties"] = props
	out, _ := json.Marshal(ev)
	return out
}

func props(runtime, arch, key string) map[string]any {
	return map[string]any{"Runtime": runtime, "Handler": "bootstrap", "Architectures": []string{arch},
		"Code": map[string]any{"S3Bucket": "assets", "S3Key": key}}
}

// TestBootstrapUnderRIE runs the built bootstrap under the Lambda Runtime Interface Emulator, with
// MinIO as S3, and invokes it over HTTP with real-shaped hook events.
func TestBootstrapUnderRIE(t *testing.T) {
	m := testenv.StartMinIO(t)
	dir := t.TempDir()
	bootstrap := build(t, dir, ".", "linux", hostArch(), "lambda.norpc")
	hello := filepath.Join("..", "internal", "guard", "testdata", "hello")
	arm := read(t, build(t, dir, "./"+hello, "linux", "arm64"))
	mac := read(t, build(t, dir, "./"+hello, "darwin", "arm64"))
	m.Bucket(t, "assets", false)
	m.Put(t, "assets", "good.zip", zipOf(t, "bootstrap", 0o755, arm))
	m.Put(t, "assets", "nested.zip", zipOf(t, "bin/hello/bootstrap", 0o755, arm))
	m.Put(t, "assets", "noexec.zip", zipOf(t, "bootstrap", 0o644, arm))
	m.Put(t, "assets", "darwin.zip", zipOf(t, "bootstrap", 0o755, mac))

	env := append(m.Env(), "BOOTSTRAP_GUARD_DATE=2026-11-24")
	rie := testenv.StartRIE(t, bootstrap, env)

	tests := []struct {
		name       string
		event      []byte
		status     hookapi.HookStatus
		code       hookapi.ErrorCode
		annotation string // the first annotation
		inMessage  string
	}{
		{"good", event(t, "create.json", "Good", props("provided.al2023", "arm64", "good.zip")), hookapi.StatusSuccess, "", "", "Good (provided.al2023, arm64) passed"},
		{"nested", event(t, "create.json", "Nested", props("provided.al2023", "arm64", "nested.zip")), hookapi.StatusFailed, hookapi.NonCompliant, "bootstrap-nested", "zip -j function.zip bin/hello/bootstrap"},
		{"not executable", event(t, "create.json", "NoExec", props("provided.al2023", "arm64", "noexec.zip")), hookapi.StatusFailed, hookapi.NonCompliant, "bootstrap-not-executable", "NoExec"},
		{"wrong arch", event(t, "create.json", "WrongArch", props("provided.al2023", "x86_64", "good.zip")), hookapi.StatusFailed, hookapi.NonCompliant, "bootstrap-arch-mismatch", "WrongArch"},
		{"not linux", event(t, "create.json", "Mac", props("provided.al2023", "arm64", "darwin.zip")), hookapi.StatusFailed, hookapi.NonCompliant, "bootstrap-not-linux", "Mac"},
		{"go1.x", event(t, "create.json", "Legacy", props("go1.x", "x86_64", "good.zip")), hookapi.StatusFailed, hookapi.NonCompliant, "", "provided.al2023"},
		{"unreadable", event(t, "create.json", "Gone", props("provided.al2023", "arm64", "gone.zip")), hookapi.StatusFailed, hookapi.InternalFailure, "", "s3:GetObject"},
		{"delete", event(t, "delete.json", "", nil), hookapi.StatusSuccess, "", "", "not evaluated"},
		{"exempt", event(t, "exempt.json", "", nil), hookapi.StatusSuccess, "", "exempt", "CHG-1234"},
		{"not JSON", []byte("{\"clientRequestToken\": \"x\", "), hookapi.StatusFailed, hookapi.InternalFailure, "", "could not read the hook request"},
		{"empty object", []byte("{}"), hookapi.StatusFailed, hookapi.InternalFailure, "", "could not read the hook request"},
		{"malformed properties", event(t, "malformed-code.json", "", nil), hookapi.StatusFailed, hookapi.InternalFailure, "", "BrokenFunction"},
		// The runtime keeps serving after malformed events.
		{"good again", event(t, "create.json", "Good", props("provided.al2023", "arm64", "good.zip")), hookapi.StatusSuccess, "", "", "passed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := rie.Invoke(t, tt.event)
			var r hookapi.Response
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&r); err != nil {
				t.Fatalf("not a hook response: %v\n%s\n%s", err, body, rie.Output())
			}
			if r.HookStatus != tt.status || r.ErrorCode != tt.code {
				t.Fatalf("status, code = %s, %q; want %s, %q\n%s", r.HookStatus, r.ErrorCode, tt.status, tt.code, r.Message)
			}
			if want := hookapi.ClientToken(tt.event); r.ClientRequestToken != want {
				t.Errorf("token %q, want %q", r.ClientRequestToken, want)
			}
			if !strings.Contains(r.Message, tt.inMessage) {
				t.Errorf("message lacks %q:\n%s", tt.inMessage, r.Message)
			}
			if tt.annotation != "" && (len(r.Annotations) == 0 || r.Annotations[0].AnnotationName != tt.annotation) {
				t.Errorf("annotations %+v, want %s first", r.Annotations, tt.annotation)
			}
			for _, a := range r.Annotations {
				if a.AnnotationName == "" || a.Status == "" || a.SeverityLevel == "" {
					t.Errorf("incomplete annotation %+v", a)
				}
			}
		})
	}
	// Decision logs are checked in internal/guard; init time in BenchmarkColdStart.
}

// BenchmarkColdStart measures the bootstrap's init: from exec to its first call of the runtime
// API's Next, served here by a listener that records when the call arrives. `make bench` prints
// it; the target is under 50 ms.
func BenchmarkColdStart(b *testing.B) {
	bootstrap := build(b, b.TempDir(), ".", "linux", hostArch(), "lambda.norpc")
	var times []time.Duration
	for b.Loop() {
		first := make(chan time.Time, 1)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/2018-06-01/runtime/invocation/next" {
				select {
				case first <- time.Now():
				default:
				}
			}
			<-r.Context().Done() // hold the call: no event is ever delivered
		}))
		cmd := exec.Command(bootstrap)
		cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(srv.URL, "http://"), "AWS_REGION=us-east-1",
			"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret")
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-first:
			times = append(times, at.Sub(start))
		case <-time.After(10 * time.Second):
			b.Error("no Next call within 10s")
		}
		cmd.Process.Kill()
		cmd.Wait()
		srv.CloseClientConnections()
		srv.Close()
	}
	if len(times) == 0 {
		return
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[0].Microseconds())/1000, "min-init-ms")
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-init-ms")
	b.ReportMetric(float64(times[len(times)-1].Microseconds())/1000, "max-init-ms")
}

// TestBadConfigFailsInit: a bad setting stops the bootstrap at init with the variable's name.
func TestBadConfigFailsInit(t *testing.T) {
	bootstrap := build(t, t.TempDir(), ".", "linux", hostArch(), "lambda.norpc")
	cmd := exec.Command(bootstrap)
	cmd.Env = append(os.Environ(), "BOOTSTRAP_GUARD_FAIL_MODE=sometimes", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "BOOTSTRAP_GUARD_FAIL_MODE") {
		t.Errorf("err = %v, output %q; want a failure naming BOOTSTRAP_GUARD_FAIL_MODE", err, out)
	}
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
