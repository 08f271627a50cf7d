package native

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseWheel: WHEEL files are untrusted bytes from the package.
func FuzzParseWheel(f *testing.F) {
	for _, s := range []string{
		"Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\nRoot-Is-Purelib: false\nTag: cp312-cp312-manylinux_2_17_x86_64\nTag: cp312-cp312-manylinux2014_x86_64\n",
		"Wheel-Version: 1.0\nGenerator: maturin (1.5.1)\nRoot-Is-Purelib: false\nTag: cp38-abi3-musllinux_1_2_aarch64\n",
		"Wheel-Version: 1.0\r\nRoot-Is-Purelib: true\r\nTag: py2.py3-none-any\r\n",
		"Wheel-Version: 1.0\nTag: cp311-cp311-macosx_10_9_universal2\nTag: cp311-cp311-win_amd64\n",
		"Tag: a-b-c\n", "Wheel-Version:\n", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ParseWheel(b)
		if err != nil {
			return
		}
		if len(w.Tags) > maxWheelTags {
			t.Fatalf("%d tags", len(w.Tags))
		}
		for _, tag := range w.Tags {
			if tag.Python == "" || tag.ABI == "" || tag.Platform == "" {
				t.Fatalf("empty tag part in %+v", tag)
			}
			tp := ParsePlatformTag(tag.Platform)
			if tp.Libc == LibcMusl && tp.Glibc.Major != 0 {
				t.Fatalf("musllinux tag %q with a glibc version", tag.Platform)
			}
			pyTagVersion(tag.Python)
		}
	})
}

// FuzzNames: file, directory and package names are untrusted text from the zip.
func FuzzNames(f *testing.F) {
	for _, s := range []string{
		"_yaml.cpython-311-x86_64-linux-gnu.so", "_x.cpython-313t-aarch64-linux-musl.so", "_rust.abi3.so",
		"_rust.abi3-x86_64-linux-gnu.so", "_s.cpython-312-darwin.so", "_x.cp312-win_amd64.pyd", "libz-1a2b.so.1.2.13",
		"libjpeg.62.dylib", "@img/sharp-linuxmusl-x64", "@rollup/rollup-linux-arm64-gnu", "esbuild-linux-64",
		"lightningcss-linux-arm-gnueabihf", "darwin-x64+arm64", "manylinux_2_28_aarch64", "musllinux_1_1_x86_64",
		"manylinux2014_x86_64", "macosx_11_0_arm64", "win_amd64", "cp312", "py3", "x.cpython-3-x.so", "..so", "-",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := ParsePyName(s)
		if n.Kind == PyNone && (strings.HasSuffix(s, ".pyd") || strings.HasSuffix(strings.ToLower(s), ".pyd")) {
			t.Fatalf("%q: .pyd not recognised", s)
		}
		if n.Kind != PyNone && strings.Contains(n.Module, ".") {
			t.Fatalf("%q: module name %q has a dot", s, n.Module)
		}
		if n.Minor < 0 || n.Major < 0 {
			t.Fatalf("%q: negative version", s)
		}
		pyLoadRank(n, 3, 12, "x86_64-linux-gnu")
		ParseNodePlatform(s)
		nodeFilePlatform(s, s)
		looseFilePlatform(s)
		ParsePlatformTag(s)
		pyTagVersion(s)
		normDist(s)
		if p, ok := nodePackageName(s); ok && p == "" {
			t.Fatalf("%q: empty package name", s)
		}
	})
}

func nodePackageName(s string) (string, bool) {
	name, _, _, ok := nodePackage(File{Name: s})
	return name, ok
}

// FuzzAnalyzeHead: the first bytes of a native file are untrusted; whatever they hold, the result
// is a decision or "unknown", never a panic.
func FuzzAnalyzeHead(f *testing.F) {
	for _, name := range []string{"dynamic-x86_64", "static-x86_64", "object-x86_64.o"} {
		if b, err := os.ReadFile(filepath.Join("..", "elfinfo", "testdata", name)); err == nil {
			f.Add(b, int64(len(b)))
			f.Add(b[:min(len(b), 4096)], int64(len(b)))
		}
	}
	f.Add([]byte("\xcf\xfa\xed\xfe\x0c\x00\x00\x01"), int64(8))
	f.Add([]byte("MZ"), int64(2))
	f.Add([]byte{}, int64(0))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		if size < int64(len(b)) {
			size = int64(len(b))
		}
		bin := AnalyzeHead(b, size)
		if bin.GlibcKnown && bin.Glibc.Major > 9999 {
			t.Fatalf("glibc %v", bin.Glibc)
		}
		if bin.Format == FormatELF && bin.Malformed == nil && len(b) >= 20 && bin.Arch() == "" {
			t.Fatal("ELF without an architecture name")
		}
	})
}
