package guard

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// Binaries built once per test binary from testdata/hello: real go build output, so the ELF (or
// Mach-O) headers are what a user's build produces.
var (
	buildMu  sync.Mutex
	builtDir string
	built    = map[string][]byte{}
)

// goBinary builds testdata/hello for goos/goarch (static, stripped) and returns its bytes.
func goBinary(t testing.TB, goos, goarch string) []byte {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	key := goos + "-" + goarch
	if b, ok := built[key]; ok {
		return b
	}
	if builtDir == "" {
		d, err := os.MkdirTemp("", "guard-bins")
		if err != nil {
			t.Fatal(err)
		}
		builtDir = d
	}
	out := filepath.Join(builtDir, key)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./testdata/hello")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", key, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	built[key] = b
	return b
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// entry is one file of a test zip.
type entry struct {
	name string
	mode fs.FileMode
	body []byte
}

// zipOf writes a zip the way Info-ZIP on Linux does: Unix modes in the external attributes.
func zipOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, bytes.NewReader(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// forms are the two target shapes every hookapi testdata event exists in (see
// internal/hookapi/hookapi_test.go): "" is the resource type in targetType and targetName,
// "target-resource" is targetType RESOURCE with the type in targetName.
var forms = []string{"", "target-resource"}

// eventFrom reads a real-shaped event from the hookapi testdata and replaces its resource
// properties (when props is not nil) and logical ID (when not empty).
func eventFrom(t testing.TB, file, logicalID string, props map[string]any) []byte {
	return testenv.HookEvent(t, file, logicalID, props)
}

// decodeResponse checks that b is a well-formed hook response and returns it.
func decodeResponse(t testing.TB, b []byte) hookapi.Response {
	t.Helper()
	var r hookapi.Response
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("response is not a hook response: %v\n%s", err, b)
	}
	switch r.HookStatus {
	case hookapi.StatusSuccess:
		if r.ErrorCode != "" {
			t.Errorf("SUCCESS with errorCode %q", r.ErrorCode)
		}
	case hookapi.StatusFailed:
		if r.ErrorCode != hookapi.NonCompliant && r.ErrorCode != hookapi.InternalFailure {
			t.Errorf("FAILED with errorCode %q", r.ErrorCode)
		}
	default:
		t.Errorf("hookStatus %q", r.HookStatus)
	}
	if len(r.Message) > hookapi.MaxMessage {
		t.Errorf("message of %d bytes", len(r.Message))
	}
	return r
}

// annotation returns the annotation named name.
func annotation(r hookapi.Response, name string) (hookapi.Annotation, bool) {
	for _, a := range r.Annotations {
		if a.AnnotationName == name {
			return a, true
		}
	}
	return hookapi.Annotation{}, false
}
