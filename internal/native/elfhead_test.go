package native_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/native"
)

// TestAnalyzeHeadRealFiles reads real extension modules and addons from their first 64 KiB and
// compares with what binutils' objdump says about the whole file.
func TestAnalyzeHeadRealFiles(t *testing.T) {
	type want struct {
		arch, libc, glibc string // glibc "" = none needed
	}
	cases := map[string]struct {
		data []byte
		want want
	}{}
	for _, arch := range []string{"amd64", "arm64"} {
		for _, rel := range debModules(t, arch) {
			cases["deb-"+arch+"/"+rel] = struct {
				data []byte
				want want
			}{debModule(t, arch, rel), want{map[string]string{"amd64": "x86_64", "arm64": "arm64"}[arch], native.LibcGNU, "?"}}
		}
	}
	npm := []struct{ tgz, file, arch, libc, glibc string }{
		{"img-sharp-linux-x64-0.34.5.tgz", "lib/sharp-linux-x64.node", "x86_64", native.LibcGNU, "?"},
		{"img-sharp-linux-arm64-0.34.5.tgz", "lib/sharp-linux-arm64.node", "arm64", native.LibcGNU, "?"},
		{"img-sharp-linuxmusl-x64-0.34.5.tgz", "lib/sharp-linuxmusl-x64.node", "x86_64", native.LibcMusl, ""},
		{"rollup-rollup-linux-x64-musl-4.53.3.tgz", "rollup.linux-x64-musl.node", "x86_64", native.LibcMusl, ""},
		{"rollup-rollup-linux-x64-gnu-4.53.3.tgz", "rollup.linux-x64-gnu.node", "x86_64", native.LibcGNU, "?"},
		{"rollup-rollup-linux-arm64-gnu-4.53.3.tgz", "rollup.linux-arm64-gnu.node", "arm64", native.LibcGNU, "?"},
	}
	for _, n := range npm {
		cases["npm/"+n.file] = struct {
			data []byte
			want want
		}{npmFileBytes(t, n.tgz, n.file), want{n.arch, n.libc, n.glibc}}
	}
	objdump, _ := exec.LookPath("objdump")
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			head := tc.data[:min(len(tc.data), native.HeadSize)]
			b := native.AnalyzeHead(head, int64(len(tc.data)))
			if b.Format != native.FormatELF || b.Malformed != nil {
				t.Fatalf("format %v malformed %v", b.Format, b.Malformed)
			}
			if b.Arch() != tc.want.arch {
				t.Errorf("arch %q, want %q", b.Arch(), tc.want.arch)
			}
			if b.Libc != tc.want.libc {
				t.Errorf("libc %q (%s), want %q", b.Libc, b.LibcEvidence, tc.want.libc)
			}
			if tc.want.libc == native.LibcMusl {
				return
			}
			if !b.GlibcKnown {
				t.Fatalf("glibc needs not found in the first %d bytes", len(head))
			}
			if objdump == "" {
				t.Skip("objdump not installed: cannot cross-check the version")
			}
			if got, want := b.Glibc.String(), objdumpGlibc(t, objdump, tc.data); got != want {
				t.Errorf("GLIBC_%s, objdump says GLIBC_%s", got, want)
			}
		})
	}
}

// objdumpGlibc is the newest GLIBC_x.y in objdump -p's version references.
func objdumpGlibc(t *testing.T, objdump string, data []byte) string {
	t.Helper()
	f := t.TempDir() + "/x.so"
	if err := writeFile(f, data); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(objdump, "-p", f).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	best := ""
	inRefs := false
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Version References:") {
			inRefs = true
			continue
		}
		if !inRefs {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "GLIBC_"); ok && versionLess(best, v) {
				best = v
			}
		}
	}
	return best
}
