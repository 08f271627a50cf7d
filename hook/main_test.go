package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

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

// event makes a real-shaped event for a function with the given properties.
func event(t *testing.T, file, logicalID string, props map[string]any) []byte {
	return testenv.HookEvent(t, file, logicalID, props)
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
	m.Put(t, "assets", "good.zip", testenv.Zip(t, 0o755, map[string][]byte{"bootstrap": arm}))
	m.Put(t, "assets", "nested.zip", testenv.Zip(t, 0o755, map[string][]byte{"bin/hello/bootstrap": arm}))
	m.Put(t, "assets", "noexec.zip", testenv.Zip(t, 0o644, map[string][]byte{"bootstrap": arm}))
	m.Put(t, "assets", "darwin.zip", testenv.Zip(t, 0o755, map[string][]byte{"bootstrap": mac}))

	env := append(m.Env(), "BOOTSTRAP_GUARD_DATE=2026-11-24")
	rie := testenv.StartRIE(t, bootstrap, env)

	// Every event in both target forms: "" has the resource type in targetType and targetName
	// (the Lambda hooks user guide), "target-resource" has targetType RESOURCE (the API
	// reference's HookTarget and AWS's hook tooling). The verdicts must not differ.
	for _, form := range []string{"", "target-resource"} {
		f := func(file string) string { return filepath.Join(form, file) }
		tests := []struct {
			name       string
			event      []byte
			status     hookapi.HookStatus
			code       hookapi.ErrorCode
			annotation string // the first annotation
			inMessage  string
		}{
			{"good", event(t, f("create.json"), "Good", props("provided.al2023", "arm64", "good.zip")), hookapi.StatusSuccess, "", "", "Good (provided.al2023, arm64) passed"},
			{"nested", event(t, f("create.json"), "Nested", props("provided.al2023", "arm64", "nested.zip")), hookapi.StatusFailed, hookapi.NonCompliant, "bootstrap-nested", "zip -j function.zip bin/hello/bootstrap"},
			{"not executable", event(t, f("create.json"), "NoExec", props("provided.al2023", "arm64", "noexec.zip")), hookapi.StatusFailed, hookapi.NonCompliant, "bootstrap-not-executable", "NoExec"},
			{"wrong arch", event(t, f("create.json"), "WrongArch", props("provided.al2023", "x86_64", "good.zip")), hookapi.StatusFailed, hookapi.NonCompliant, "bootstrap-arch-mismatch", "WrongArch"},
			{"not linux", event(t, f("create.json"), "Mac", props("provided.al2023", "arm64", "darwin.zip")), hookapi.StatusFailed, hookapi.NonCompliant, "bootstrap-not-linux", "Mac"},
			{"go1.x", event(t, f("create.json"), "Legacy", props("go1.x", "x86_64", "good.zip")), hookapi.StatusFailed, hookapi.NonCompliant, "", "provided.al2023"},
			{"unreadable", event(t, f("create.json"), "Gone", props("provided.al2023", "arm64", "gone.zip")), hookapi.StatusFailed, hookapi.InternalFailure, "package-read-error", "s3://assets/gone.zip (not found)"},
			{"delete", event(t, f("delete.json"), "", nil), hookapi.StatusSuccess, "", "", "not evaluated"},
			// Image events: TestImageUnderRIE (they need a registry and an ECR endpoint).
			{"exempt", event(t, f("exempt.json"), "", nil), hookapi.StatusSuccess, "", "exempt", "CHG-1234"},
			// Per-rule exemptions: exempting the failing rule passes (the finding is reported as
			// exempted); exempting another rule leaves the failure.
			{"nested, bootstrap-nested exempted", event(t, f("create.json"), "Vendor", tagged(props("provided.al2023", "arm64", "nested.zip"), "bootstrap-nested: vendor ships bin/hello")),
				hookapi.StatusSuccess, "", "", "Exempted [bootstrap-nested]"},
			{"nested, another rule exempted", event(t, f("create.json"), "Vendor", tagged(props("provided.al2023", "arm64", "nested.zip"), "bootstrap-glibc: vendor blob")),
				hookapi.StatusFailed, hookapi.NonCompliant, "bootstrap-nested", "zip -j function.zip bin/hello/bootstrap"},
			// A runtime newer than the catalogue passes with a warning; a typo still fails.
			{"future runtime", event(t, f("inline.json"), "Node26", inlineNode("nodejs26.x")), hookapi.StatusSuccess, "", "runtime-newer-than-catalogue", "Warning [runtime-newer-than-catalogue]: Runtime nodejs26.x is not in Bootstrap Guard's runtime catalogue (retrieved 2026-12-06"},
			{"runtime typo", event(t, f("inline.json"), "Node26", inlineNode("nodejs26")), hookapi.StatusFailed, hookapi.NonCompliant, "runtime-unknown", "nodejs24.x"},
			{"not JSON", []byte("{\"clientRequestToken\": \"x\", "), hookapi.StatusFailed, hookapi.InternalFailure, "", "could not read the hook request"},
			{"empty object", []byte("{}"), hookapi.StatusFailed, hookapi.InternalFailure, "", "could not read the hook request"},
			{"malformed properties", event(t, f("malformed-code.json"), "", nil), hookapi.StatusFailed, hookapi.InternalFailure, "", "BrokenFunction"},
			// The runtime keeps serving after malformed events.
			{"good again", event(t, f("create.json"), "Good", props("provided.al2023", "arm64", "good.zip")), hookapi.StatusSuccess, "", "", "passed"},
		}
		for _, tt := range tests {
			t.Run(filepath.Join(form, tt.name), func(t *testing.T) {
				body := rie.Invoke(t, tt.event)
				r := checkAnswer(t, rie, body, tt.status, tt.code, tt.annotation, tt.inMessage)
				if want := hookapi.ClientToken(tt.event); r.ClientRequestToken != want {
					t.Errorf("token %q, want %q", r.ClientRequestToken, want)
				}
				for _, a := range r.Annotations {
					if a.AnnotationName == "" || a.Status == "" || a.SeverityLevel == "" {
						t.Errorf("incomplete annotation %+v", a)
					}
					if tt.name == "nested, bootstrap-nested exempted" && a.AnnotationName == "bootstrap-nested" && (a.Status != hookapi.AnnotationSkipped || !strings.Contains(a.StatusMessage, "vendor ships bin/hello")) {
						t.Errorf("exempted finding: %+v, want SKIPPED with the reason", a)
					}
				}
			})
		}
	}
	// Decision logs are checked in internal/guard; init time in BenchmarkColdStart.
}

// tagged adds the exemption tag to function properties.
func tagged(p map[string]any, value string) map[string]any {
	p["Tags"] = []map[string]any{{"Key": "bootstrap-guard:exempt", "Value": value}}
	return p
}

// inlineNode is an inline nodejs function: its checks need no package reads.
func inlineNode(runtime string) map[string]any {
	return map[string]any{"Runtime": runtime, "Handler": "index.handler", "Code": map[string]any{"ZipFile": "exports.handler = async () => 1;"}}
}

// catalogueAnnotation returns the runtime-catalogue annotation of a response.
func catalogueAnnotation(r hookapi.Response) (hookapi.Annotation, bool) {
	for _, a := range r.Annotations {
		if a.AnnotationName == "runtime-catalogue" {
			return a, true
		}
	}
	return hookapi.Annotation{}, false
}

// TestCatalogueUnderRIE: the built bootstrap, configured with BOOTSTRAP_GUARD_RUNTIMES, reads its
// runtime catalogue from SSM (an httptest server speaking SSM's JSON 1.1 protocol; SSM has no
// local server) or S3 (MinIO), picks up a new one after its TTL, and falls back to the built-in
// catalogue when the configured one is invalid.
func TestCatalogueUnderRIE(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "platform", false)
	srv := testenv.StartSSM(t)
	old := `{"source":"test","retrieved":"2026-12-01","runtimes":[{"name":"nodejs24.x","family":"nodejs","os":"al2023","glibc":"2.34","deprecated":"2028-04-30"}]}`
	newer := `{"source":"test","retrieved":"2027-06-01","runtimes":[{"name":"nodejs26.x","family":"nodejs","os":"al2023","glibc":"2.34","deprecated":"2029-04-30"},{"name":"nodejs24.x","family":"nodejs","os":"al2023","glibc":"2.34","deprecated":"2028-04-30","successor":"nodejs26.x"}]}`
	bootstrap := build(t, t.TempDir(), ".", "linux", hostArch(), "lambda.norpc")
	for _, src := range []string{"ssm", "s3"} {
		t.Run(src, func(t *testing.T) {
			var where string
			put := func(body string) {
				if src == "ssm" {
					srv.Put("/guard/runtimes", body)
				} else {
					m.Put(t, "platform", "guard/runtimes.json", []byte(body))
				}
			}
			if src == "ssm" {
				where = "ssm:/guard/runtimes"
			} else {
				where = "s3://platform/guard/runtimes.json"
			}
			put(old)
			env := append(append(m.Env(), srv.Env()...), "BOOTSTRAP_GUARD_DATE=2026-11-24", "BOOTSTRAP_GUARD_RUNTIMES="+where, "BOOTSTRAP_GUARD_RUNTIMES_TTL=2s")
			rie := testenv.StartRIE(t, bootstrap, env)
			invoke := func(runtime string) hookapi.Response {
				t.Helper()
				var r hookapi.Response
				body := rie.Invoke(t, event(t, "inline.json", "Node26", inlineNode(runtime)))
				if err := json.Unmarshal(body, &r); err != nil {
					t.Fatalf("%v\n%s\n%s", err, body, rie.Output())
				}
				return r
			}
			warned := func(r hookapi.Response) bool {
				for _, a := range r.Annotations {
					if a.AnnotationName == "runtime-newer-than-catalogue" && a.Status == hookapi.AnnotationFailed {
						return true
					}
				}
				return false
			}
			r := invoke("nodejs26.x")
			a, _ := catalogueAnnotation(r)
			if r.HookStatus != hookapi.StatusSuccess || !warned(r) || a.Status != hookapi.AnnotationPassed || !strings.Contains(a.StatusMessage, "retrieved 2026-12-01") {
				t.Fatalf("old catalogue: %s warned=%v %+v\n%s", r.HookStatus, warned(r), a, rie.Output())
			}
			put(newer)
			time.Sleep(2100 * time.Millisecond)
			r = invoke("nodejs26.x")
			a, _ = catalogueAnnotation(r)
			if r.HookStatus != hookapi.StatusSuccess || warned(r) || !strings.Contains(a.StatusMessage, "retrieved 2027-06-01") {
				t.Errorf("after the TTL: %s warned=%v %+v", r.HookStatus, warned(r), a)
			}
			if r := invoke("nodejs26"); r.HookStatus != hookapi.StatusFailed {
				t.Errorf("typo with the new catalogue: %s", r.HookStatus)
			}
			put(`{"source":"test","retrieved":"2027-07-01","runtimes":[]}`)
			time.Sleep(2100 * time.Millisecond)
			r = invoke("nodejs26.x")
			a, _ = catalogueAnnotation(r)
			if r.HookStatus != hookapi.StatusSuccess || !warned(r) || a.Status != hookapi.AnnotationFailed || !strings.Contains(a.StatusMessage, "built-in catalogue, retrieved 2026-12-06") || !strings.Contains(r.Message, "could not be used") {
				t.Errorf("fallback: %s warned=%v %+v\n%s", r.HookStatus, warned(r), a, r.Message)
			}
			// The function's log reaches the RIE's output through a pipe after the answer, so the
			// line is awaited, not read at once.
			if !logged(rie, "runtime catalogue unusable; using the built-in one", 10*time.Second) {
				t.Errorf("fallback not logged:\n%s", rie.Output())
			}
		})
	}
}

// logged waits up to d for s to appear in the RIE's output (the function's stdout and stderr).
func logged(rie *testenv.RIE, s string, d time.Duration) bool {
	for end := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if strings.Contains(rie.Output(), s) {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
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

// TestPayloadUnderRIE: a function whose properties reach the built bootstrap only through
// requestData.payload (a presigned MinIO URL) is checked from the fetched model. The bootstrap
// built with the bootstrapguard_testurls tag may fetch from MinIO on 127.0.0.1; the release build
// refuses the same URL (not HTTPS on an AWS S3 host) and, fail-closed, answers FAILED.
func TestPayloadUnderRIE(t *testing.T) {
	m := testenv.StartMinIO(t)
	dir := t.TempDir()
	testBuild := build(t, dir, ".", "linux", hostArch(), "lambda.norpc", "bootstrapguard_testurls")
	release := build(t, filepath.Join(dir, "release"), ".", "linux", hostArch(), "lambda.norpc")
	hello := filepath.Join("..", "internal", "guard", "testdata", "hello")
	arm := read(t, build(t, dir, "./"+hello, "linux", "arm64"))
	m.Bucket(t, "assets", false)
	m.Bucket(t, "payloads", false)
	m.Put(t, "assets", "good.zip", testenv.Zip(t, 0o755, map[string][]byte{"bootstrap": arm}))
	m.Put(t, "assets", "nested.zip", testenv.Zip(t, 0o755, map[string][]byte{"bin/hello/bootstrap": arm}))
	for _, key := range []string{"good", "nested"} {
		b, _ := json.Marshal(map[string]any{"resourceProperties": props("provided.al2023", "arm64", key+".zip")})
		m.Put(t, "payloads", key+".json", b)
	}
	url := func(key string) string {
		req, err := s3.NewPresignClient(m.Client()).PresignGetObject(context.Background(),
			&s3.GetObjectInput{Bucket: aws.String("payloads"), Key: aws.String(key)}, s3.WithPresignExpires(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		return req.URL
	}
	env := append(m.Env(), "BOOTSTRAP_GUARD_DATE=2026-11-24")
	type payloadCase struct {
		name       string
		key        string
		status     hookapi.HookStatus
		code       hookapi.ErrorCode
		annotation string
		inMessage  string
	}
	// The emulator's runtime API listens on a fixed port, so the two builds run one after the
	// other, each under its own emulator.
	for _, b := range []struct {
		name      string
		bootstrap string
		cases     []payloadCase
	}{
		{"test build", testBuild, []payloadCase{
			{"nested", "nested.json", hookapi.StatusFailed, hookapi.NonCompliant, "bootstrap-nested", "zip -j function.zip bin/hello/bootstrap"},
			{"good", "good.json", hookapi.StatusSuccess, "", "", "passed"},
			{"missing", "gone.json", hookapi.StatusFailed, hookapi.InternalFailure, "", "could not obtain the function's properties"},
		}},
		{"release build", release, []payloadCase{
			{"refuses http", "good.json", hookapi.StatusFailed, hookapi.InternalFailure, "", "not HTTPS on an AWS S3 host"},
		}},
	} {
		t.Run(b.name, func(t *testing.T) {
			rie := testenv.StartRIE(t, b.bootstrap, env)
			for _, form := range []string{"", "target-resource"} {
				for _, tt := range b.cases {
					t.Run(filepath.Join(form, tt.name), func(t *testing.T) {
						ev := event(t, filepath.Join(form, "create.json"), "FromPayload", nil)
						var doc map[string]any
						json.Unmarshal(ev, &doc)
						rd := doc["requestData"].(map[string]any)
						delete(rd, "targetModel")
						rd["payload"] = url(tt.key)
						ev, _ = json.Marshal(doc)
						body := rie.Invoke(t, ev)
						checkAnswer(t, rie, body, tt.status, tt.code, tt.annotation, tt.inMessage)
						if strings.Contains(string(body), "X-Amz-Signature") || strings.Contains(rie.Output(), "X-Amz-Signature") {
							t.Error("the presigned URL reached the answer or the logs")
						}
					})
				}
			}
		})
	}
}

// checkAnswer decodes an answer of the built hook strictly (no field outside the protocol) and
// checks its status and error code, a text its message must hold, and its first annotation ("":
// any).
func checkAnswer(t *testing.T, rie *testenv.RIE, body []byte, status hookapi.HookStatus, code hookapi.ErrorCode, annotation, inMessage string) hookapi.Response {
	t.Helper()
	var r hookapi.Response
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("not a hook response: %v\n%s\n%s", err, body, rie.Output())
	}
	if r.HookStatus != status || r.ErrorCode != code {
		t.Fatalf("status, code = %s, %q; want %s, %q\n%s", r.HookStatus, r.ErrorCode, status, code, r.Message)
	}
	if !strings.Contains(r.Message, inMessage) {
		t.Errorf("message lacks %q:\n%s", inMessage, r.Message)
	}
	if annotation != "" && (len(r.Annotations) == 0 || r.Annotations[0].AnnotationName != annotation) {
		t.Errorf("annotations %+v, want %s first", r.Annotations, annotation)
	}
	return r
}
