package native_test

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The real native files the tests use are downloaded once by `make native-cache` (mk/native.mk)
// into .cache/native/: npm platform packages (npm pack) and Debian's Python extension modules.

func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// cacheDir returns .cache/native, skipping the test when it has not been downloaded (make test
// downloads it first, and then a missing cache fails).
func cacheDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), ".cache", "native")
	if _, err := os.Stat(filepath.Join(dir, ".complete-v2")); err != nil {
		if os.Getenv("BOOTSTRAP_GUARD_REQUIRE_SERVERS") == "1" {
			t.Fatalf("native test files missing: run make native-cache (%v)", err)
		}
		t.Skipf("native test files not downloaded; run make native-cache")
	}
	return dir
}

var (
	npmMu    sync.Mutex
	npmFiles = map[string]map[string]npmFile{}
)

type npmFile struct {
	data []byte
	mode os.FileMode
}

// npmPackage returns the files of a packed npm package (.cache/native/npm/<tgz>), by their path
// inside the package.
func npmPackage(t testing.TB, tgz string) map[string]npmFile {
	t.Helper()
	npmMu.Lock()
	defer npmMu.Unlock()
	if m, ok := npmFiles[tgz]; ok {
		return m
	}
	f, err := os.Open(filepath.Join(cacheDir(t), "npm", tgz))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", tgz, err)
	}
	tr := tar.NewReader(zr)
	m := map[string]npmFile{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", tgz, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %v", tgz, err)
		}
		m[strings.TrimPrefix(h.Name, "package/")] = npmFile{b, os.FileMode(h.Mode).Perm()}
	}
	npmFiles[tgz] = m
	return m
}

// npmFileBytes returns one file of a packed npm package.
func npmFileBytes(t testing.TB, tgz, name string) []byte {
	t.Helper()
	f, ok := npmPackage(t, tgz)[name]
	if !ok {
		t.Fatalf("%s has no %s", tgz, name)
	}
	return f.data
}

// debModule returns a file of Debian's python3 dist-packages for an architecture (amd64, arm64).
func debModule(t testing.TB, arch, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cacheDir(t), "deb", "root-"+arch, "usr/lib/python3/dist-packages", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// debModules lists Debian's extension modules of an architecture, relative to dist-packages.
func debModules(t testing.TB, arch string) []string {
	t.Helper()
	root := filepath.Join(cacheDir(t), "deb", "root-"+arch, "usr/lib/python3/dist-packages")
	var out []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".so") {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
