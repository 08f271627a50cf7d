package inspect

import (
	"bytes"
	"context"
	"crypto/rand"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// TestRules shows every package rule firing on a package made the way the mistake is made in the
// field, and staying quiet on the corrected package.
func TestRules(t *testing.T) {
	amd := goBinary(t, "linux-amd64")
	arm := goBinary(t, "linux-arm64")
	cgo := goBinary(t, "cgo-amd64")
	exe := fs.FileMode(0o755)
	tests := []struct {
		name     string
		fn       Function
		code     []byte
		layers   [][]byte
		want     result.RuleID // "" means the result must PASS with no errors
		wantPath string
	}{
		{name: "good arm64 bootstrap", fn: Function{Runtime: "provided.al2023", Architecture: "arm64"},
			code: mkzip(t, entry{name: "bootstrap", data: arm, mode: exe})},
		{name: "good x86 bootstrap, default architecture", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: amd, mode: exe})},
		{name: "bootstrap-missing: empty package", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "README.md", data: []byte("hi"), mode: 0o644}), want: result.BootstrapMissing},
		{name: "bootstrap-missing quiet: bootstrap in a layer", fn: Function{Runtime: "provided.al2023"},
			code:   mkzip(t, entry{name: "handler.sh", data: []byte("#!/bin/sh\necho\n"), mode: exe}),
			layers: [][]byte{mkzip(t, entry{name: "bootstrap", data: amd, mode: exe})}},
		{name: "bootstrap-nested: zip bin/hello/bootstrap", fn: Function{Runtime: "provided.al2023", Architecture: "arm64"},
			code: mkzip(t, entry{name: "bin/", mode: fs.ModeDir | 0o755}, entry{name: "bin/hello/bootstrap", data: arm, mode: exe}),
			want: result.BootstrapNested, wantPath: "bin/hello/bootstrap"},
		{name: "bootstrap-nested: backslash name", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: `bin\bootstrap`, data: amd, msdos: true}), want: result.BootstrapNested, wantPath: `bin\bootstrap`},
		{name: "bootstrap-not-executable: mode 0644", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: amd, mode: 0o644}), want: result.BootstrapNotExecutable, wantPath: "bootstrap"},
		{name: "bootstrap-not-executable: owner-only 0700", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: amd, mode: 0o700}), want: result.BootstrapNotExecutable},
		{name: "bootstrap-not-executable: MS-DOS creator", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: amd, msdos: true}), want: result.BootstrapNotExecutable},
		{name: "bootstrap-not-executable: directory", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap/", mode: fs.ModeDir | 0o755}, entry{name: "bootstrap/x", data: []byte("x"), mode: 0o644}), want: result.BootstrapNotExecutable},
		{name: "bootstrap-not-linux: macOS", fn: Function{Runtime: "provided.al2023", Architecture: "arm64"},
			code: mkzip(t, entry{name: "bootstrap", data: goBinary(t, "darwin-arm64"), mode: exe}), want: result.BootstrapNotLinux},
		{name: "bootstrap-not-linux: Windows", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: goBinary(t, "windows-amd64"), mode: exe}), want: result.BootstrapNotLinux},
		{name: "bootstrap-not-linux: FreeBSD ELF", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: goBinary(t, "freebsd-amd64"), mode: exe}), want: result.BootstrapNotLinux},
		{name: "bootstrap-not-linux: Go archive of a non-main package", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: goBinary(t, "lib-archive"), mode: exe}), want: result.BootstrapNotLinux},
		{name: "bootstrap-not-linux: empty", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: nil, mode: exe}), want: result.BootstrapNotLinux},
		{name: "bootstrap-not-linux: truncated ELF", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: amd[:100], mode: exe}), want: result.BootstrapNotLinux},
		{name: "bootstrap-arch-mismatch: amd64 on arm64", fn: Function{Runtime: "provided.al2023", Architecture: "arm64"},
			code: mkzip(t, entry{name: "bootstrap", data: amd, mode: exe}), want: result.BootstrapArchMismatch},
		{name: "bootstrap-arch-mismatch: arm64 on default x86_64", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: arm, mode: exe}), want: result.BootstrapArchMismatch},
		{name: "bootstrap-arch-mismatch: 32-bit", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: goBinary(t, "linux-386"), mode: exe}), want: result.BootstrapArchMismatch},
		{name: "bootstrap-glibc: cgo binary on provided.al2", fn: Function{Runtime: "provided.al2"},
			code: mkzip(t, entry{name: "bootstrap", data: cgo, mode: exe}), want: result.BootstrapGlibc},
		{name: "bootstrap-glibc quiet: cgo binary on provided.al2023", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: cgo, mode: exe})},
		{name: "bootstrap-interpreter: musl loader", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: withInterp(t, cgo, "/lib/ld-musl-x86_64.so.1"), mode: exe}), want: result.BootstrapInterpreter},
		{name: "bootstrap-interpreter quiet: loader shipped in a layer", fn: Function{Runtime: "provided.al2023"},
			code:   mkzip(t, entry{name: "bootstrap", data: withInterp(t, cgo, "/opt/lib/ld-x86-64.so.2"), mode: exe}),
			layers: [][]byte{mkzip(t, entry{name: "lib/ld-x86-64.so.2", data: []byte("x"), mode: exe})}},
		{name: "bootstrap-script-crlf", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: []byte("#!/bin/sh\r\necho hi\r\n"), mode: exe}), want: result.BootstrapScriptCRLF},
		{name: "bootstrap-script-crlf quiet: LF script", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: []byte("#!/bin/sh\necho hi\n"), mode: exe})},
		{name: "bootstrap-broken-symlink: dangling", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: []byte("bin/app"), mode: fs.ModeSymlink | 0o777}), want: result.BootstrapBrokenSymlink},
		{name: "bootstrap-broken-symlink: absolute outside", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: []byte("/usr/local/bin/app"), mode: fs.ModeSymlink | 0o777}), want: result.BootstrapBrokenSymlink},
		{name: "bootstrap-broken-symlink: climbs out", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: []byte("../../../bin/sh"), mode: fs.ModeSymlink | 0o777}), want: result.BootstrapBrokenSymlink},
		{name: "bootstrap-broken-symlink: loop", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: []byte("a"), mode: fs.ModeSymlink | 0o777}, entry{name: "a", data: []byte("bootstrap"), mode: fs.ModeSymlink | 0o777}), want: result.BootstrapBrokenSymlink},
		{name: "bootstrap-broken-symlink quiet: build-lambda-zip style link", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: []byte("hello"), mode: fs.ModeSymlink | 0o777}, entry{name: "hello", data: amd, mode: exe})},
		{name: "bootstrap-broken-symlink quiet: chain through a directory link", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: []byte("current/app"), mode: fs.ModeSymlink | 0o777},
				entry{name: "current", data: []byte("releases/v1"), mode: fs.ModeSymlink | 0o777},
				entry{name: "releases/v1/app", data: amd, mode: exe})},
		{name: "symlink target is checked too", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: []byte("hello"), mode: fs.ModeSymlink | 0o777}, entry{name: "hello", data: amd, mode: 0o644}),
			want: result.BootstrapNotExecutable, wantPath: "hello"},
		{name: "package-unreadable: not a zip", fn: Function{Runtime: "provided.al2023"},
			code: []byte("this is not a zip archive at all, just text"), want: result.PackageUnreadable},
		{name: "package-unreadable: truncated", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: amd, mode: exe})[:1000], want: result.PackageUnreadable},
		{name: "path-backslash", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: amd, mode: exe}, entry{name: `conf\app.json`, data: []byte("{}"), mode: 0o644}), want: result.PathBackslash},
		{name: "path-duplicate: two bootstraps", fn: Function{Runtime: "provided.al2023"},
			code: mkzip(t, entry{name: "bootstrap", data: amd, mode: exe}, entry{name: "bootstrap", data: amd, mode: exe}), want: result.PathDuplicate},
		{name: "handler-missing: python", fn: Function{Runtime: "python3.13", Handler: "app.handler"},
			code: mkzip(t, entry{name: "src/app.py", data: []byte("def handler(e, c): pass\n"), mode: 0o644}), want: result.HandlerMissing},
		{name: "handler-missing quiet: python package path", fn: Function{Runtime: "python3.13", Handler: "src/app.handler"},
			code: mkzip(t, entry{name: "src/app.py", data: []byte("def handler(e, c): pass\n"), mode: 0o644})},
		{name: "handler-missing quiet: python module in a layer", fn: Function{Runtime: "python3.13", Handler: "shared.handler"},
			code:   mkzip(t, entry{name: "other.py", data: []byte("x = 1\n"), mode: 0o644}),
			layers: [][]byte{mkzip(t, entry{name: "python/shared.py", data: []byte("def handler(e, c): pass\n"), mode: 0o644})}},
		{name: "handler-not-readable: python file mode 0600", fn: Function{Runtime: "python3.13", Handler: "app.handler"},
			code: mkzip(t, entry{name: "app.py", data: []byte("def handler(e, c): pass\n"), mode: 0o600}), want: result.HandlerNotReadable, wantPath: "app.py"},
		{name: "handler-not-readable quiet: mode 0644", fn: Function{Runtime: "python3.13", Handler: "app.handler"},
			code: mkzip(t, entry{name: "app.py", data: []byte("def handler(e, c): pass\n"), mode: 0o644})},
		{name: "handler-missing: nodejs", fn: Function{Runtime: "nodejs24.x", Handler: "index.handler"},
			code: mkzip(t, entry{name: "dist/index.js", data: []byte("exports.handler=async()=>1"), mode: 0o644}), want: result.HandlerMissing},
		{name: "handler-missing quiet: nodejs mjs", fn: Function{Runtime: "nodejs24.x", Handler: "index.handler"},
			code: mkzip(t, entry{name: "index.mjs", data: []byte("export const handler=async()=>1"), mode: 0o644})},
		{name: "handler-missing: ruby", fn: Function{Runtime: "ruby3.4", Handler: "function.handler"},
			code: mkzip(t, entry{name: "lambda_function.rb", data: []byte("def handler; end"), mode: 0o644}), want: result.HandlerMissing},
		{name: "handler-missing: go1.x binary not at handler path", fn: Function{Runtime: "go1.x", Handler: "main"},
			code: mkzip(t, entry{name: "hello", data: amd, mode: exe}), want: result.HandlerMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn.Code = zipSource("function.zip", tc.code)
			for i, l := range tc.layers {
				tc.fn.Layers = append(tc.fn.Layers, zipSource("layer"+string(rune('1'+i))+".zip", l))
			}
			res := run(t, tc.fn)
			if tc.want == "" {
				// Quiet means quiet: no error and no warning from any rule.
				if res.Status != result.Pass || len(res.Findings) > 0 {
					t.Fatalf("got %s %v, want PASS with no findings: %+v", res.Status, rules(res, ""), res.Findings)
				}
				return
			}
			got := res.FindingsFor(tc.want)
			if len(got) == 0 {
				t.Fatalf("got rules %v, want %s: %+v", rules(res, ""), tc.want, res.Findings)
			}
			if wantStatus := map[bool]result.Status{true: result.Fail, false: result.Pass}[got[0].Severity == result.Error]; res.Status != wantStatus {
				t.Fatalf("got status %s, want %s: %+v", res.Status, wantStatus, res.Findings)
			}
			if tc.wantPath != "" && got[0].Path != tc.wantPath {
				t.Errorf("got path %q, want %q", got[0].Path, tc.wantPath)
			}
			for _, f := range res.Findings {
				if f.Message == "" || (f.Severity == result.Error && f.Remediation == "") {
					t.Errorf("finding %s lacks message or remediation: %+v", f.Rule, f)
				}
			}
			if !slices.Contains(res.Evaluated, tc.want) {
				t.Errorf("rule %s fired but is not in Evaluated %v", tc.want, res.Evaluated)
			}
		})
	}
}

// withInterp returns a copy of a dynamically linked binary with its PT_INTERP path replaced, as
// patchelf --set-interpreter or a musl toolchain would leave it.
func withInterp(t *testing.T, bin []byte, interp string) []byte {
	t.Helper()
	old := []byte("/lib64/ld-linux-x86-64.so.2\x00")
	i := bytes.Index(bin, old)
	if i < 0 {
		t.Fatal("binary has no glibc loader path to replace")
	}
	if len(interp)+1 > len(old) {
		t.Fatalf("interpreter %q longer than the original", interp)
	}
	out := bytes.Clone(bin)
	copy(out[i:i+len(old)], make([]byte, len(old)))
	copy(out[i:], interp)
	return out
}

func TestRuntimeRules(t *testing.T) {
	good := mkzip(t, entry{name: "bootstrap", data: goBinary(t, "linux-amd64"), mode: 0o755})
	tests := []struct {
		runtime string
		action  Action
		opts    Options
		want    result.RuleID
		sev     result.Severity
		msg     string // a phrase the message must contain
	}{
		{runtime: "provided.al2023"},
		{runtime: "", want: result.RuntimeMissing, sev: result.Error},
		{runtime: "provided.al2025", want: result.RuntimeUnlisted, sev: result.Warning, msg: "retrieved 2026-12-06; its newest provided runtime is provided.al2023"},
		{runtime: "nodejs26.x", want: result.RuntimeUnlisted, sev: result.Warning, msg: "Runtime nodejs26.x is not in Bootstrap Guard's runtime catalogue (retrieved 2026-12-06"},
		{runtime: "python3.15", want: result.RuntimeUnlisted, sev: result.Warning, msg: "newest python runtime is python3.14"},
		{runtime: "provided.al2022", want: result.RuntimeUnknown, sev: result.Error, msg: "Did you mean provided.al2023"},
		{runtime: "nodejs22", want: result.RuntimeUnknown, sev: result.Error, msg: "Did you mean nodejs22.x"},
		{runtime: "nodejs26", want: result.RuntimeUnknown, sev: result.Error, msg: "Did you mean nodejs24.x"},
		{runtime: "python3.12.x", want: result.RuntimeUnknown, sev: result.Error, msg: "Did you mean python3.12"},
		{runtime: "nodejs240.x", want: result.RuntimeUnknown, sev: result.Error},
		{runtime: "go1.23", want: result.RuntimeUnknown, sev: result.Error, msg: "its successor is provided.al2023"},
		{runtime: "Provided.AL2023", want: result.RuntimeUnknown, sev: result.Error, msg: "Did you mean provided.al2023"},
		{runtime: "cobol85", want: result.RuntimeUnknown, sev: result.Error},
		{runtime: "provided.al2", want: result.RuntimeDeprecated, sev: result.Error, msg: "will block creating functions on it from 2027-02-01"},
		{runtime: "provided.al2", action: Update, want: result.RuntimeDeprecated, sev: result.Warning, msg: "will block updating existing functions on it from 2027-03-03"},
		{runtime: "provided.al2", action: Update, opts: Options{StrictUpdates: true}, want: result.RuntimeDeprecated, sev: result.Error, msg: "strict updates"},
		{runtime: "provided", want: result.RuntimeDeprecated, sev: result.Error, msg: "This create will be rejected"},
		{runtime: "provided.al2", opts: Options{Allow: []string{"provided.al2"}}, want: result.RuntimeDeprecated, sev: result.Warning},
		{runtime: "provided.al2023", opts: Options{Deny: []string{"provided.al2023"}}, want: result.RuntimeDenied, sev: result.Error},
		{runtime: "nodejs22.x", want: result.RuntimeDeprecationSoon, sev: result.Warning, msg: "in 157 days"},
		{runtime: "nodejs22.x", opts: Options{WarnWindow: -1}},
		{runtime: "python3.11"}, // 218 days ahead: outside the default 180-day window
		{runtime: "python3.11", opts: Options{WarnWindow: 365 * 24 * time.Hour}, want: result.RuntimeDeprecationSoon, sev: result.Warning, msg: "in 218 days"},
		{runtime: "dotnet9", want: result.RuntimeDeprecated, sev: result.Error, msg: "container images"},
	}
	for _, tc := range tests {
		name := tc.runtime + "/" + string(tc.want) + "/" + string(tc.action)
		t.Run(name, func(t *testing.T) {
			tc.opts.Now = func() time.Time { return fixedDay }
			fn := Function{Target: "f", Runtime: tc.runtime, Handler: "app.handler", Action: tc.action, Code: zipSource("f.zip", good)}
			res, err := New(tc.opts).Check(context.Background(), fn)
			if err != nil {
				t.Fatal(err)
			}
			var runtimeFindings []result.Finding
			for _, f := range res.Findings {
				if strings.HasPrefix(string(f.Rule), "runtime-") {
					runtimeFindings = append(runtimeFindings, f)
				}
			}
			if tc.want == "" {
				if len(runtimeFindings) != 0 {
					t.Fatalf("got %+v, want no runtime findings", runtimeFindings)
				}
				return
			}
			if len(runtimeFindings) != 1 || runtimeFindings[0].Rule != tc.want || runtimeFindings[0].Severity != tc.sev {
				t.Fatalf("got %+v, want one %s %s", runtimeFindings, tc.sev, tc.want)
			}
			if !strings.Contains(runtimeFindings[0].Message, tc.msg) {
				t.Errorf("message %q lacks %q", runtimeFindings[0].Message, tc.msg)
			}
		})
	}
}

// TestUnlistedRuntimeGetsFamilyChecks: a runtime newer than the catalogue passes with a warning,
// and its package is still checked as its family's.
func TestUnlistedRuntimeGetsFamilyChecks(t *testing.T) {
	bootstrap := entry{name: "bootstrap", data: goBinary(t, "linux-amd64"), mode: 0o755}
	tests := []struct {
		name, runtime, handler string
		pkg                    []byte
		status                 result.Status
		rules                  []result.RuleID // every finding, in order
	}{
		{"node handler present", "nodejs26.x", "index.handler", mkzip(t, entry{name: "index.mjs", data: []byte("export const handler = async () => 1;\n"), mode: 0o644}),
			result.Pass, []result.RuleID{result.RuntimeUnlisted}},
		{"node handler missing", "nodejs26.x", "index.handler", mkzip(t, entry{name: "app.js", data: []byte("exports.handler = 1\n"), mode: 0o644}),
			result.Fail, []result.RuleID{result.HandlerMissing, result.RuntimeUnlisted}},
		{"python handler unreadable", "python3.15", "app.handler", mkzip(t, entry{name: "app.py", data: []byte("def handler(e, c): pass\n"), mode: 0o600}),
			result.Fail, []result.RuleID{result.HandlerNotReadable, result.RuntimeUnlisted}},
		{"ruby handler present", "ruby4.1", "app.handler", mkzip(t, entry{name: "app.rb", data: []byte("def handler(event:, context:) end\n"), mode: 0o644}),
			result.Pass, []result.RuleID{result.RuntimeUnlisted}},
		{"provided bootstrap good", "provided.al2025", "bootstrap", mkzip(t, bootstrap),
			result.Pass, []result.RuleID{result.RuntimeUnlisted}},
		{"provided bootstrap nested", "provided.al2025", "bootstrap", mkzip(t, entry{name: "bin/hello/bootstrap", data: bootstrap.data, mode: 0o755}),
			result.Fail, []result.RuleID{result.BootstrapNested, result.RuntimeUnlisted}},
		{"typo still fails", "nodejs26", "index.handler", mkzip(t, entry{name: "index.mjs", data: []byte("export const handler = 1;\n"), mode: 0o644}),
			result.Fail, []result.RuleID{result.RuntimeUnknown}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, Function{Runtime: tc.runtime, Handler: tc.handler, Code: zipSource("f.zip", tc.pkg)})
			if got := rules(res, ""); res.Status != tc.status || !slices.Equal(got, tc.rules) {
				t.Fatalf("got %s %v, want %s %v\n%+v", res.Status, got, tc.status, tc.rules, res.Findings)
			}
			if tc.status == result.Pass && !slices.Contains(res.Evaluated, result.BootstrapMissing) && !slices.Contains(res.Evaluated, result.HandlerMissing) {
				t.Errorf("no package rule was evaluated: %v", res.Evaluated)
			}
		})
	}
}

// TestUnlistedRuntimeDenied: a platform can deny a runtime newer than its catalogue until it has
// vetted it.
func TestUnlistedRuntimeDenied(t *testing.T) {
	pkg := mkzip(t, entry{name: "index.mjs", data: []byte("export const handler = 1;\n"), mode: 0o644})
	fn := Function{Target: "f", Runtime: "nodejs26.x", Handler: "index.handler", Code: zipSource("f.zip", pkg)}
	for _, deny := range [][]string{nil, {"nodejs26.x"}} {
		res, err := New(Options{Now: func() time.Time { return fixedDay }, Deny: deny}).Check(context.Background(), fn)
		if err != nil {
			t.Fatal(err)
		}
		want := []result.RuleID{result.RuntimeUnlisted}
		if deny != nil {
			want = []result.RuleID{result.RuntimeDenied, result.RuntimeUnlisted}
		}
		if got := rules(res, ""); !slices.Equal(got, want) {
			t.Errorf("deny %v: got %v, want %v", deny, got, want)
		}
	}
}

func TestPackageTooLarge(t *testing.T) {
	amd := goBinary(t, "linux-amd64")
	// A zip whose directory declares a 300 MB entry; its data is a tiny stored stream, so
	// building it costs nothing (the size check reads the directory only).
	big := lyingSize(t, mkzip(t, entry{name: "bootstrap", data: amd, mode: 0o755}, entry{name: "data.bin", data: []byte("x"), mode: 0o644, store: true}), "data.bin", 300_000_000)
	for _, tc := range []struct {
		name string
		code []byte
		want bool
	}{
		{"over the limit", big, true},
		{"under the limit", mkzip(t, entry{name: "bootstrap", data: amd, mode: 0o755}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, Function{Runtime: "provided.al2023", Code: zipSource("f.zip", tc.code)})
			if got := len(res.FindingsFor(result.PackageTooLarge)) > 0; got != tc.want {
				t.Fatalf("package-too-large fired=%v, want %v: %+v", got, tc.want, res.Findings)
			}
		})
	}
}

// lyingSize rewrites the uncompressed size of one entry in the central directory.
func lyingSize(t *testing.T, z []byte, name string, size uint32) []byte {
	t.Helper()
	out := bytes.Clone(z)
	sig := []byte("PK\x01\x02")
	for i := bytes.Index(out, sig); i >= 0; {
		nameLen := int(out[i+28]) | int(out[i+29])<<8
		if string(out[i+46:i+46+nameLen]) == name {
			out[i+24], out[i+25], out[i+26], out[i+27] = byte(size), byte(size>>8), byte(size>>16), byte(size>>24)
			return out
		}
		j := bytes.Index(out[i+4:], sig)
		if j < 0 {
			break
		}
		i += 4 + j
	}
	t.Fatalf("entry %s not found", name)
	return nil
}

func TestImageIsSkipped(t *testing.T) {
	res := run(t, Function{PackageType: PackageImage})
	if res.Status != result.Skip || res.SkipReason == "" || len(res.Findings) != 0 {
		t.Fatalf("got %+v, want SKIP with a reason and no findings", res)
	}
}

func TestInlineCode(t *testing.T) {
	for _, tc := range []struct {
		runtime, handler string
		want             result.RuleID
	}{
		{"provided.al2023", "bootstrap", result.BootstrapMissing},
		{"python3.13", "index.handler", ""},
		{"python3.13", "app.handler", result.HandlerMissing},
		{"nodejs24.x", "index.handler", ""},
	} {
		t.Run(tc.runtime+"/"+tc.handler, func(t *testing.T) {
			res := run(t, Function{Runtime: tc.runtime, Handler: tc.handler, Code: Source{Name: "inline", Inline: true}})
			got := rules(res, result.Error)
			if tc.want == "" && len(got) != 0 || tc.want != "" && !slices.Contains(got, tc.want) {
				t.Fatalf("got %v, want %q", got, tc.want)
			}
		})
	}
}

// TestBytesRead shows the cost claim: a 50 MB package with a static Go bootstrap is checked by
// reading a few hundred KiB at most, in a handful of calls, wherever the bootstrap sits.
func TestBytesRead(t *testing.T) {
	pad := make([]byte, 50<<20)
	rand.Read(pad)
	arm := goBinary(t, "linux-arm64")
	for _, tc := range []struct {
		name    string
		entries []entry
	}{
		{"bootstrap first", []entry{{name: "bootstrap", data: arm, mode: 0o755}, {name: "assets/blob.bin", data: pad, mode: 0o644, store: true}}},
		{"bootstrap last", []entry{{name: "assets/blob.bin", data: pad, mode: 0o644, store: true}, {name: "bootstrap", data: arm, mode: 0o755}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z := mkzip(t, tc.entries...)
			c := &countingReaderAt{r: bytes.NewReader(z)}
			res, err := checker().Check(context.Background(), Function{Target: "big", Runtime: "provided.al2023", Architecture: "arm64",
				Code: Source{Name: "big.zip", ReaderAt: c, Size: int64(len(z))}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != result.Pass {
				t.Fatalf("got %s: %+v", res.Status, res.Findings)
			}
			t.Logf("%d-byte package: %d bytes read in %d calls", len(z), c.bytes, c.calls)
			if c.bytes >= 256<<10 {
				t.Errorf("read %d bytes, want under 256 KiB", c.bytes)
			}
			if c.calls > 16 {
				t.Errorf("%d read calls, want them batched (at most 16)", c.calls)
			}
		})
	}
}

func TestArchitectureAndLayerLimits(t *testing.T) {
	good := mkzip(t, entry{name: "bootstrap", data: []byte("#!/bin/sh\n"), mode: 0o755})
	layer := zipSource("layer.zip", mkzip(t, entry{name: "bin/tool", data: []byte("x"), mode: 0o755}))
	for _, tc := range []struct {
		name   string
		arch   string
		layers int
		want   result.RuleID
		fires  bool
	}{
		{"architecture-unknown fires", "ppc64le", 0, result.ArchitectureUnknown, true},
		{"architecture-unknown quiet", "arm64", 0, result.ArchitectureUnknown, false},
		{"layers-too-many fires", "x86_64", 6, result.LayersTooMany, true},
		{"layers-too-many quiet at five", "x86_64", 5, result.LayersTooMany, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := Function{Runtime: "provided.al2023", Architecture: tc.arch, Code: zipSource("f.zip", good)}
			for range tc.layers {
				fn.Layers = append(fn.Layers, layer)
			}
			res := run(t, fn)
			if got := len(res.FindingsFor(tc.want)) > 0; got != tc.fires {
				t.Fatalf("%s fired=%v, want %v: %+v", tc.want, got, tc.fires, res.Findings)
			}
			if tc.fires && res.Status != result.Fail {
				t.Errorf("status %s, want FAIL", res.Status)
			}
		})
	}
}

// BenchmarkCheck times one check of a 50 MB package with a static Go arm64 bootstrap (last in
// the zip), read from memory, and reports the bytes the engine read.
func BenchmarkCheck(b *testing.B) {
	pad := make([]byte, 50<<20)
	rand.Read(pad)
	z := mkzip(b, entry{name: "assets/blob.bin", data: pad, mode: 0o644, store: true}, entry{name: "bootstrap", data: goBinary(b, "linux-arm64"), mode: 0o755})
	c := checker()
	var read int64
	b.ReportAllocs()
	for b.Loop() {
		cr := &countingReaderAt{r: bytes.NewReader(z)}
		res, err := c.Check(context.Background(), Function{Target: "big", Runtime: "provided.al2023", Architecture: "arm64",
			Code: Source{Name: "big.zip", ReaderAt: cr, Size: int64(len(z))}})
		if err != nil || res.Status != result.Pass {
			b.Fatalf("%v %+v", err, res.Findings)
		}
		read = cr.bytes
	}
	b.ReportMetric(float64(read), "bytes-read/op")
}

// TestPackageNotAvailable: a function whose package is named but not available (a template's S3
// object not read) is judged on its runtime, architecture and handler form only, and a package
// rule never fires for want of files.
func TestPackageNotAvailable(t *testing.T) {
	for _, tc := range []struct {
		runtime, handler, arch string
		want                   []result.RuleID
	}{
		{"provided.al2023", "bootstrap", "", nil},
		{"python3.13", "app.handler", "", nil},
		{"python3.13", "app", "", []result.RuleID{result.HandlerMissing}},
		{"nodejs24.x", "index.handler", "sparc", []result.RuleID{result.ArchitectureUnknown}},
		{"go1.x", "main", "", []result.RuleID{result.RuntimeDeprecated}},
		{"python2.7", "app.handler", "", []result.RuleID{result.RuntimeDeprecated}},
	} {
		t.Run(tc.runtime+"/"+tc.handler, func(t *testing.T) {
			res := run(t, Function{Runtime: tc.runtime, Handler: tc.handler, Architecture: tc.arch, Code: Source{Name: "s3://bucket/key.zip"}})
			if got := rules(res, result.Error); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
