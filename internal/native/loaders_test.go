package native

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

func pkgOf(files ...string) *npmPkg {
	p := &npmPkg{files: map[string]int{}, loadFile: -1}
	for i, f := range files {
		p.files[f] = i
		if strings.HasSuffix(f, ".node") {
			p.addons = append(p.addons, f)
		}
	}
	return p
}

// File lists below are those of the real packages (npm pack of the named version).
var (
	appsecFiles = []string{ // @datadog/native-appsec 11.0.3 (node-gyp-build 3: libc in the folder)
		"index.js", "package.json", "prebuilds/darwin-arm64/node-napi.node", "prebuilds/darwin-x64/node-napi.node",
		"prebuilds/linuxglibc-arm64/node-napi.node", "prebuilds/linuxglibc-x64/node-napi.node",
		"prebuilds/linuxmusl-arm64/node-napi.node", "prebuilds/linuxmusl-x64/node-napi.node",
		"prebuilds/win32-x64/node-napi.node", "prebuilds/linuxglibc-x64/libddwaf.so",
	}
	pprofFiles = []string{ // @datadog/pprof 5.20.0: name.[musl.]node.abi<N>.node
		"prebuilds/linux-x64/dd_pprof.musl.node.abi115.node", "prebuilds/linux-x64/dd_pprof.node.abi115.node",
		"prebuilds/linux-x64/dd_pprof.musl.node.abi127.node", "prebuilds/linux-x64/dd_pprof.node.abi127.node",
		"prebuilds/linux-x64/dd_pprof.node.abi137.node", "prebuilds/linux-arm64/dd_pprof.node.abi127.node",
	}
	argon2Files = []string{ // argon2 0.45.1: armv and libc tags
		"prebuilds/linux-arm64/argon2.armv8.glibc.node", "prebuilds/linux-arm64/argon2.armv8.musl.node",
		"prebuilds/linux-x64/argon2.glibc.node", "prebuilds/linux-x64/argon2.musl.node", "prebuilds/darwin-arm64/argon2.armv8.glibc.node",
	}
	oldABIFiles = []string{ // prebuilds for Node 14 to 21 only
		"prebuilds/linux-x64/node.abi83.node", "prebuilds/linux-x64/node.abi93.node",
		"prebuilds/linux-x64/node.abi108.node", "prebuilds/linux-x64/node.abi115.node", "prebuilds/linux-x64/node.abi120.node",
	}
)

func TestPrebuildWinner(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		runtime string
		arch    string
		want    string
	}{
		{"appsec x64 napi in linuxglibc folder", appsecFiles, "nodejs22.x", ArchX86, "prebuilds/linuxglibc-x64/node-napi.node"},
		{"appsec arm64", appsecFiles, "nodejs20.x", ArchARM, "prebuilds/linuxglibc-arm64/node-napi.node"},
		{"pprof picks the runtime's ABI, glibc", pprofFiles, "nodejs22.x", ArchX86, "prebuilds/linux-x64/dd_pprof.node.abi127.node"},
		{"pprof on nodejs24.x", pprofFiles, "nodejs24.x", ArchX86, "prebuilds/linux-x64/dd_pprof.node.abi137.node"},
		{"pprof has no ABI 137 for arm64", pprofFiles, "nodejs24.x", ArchARM, ""},
		{"argon2 glibc over musl", argon2Files, "nodejs20.x", ArchX86, "prebuilds/linux-x64/argon2.glibc.node"},
		{"argon2 armv8 on arm64", argon2Files, "nodejs22.x", ArchARM, "prebuilds/linux-arm64/argon2.armv8.glibc.node"},
		{"ABIs up to 120 only, Node 22 (127)", oldABIFiles, "nodejs22.x", ArchX86, ""},
		{"ABIs up to 120, Node 20 (115)", oldABIFiles, "nodejs20.x", ArchX86, "prebuilds/linux-x64/node.abi115.node"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &checker{env: Env{Runtime: tt.runtime, Arch: tt.arch}}
			got := c.prebuildWinner(pkgOf(tt.files...), nodeCPUName(tt.arch))
			if got.file != tt.want {
				t.Errorf("winner %q, want %q (folder %q)", got.file, tt.want, got.folder)
			}
		})
	}
}

func TestLoadedFilesConventions(t *testing.T) {
	tests := []struct {
		name  string
		pkg   string
		files []string
		arch  string
		want  []string
	}{
		{"appsec: only the chosen addon, not libddwaf.so beside it", "@datadog/native-appsec", appsecFiles, ArchX86,
			[]string{"prebuilds/linuxglibc-x64/node-napi.node"}},
		{"aws-crt: dist/bin/<os>-<cpu>-<flavour>/ folders", "aws-crt",
			[]string{"dist/bin/darwin-arm64-cruntime/aws-crt-nodejs.node", "dist/bin/linux-x64-glibc/aws-crt-nodejs.node",
				"dist/bin/linux-arm64-glibc/aws-crt-nodejs.node", "dist/bin/linux-x64-musl/aws-crt-nodejs.node"}, ArchX86,
			[]string{"dist/bin/linux-x64-glibc/aws-crt-nodejs.node"}},
		{"oracledb: platform-named files in build/Release", "oracledb",
			[]string{"build/Release/oracledb-26.0.0-darwin-arm64.node", "build/Release/oracledb-26.0.0-linux-x64.node",
				"build/Release/oracledb-26.0.0-linux-arm64.node", "build/Release/oracledb-26.0.0-win32-x64.node"}, ArchARM,
			[]string{"build/Release/oracledb-26.0.0-linux-arm64.node"}},
		{"lmdb platform package: node-gyp-build tags in the package root", "@lmdb/lmdb-linux-x64",
			[]string{"node.abi115.glibc.node", "node.abi115.musl.node", "node.napi.glibc.node", "node.napi.musl.node", "package.json"}, ArchX86,
			[]string{"node.abi115.glibc.node"}},
		{"sentry: the runtime's ABI among platform-named files", "@sentry/node-cpu-profiler",
			[]string{"lib/sentry_cpu_profiler-linux-x64-glibc-115.node", "lib/sentry_cpu_profiler-linux-x64-glibc-127.node",
				"lib/sentry_cpu_profiler-linux-x64-musl-115.node", "lib/sentry_cpu_profiler-darwin-arm64-115.node"}, ArchX86,
			[]string{"lib/sentry_cpu_profiler-linux-x64-glibc-115.node"}},
		{"napi-rs local builds", "@swc/core",
			[]string{"swc.linux-x64-gnu.node", "swc.linux-x64-musl.node", "swc.darwin-arm64.node"}, ArchX86,
			[]string{"swc.linux-x64-gnu.node"}},
		{"no build for this platform: one representative", "engine",
			[]string{"lib/engine-darwin-arm64.node", "lib/engine-darwin-x64.node"}, ArchARM,
			[]string{"lib/engine-darwin-arm64.node"}},
		{"a platform package for another CPU loads nothing", "@img/sharp-linux-arm64",
			[]string{"lib/sharp-linux-arm64.node"}, ArchX86, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pkgOf(tt.files...)
			p.name = tt.pkg
			p.plat, p.platOK = ParseNodePlatform(tt.pkg[strings.LastIndexByte(tt.pkg, '/')+1:])
			p.dir = "node_modules/" + tt.pkg
			c := &checker{env: Env{Runtime: "nodejs20.x", Arch: tt.arch}}
			for _, f := range tt.files {
				c.files = append(c.files, File{Name: p.dir + "/" + f})
			}
			got := c.loadedFiles(p, nodeCPUName(tt.arch))
			var names []string
			for idx := range got {
				names = append(names, tt.files[idx])
			}
			if strings.Join(sortedStrings(names), ",") != strings.Join(sortedStrings(tt.want), ",") {
				t.Errorf("loaded %v, want %v", names, tt.want)
			}
		})
	}
}

func sortedStrings(s []string) []string {
	m := map[string]bool{}
	for _, x := range s {
		m[x] = true
	}
	return sortedKeys(m)
}

func TestFolderPlatform(t *testing.T) {
	tests := []struct {
		in   string
		want Platform
		ok   bool
	}{
		{"linux-x64", Platform{OS: OSLinux, Arch: ArchX86}, true},
		{"linuxglibc-arm64", Platform{OS: OSLinux, Arch: ArchARM, Libc: LibcGNU}, true},
		{"linuxmusl-x64", Platform{OS: OSLinux, Arch: ArchX86, Libc: LibcMusl}, true},
		{"linux-arm64-glibc", Platform{OS: OSLinux, Arch: ArchARM, Libc: LibcGNU}, true},
		{"darwin-arm64-cruntime", Platform{OS: OSDarwin, Arch: ArchARM}, true},
		{"darwin-x64+arm64", Platform{OS: OSDarwin, Arch: "universal"}, true},
		{"build", Platform{}, false},
		{"x64-linux", Platform{}, false},
	}
	for _, tt := range tests {
		got, ok := folderPlatform(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("folderPlatform(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSelectorNames(t *testing.T) {
	tests := map[string]string{
		"@img/sharp-linux-x64":                         "@img/sharp,sharp,img",
		"@esbuild/linux-arm64":                         "esbuild",
		"@node-rs/argon2-linux-x64-gnu":                "@node-rs/argon2,argon2,node-rs",
		"lightningcss-linux-x64-gnu":                   "lightningcss",
		"@parcel/watcher-linux-x64-glibc":              "@parcel/watcher,watcher,parcel",
		"@libsql/linux-x64-gnu":                        "libsql",
		"@msgpackr-extract/msgpackr-extract-linux-x64": "@msgpackr-extract/msgpackr-extract,msgpackr-extract,msgpackr-extract",
		"left-pad": "",
	}
	for in, want := range tests {
		if got := strings.Join(selectorNames(in), ","); got != want {
			t.Errorf("selectorNames(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEntryOf(t *testing.T) {
	tests := []struct{ json, want string }{
		{`{}`, "index.js"},
		{`{"main": "lib/index.js"}`, "lib/index.js"},
		{`{"main": "x.js", "exports": {".": {"types": "./i.d.ts", "node": {"require": "./dist/index.cjs", "import": "./node-index.js"}, "default": "./index.js"}}}`, "./dist/index.cjs"},
		{`{"exports": {".": {"import": "./a.mjs", "require": "./a.cjs"}}}`, "./a.cjs"},
		{`{"exports": "./main.js"}`, "./main.js"},
		{`{"main": "m.js", "exports": {"./package.json": "./package.json"}}`, "m.js"},
	}
	for _, tt := range tests {
		var m pkgJSON
		if err := json.Unmarshal([]byte(tt.json), &m); err != nil {
			t.Fatal(err)
		}
		if got := entryOf(&m); got != tt.want {
			t.Errorf("entryOf(%s) = %q, want %q", tt.json, got, tt.want)
		}
	}
}

func TestPreGypPath(t *testing.T) {
	var m pkgJSON
	json.Unmarshal([]byte(`{"name":"bcrypt","binary":{"module_name":"bcrypt_lib","module_path":"./lib/binding/napi-v{napi_build_version}","napi_versions":[3,9,10]}}`), &m)
	p := pkgOf()
	p.meta = &m
	for rt, want := range map[string]string{"nodejs20.x": "lib/binding/napi-v9", "nodejs22.x": "lib/binding/napi-v10"} {
		c := &checker{env: Env{Runtime: rt, Arch: ArchX86}}
		if got := c.preGypPath(p); got != want {
			t.Errorf("%s: %q, want %q", rt, got, want)
		}
	}
	json.Unmarshal([]byte(`{"name":"x","binary":{"module_name":"x","module_path":"./lib/binding/{configuration}/{node_abi}-{platform}-{arch}/"}}`), &m)
	c := &checker{env: Env{Runtime: "nodejs22.x", Arch: ArchARM}}
	if got := c.preGypPath(p); got != "lib/binding/Release/node-v127-linux-arm64" {
		t.Errorf("got %q", got)
	}
}

func TestNameABI(t *testing.T) {
	for in, want := range map[string]int{"sentry_cpu_profiler-linux-x64-glibc-127.node": 127, "x-linux-x64.node": 0, "a-12.node": 0} {
		got, ok := nameABI(in)
		if !ok {
			got = 0
		}
		if got != want {
			t.Errorf("nameABI(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestNodeABIData checks the runtime table against the official builds' process.versions.
func TestNodeABIData(t *testing.T) {
	for _, major := range []int{20, 22, 24} {
		t.Run(strconv.Itoa(major), func(t *testing.T) {
			node := testenv.NodeBinary(t, "linux-x64", major)
			out, err := exec.Command(node, "-p", "process.versions.modules + ' ' + process.versions.napi").Output()
			if err != nil {
				t.Fatal(err)
			}
			f := strings.Fields(string(out))
			modules, napi, ok := NodeRuntimeABI("nodejs" + strconv.Itoa(major) + ".x")
			if !ok || len(f) != 2 || f[0] != strconv.Itoa(modules) || f[1] != strconv.Itoa(napi) {
				t.Errorf("Node.js %d reports modules/napi %v; the table says %d/%d", major, f, modules, napi)
			}
		})
	}
}
