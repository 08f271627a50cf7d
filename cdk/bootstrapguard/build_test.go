package bootstrapguard

import (
	"archive/zip"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// TestHookAssetIsReproducible: two builds give the same content-addressed directory, holding only
// an executable linux/arm64 ELF named bootstrap.
func TestHookAssetIsReproducible(t *testing.T) {
	t.Setenv("BOOTSTRAP_GUARD_CACHE", t.TempDir())
	a, err := HookAsset()
	if err != nil {
		t.Fatal(err)
	}
	b, err := HookAsset()
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("two builds of the same sources gave %s and %s", a, b)
	}
	entries, err := os.ReadDir(a)
	if err != nil || len(entries) != 1 || entries[0].Name() != "bootstrap" {
		t.Fatalf("asset directory %s holds %v (%v), want bootstrap only", a, entries, err)
	}
	st, _ := os.Stat(filepath.Join(a, "bootstrap"))
	if st.Mode().Perm() != 0o755 {
		t.Errorf("bootstrap mode %v, want 0755", st.Mode().Perm())
	}
	head := make([]byte, 20)
	f, _ := os.Open(filepath.Join(a, "bootstrap"))
	f.Read(head)
	f.Close()
	// ELF magic, then e_machine (offset 18, little-endian) 183 = EM_AARCH64.
	if string(head[:4]) != "\x7fELF" || head[18] != 183 || head[19] != 0 {
		t.Errorf("bootstrap is not a linux/arm64 ELF: % x", head)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(a), "bootstrap-build-*"))
	if len(leftovers) != 0 {
		t.Errorf("build leftovers in the cache: %v", leftovers)
	}
}

// TestHookZip: the zip holds bootstrap at its root, executable, and two builds are byte-identical.
func TestHookZip(t *testing.T) {
	t.Setenv("BOOTSTRAP_GUARD_CACHE", t.TempDir())
	p1, err := HookZip()
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(p1)
	os.Remove(p1)
	p2, err := HookZip()
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := os.ReadFile(p2)
	if p1 != p2 || string(b1) != string(b2) {
		t.Fatalf("two zips of the same build differ: %s (%d bytes), %s (%d bytes)", p1, len(b1), p2, len(b2))
	}
	zr, err := zip.OpenReader(p2)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode().Perm() != 0o755 {
		t.Fatalf("zip entries: %+v", zr.File)
	}
}

// TestNoGoToolchain: without a go command the error says so and names the way out.
func TestNoGoToolchain(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("GOROOT", "")
	_, err := HookAsset()
	if !errors.Is(err, ErrNoGoToolchain) {
		t.Fatalf("err = %v, want ErrNoGoToolchain", err)
	}
	for _, want := range []string{"Go toolchain", "BootstrapGuardProps.Code", "make hook"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "Go toolchain") {
			t.Fatalf("NewBootstrapGuard without a go command: panic %v", r)
		}
	}()
	NewBootstrapGuard(awscdk.NewStack(awscdk.NewApp(nil), jsii.String("NoGo"), nil), jsii.String("Guard"), nil)
}

// TestBuildOutsideAModule: run from a directory without go.mod, the error names the fix.
func TestBuildOutsideAModule(t *testing.T) {
	t.Setenv("BOOTSTRAP_GUARD_CACHE", t.TempDir())
	t.Setenv("GOFLAGS", "")
	t.Setenv("GOWORK", "off")
	t.Chdir(t.TempDir())
	_, err := HookAsset()
	if err == nil || !strings.Contains(err.Error(), "go get github.com/bootstrap-guard/bootstrap-guard") {
		t.Fatalf("err = %v, want one naming go get", err)
	}
}
