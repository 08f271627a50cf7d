package native_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// npm package files in .cache/native/npm (mk/native.mk).
const (
	tgzSharp          = "sharp-0.34.5.tgz"
	tgzSharpLinuxX64  = "img-sharp-linux-x64-0.34.5.tgz"
	tgzSharpLinuxARM  = "img-sharp-linux-arm64-0.34.5.tgz"
	tgzSharpMusl      = "img-sharp-linuxmusl-x64-0.34.5.tgz"
	tgzSharpDarwin    = "img-sharp-darwin-arm64-0.34.5.tgz"
	tgzSharpWasm      = "img-sharp-wasm32-0.34.5.tgz"
	tgzVipsX64        = "img-sharp-libvips-linux-x64-1.2.4.tgz"
	tgzVipsARM        = "img-sharp-libvips-linux-arm64-1.2.4.tgz"
	tgzEsbuild        = "esbuild-0.25.12.tgz"
	tgzEsbuildARM     = "esbuild-linux-arm64-0.25.12.tgz"
	tgzEsbuildX64     = "esbuild-linux-x64-0.25.12.tgz"
	tgzEsbuildDarwin  = "esbuild-darwin-arm64-0.25.12.tgz"
	tgzRollup         = "rollup-4.53.3.tgz"
	tgzRollupX64      = "rollup-rollup-linux-x64-gnu-4.53.3.tgz"
	tgzRollupARM      = "rollup-rollup-linux-arm64-gnu-4.53.3.tgz"
	tgzRollupMusl     = "rollup-rollup-linux-x64-musl-4.53.3.tgz"
	sharpMuslNode     = "lib/sharp-linuxmusl-x64.node"
	sharpDarwinNode   = "lib/sharp-darwin-arm64.node"
	sharpLinuxARMNode = "lib/sharp-linux-arm64.node"
)

func elfFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "internal/elfinfo/testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sharpX64 is sharp with its linux-x64 build and libvips, as npm installs it on Linux x64.
func sharpFor(t testing.TB, prefix, cpu string) []entry {
	tgz, vips := tgzSharpLinuxX64, tgzVipsX64
	if cpu == "arm64" {
		tgz, vips = tgzSharpLinuxARM, tgzVipsARM
	}
	return cat(npmTree(t, prefix, "sharp", tgzSharp), npmTree(t, prefix, "@img/sharp-linux-"+cpu, tgz),
		npmTree(t, prefix, "@img/sharp-libvips-linux-"+cpu, vips))
}

// addon is an executable native file at name.
func addon(name string, data []byte) entry { return entry{name: name, data: data, mode: 0o755} }

func goodCases(t testing.TB) []corpusCase {
	none := map[result.RuleID]string{}
	exe := func(name string, data []byte) entry {
		return entry{name: "extensions/" + name, data: data, mode: 0o755}
	}
	return []corpusCase{
		{name: "py311-x86-debian-modules", runtime: "python3.11", arch: "x86_64",
			code: cat([]entry{pyApp}, debTree(t, "amd64", "", goodDebFor("amd64")...)), want: none},
		{name: "py311-arm64-debian-modules", runtime: "python3.11", arch: "arm64",
			code: cat([]entry{pyApp}, debTree(t, "arm64", "", goodDebFor("arm64")...)), want: none},
		{name: "py312-x86-abi3-modules-need-2.34-or-less", runtime: "python3.12", arch: "x86_64",
			code: cat([]entry{pyApp}, debTree(t, "amd64", "", "bcrypt/_bcrypt.abi3.so", "nacl/_sodium.abi3.so")), want: none},
		{name: "py313-arm64-abi3-module", runtime: "python3.13", arch: "arm64",
			code: cat([]entry{pyApp}, debTree(t, "arm64", "", "bcrypt/_bcrypt.abi3.so")), want: none},
		{name: "py311-layer-site-packages", runtime: "python3.11", arch: "x86_64", code: []entry{pyApp},
			layers: [][]entry{debTree(t, "amd64", "python/lib/python3.11/site-packages/", goodDebFor("amd64")...)}, want: none},
		// Lambda puts only python/lib/python3.11/site-packages (the runtime's own X.Y) on
		// sys.path: the 3.13 folder's cpython-311 modules are never imported.
		{name: "py311-layer-site-packages-for-two-versions", runtime: "python3.11", arch: "x86_64", code: []entry{pyApp},
			layers: [][]entry{cat(debTree(t, "amd64", "python/lib/python3.11/site-packages/", goodDebFor("amd64")...),
				debTree(t, "amd64", "python/lib/python3.13/site-packages/", "yaml/_yaml.cpython-311-x86_64-linux-gnu.so"))}, want: none},
		{name: "py311-layer-python-root-arm64", runtime: "python3.11", arch: "arm64", code: []entry{pyApp},
			layers: [][]entry{debTree(t, "arm64", "python/", goodDebFor("arm64")...)}, want: none},
		{name: "py311-both-architectures-side-by-side", runtime: "python3.11", arch: "arm64",
			code: cat([]entry{pyApp}, debTree(t, "amd64", "", "yaml/_yaml.cpython-311-x86_64-linux-gnu.so"),
				debTree(t, "arm64", "", "yaml/_yaml.cpython-311-aarch64-linux-gnu.so")), want: none},
		{name: "py311-wheel-tags-decide-without-reading", runtime: "python3.11", arch: "x86_64",
			code: cat([]entry{pyApp, wheel("msgpack", "cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64")},
				debTree(t, "amd64", "", "msgpack/_cmsgpack.cpython-311-x86_64-linux-gnu.so")), want: none},
		{name: "py312-old-module-with-pure-fallback", runtime: "python3.12", arch: "x86_64",
			code: cat([]entry{pyApp, file("simplejson/_speedups.py", "# pure fallback\n")},
				debTree(t, "amd64", "", "simplejson/_speedups.cpython-311-x86_64-linux-gnu.so")), want: none},
		{name: "node20-x64-sharp", runtime: "nodejs20.x", arch: "x86_64",
			code: cat([]entry{nodeApp}, sharpFor(t, "", "x64")), want: none},
		{name: "node22-arm64-sharp", runtime: "nodejs22.x", arch: "arm64",
			code: cat([]entry{nodeApp}, sharpFor(t, "", "arm64")), want: none},
		{name: "node18-x64-sharp-on-al2", runtime: "nodejs18.x", arch: "x86_64",
			code: cat([]entry{nodeApp}, sharpFor(t, "", "x64")), want: none},
		{name: "node20-x64-sharp-with-extra-platforms", runtime: "nodejs20.x", arch: "x86_64",
			code: cat([]entry{nodeApp}, sharpFor(t, "", "x64"), npmTree(t, "", "@img/sharp-darwin-arm64", tgzSharpDarwin),
				npmTree(t, "", "@img/sharp-linuxmusl-x64", tgzSharpMusl), npmTree(t, "", "@img/sharp-wasm32", tgzSharpWasm)), want: none},
		{name: "node20-arm64-esbuild", runtime: "nodejs20.x", arch: "arm64",
			code: cat([]entry{nodeApp}, npmTree(t, "", "esbuild", tgzEsbuild), npmTree(t, "", "@esbuild/linux-arm64", tgzEsbuildARM)), want: none},
		{name: "node20-x64-rollup", runtime: "nodejs20.x", arch: "x86_64",
			code: cat([]entry{nodeApp}, npmTree(t, "", "rollup", tgzRollup), npmTree(t, "", "@rollup/rollup-linux-x64-gnu", tgzRollupX64),
				npmTree(t, "", "@rollup/rollup-linux-x64-musl", tgzRollupMusl)), want: none},
		{name: "node20-bundle-with-addon", runtime: "nodejs20.x", arch: "x86_64",
			code: []entry{nodeApp, addon("sharp-linux-x64-9C1E.node", npmFileBytes(t, tgzSharpLinuxX64, "lib/sharp-linux-x64.node"))}, want: none},
		{name: "node20-x64-engines-for-several-platforms", runtime: "nodejs20.x", arch: "x86_64",
			code: []entry{nodeApp, file("node_modules/@prisma/engines/package.json", "{}"),
				addon("node_modules/@prisma/engines/libquery_engine-rhel-openssl-3.0.x.so.node", npmFileBytes(t, tgzRollupX64, "rollup.linux-x64-gnu.node")),
				addon("node_modules/@prisma/engines/libquery_engine-linux-arm64-openssl-3.0.x.so.node", npmFileBytes(t, tgzRollupARM, "rollup.linux-arm64-gnu.node")),
				addon("node_modules/@prisma/engines/libquery_engine-darwin-arm64.dylib.node", npmFileBytes(t, tgzSharpDarwin, sharpDarwinNode))},
			want: none},
		{name: "node20-x64-sharp-in-layer", runtime: "nodejs20.x", arch: "x86_64", code: []entry{nodeApp},
			layers: [][]entry{sharpFor(t, "nodejs/", "x64")}, want: none},
		{name: "node20-arm64-prebuilds-for-several-platforms", runtime: "nodejs20.x", arch: "arm64",
			code: []entry{nodeApp, file("node_modules/fastaddon/package.json", `{"name":"fastaddon"}`),
				{name: "node_modules/fastaddon/prebuilds/linux-arm64/fastaddon.glibc.node", data: npmFileBytes(t, tgzRollupARM, "rollup.linux-arm64-gnu.node")},
				{name: "node_modules/fastaddon/prebuilds/linux-x64/fastaddon.musl.node", data: npmFileBytes(t, tgzRollupMusl, "rollup.linux-x64-musl.node")},
				{name: "node_modules/fastaddon/prebuilds/darwin-arm64/fastaddon.node", data: npmFileBytes(t, tgzSharpDarwin, sharpDarwinNode)}},
			want: none},
		{name: "extension-arm64-static-and-script", runtime: "python3.12", arch: "arm64", code: []entry{pyApp},
			layers: [][]entry{{exe("esbuild-ext", npmFileBytes(t, tgzEsbuildARM, "bin/esbuild")), exe("log-shipper", []byte("#!/bin/sh\nexec /opt/bin/ship\n"))}}, want: none},
		{name: "extension-x64-on-nodejs-later-layer-wins", runtime: "nodejs20.x", arch: "x86_64", code: []entry{nodeApp},
			layers: [][]entry{{exe("agent", npmFileBytes(t, tgzEsbuildDarwin, "bin/esbuild"))}, {exe("agent", npmFileBytes(t, tgzEsbuildX64, "bin/esbuild"))}}, want: none},
		{name: "extension-dynamic-glibc-2.34-on-al2023", runtime: "provided.al2023", arch: "x86_64",
			code:   []entry{{name: "bootstrap", data: []byte("#!/bin/sh\nexec true\n"), mode: 0o755}},
			layers: [][]entry{{exe("otel", elfFixture(t, "dynamic-x86_64"))}}, want: none},
	}
}

func badCases(t testing.TB) []corpusCase {
	exe := func(name string, data []byte) entry {
		return entry{name: "extensions/" + name, data: data, mode: 0o755}
	}
	return []corpusCase{
		// native-arch-mismatch
		{name: "py311-x86-modules-in-arm64-function", runtime: "python3.11", arch: "arm64",
			code: cat([]entry{pyApp}, debTree(t, "amd64", "", "yaml/_yaml.cpython-311-x86_64-linux-gnu.so", "msgpack/_cmsgpack.cpython-311-x86_64-linux-gnu.so")),
			want: map[result.RuleID]string{result.NativeArchMismatch: "cpython-311-x86_64"}},
		{name: "py311-x86-abi3-module-in-arm64-function", runtime: "python3.12", arch: "arm64",
			code: cat([]entry{pyApp}, debTree(t, "amd64", "", "bcrypt/_bcrypt.abi3.so")),
			want: map[result.RuleID]string{result.NativeArchMismatch: "bcrypt/_bcrypt.abi3.so"}},
		{name: "py312-wheel-tag-aarch64-in-x86-function", runtime: "python3.12", arch: "x86_64",
			code: cat([]entry{pyApp, wheel("nacl", "cp36-abi3-manylinux_2_17_aarch64")}, debTree(t, "arm64", "", "nacl/_sodium.abi3.so")),
			want: map[result.RuleID]string{result.NativeArchMismatch: "nacl/_sodium.abi3.so"}},
		{name: "node20-x64-addon-built-for-arm64", runtime: "nodejs20.x", arch: "x86_64",
			code: []entry{nodeApp, file("node_modules/imgproc/package.json", "{}"), addon("node_modules/imgproc/build/Release/imgproc.node", npmFileBytes(t, tgzSharpLinuxARM, sharpLinuxARMNode))},
			want: map[result.RuleID]string{result.NativeArchMismatch: "build/Release/imgproc.node"}},
		{name: "py311-layer-arm64-modules-x86-function", runtime: "python3.11", arch: "x86_64", code: []entry{pyApp},
			layers: [][]entry{debTree(t, "arm64", "python/lib/python3.11/site-packages/", "regex/_regex.cpython-311-aarch64-linux-gnu.so")},
			want:   map[result.RuleID]string{result.NativeArchMismatch: "python/lib/python3.11/site-packages/regex/"}},
		{name: "node20-bundle-with-addon-for-arm64", runtime: "nodejs20.x", arch: "x86_64",
			code: []entry{nodeApp, addon("sharp-linux-arm64-4F2A.node", npmFileBytes(t, tgzSharpLinuxARM, sharpLinuxARMNode))},
			want: map[result.RuleID]string{result.NativeArchMismatch: "sharp-linux-arm64-4F2A.node"}},
		{name: "node20-arm64-engine-only-for-darwin", runtime: "nodejs20.x", arch: "arm64",
			code: []entry{nodeApp, addon("node_modules/engine/lib/engine-darwin-arm64.node", npmFileBytes(t, tgzSharpDarwin, sharpDarwinNode))},
			want: map[result.RuleID]string{result.NativeNotLinux: "engine-darwin-arm64.node"}},
		// native-not-linux
		{name: "py312-darwin-module", runtime: "python3.12", arch: "arm64",
			code: []entry{pyApp, file("fastjson/__init__.py", ""), addon("fastjson/_speedups.cpython-312-darwin.so", npmFileBytes(t, tgzSharpDarwin, sharpDarwinNode))},
			want: map[result.RuleID]string{result.NativeNotLinux: "fastjson/_speedups.cpython-312-darwin.so"}},
		{name: "py312-abi3-module-that-is-mach-o", runtime: "python3.12", arch: "arm64",
			code: []entry{pyApp, file("cryptography/__init__.py", ""), addon("cryptography/hazmat/bindings/_rust.abi3.so", npmFileBytes(t, tgzSharpDarwin, sharpDarwinNode))},
			want: map[result.RuleID]string{result.NativeNotLinux: "_rust.abi3.so"}},
		{name: "py312-macos-wheel-vendored-dylib", runtime: "python3.12", arch: "arm64",
			code: []entry{pyApp, file("PIL/__init__.py", ""), addon("PIL/.dylibs/libjpeg.62.4.0.dylib", npmFileBytes(t, tgzSharpDarwin, sharpDarwinNode))},
			want: map[result.RuleID]string{result.NativeNotLinux: "PIL/.dylibs/libjpeg.62.4.0.dylib"}},
		{name: "py312-windows-pyd", runtime: "python3.12", arch: "x86_64",
			code: []entry{pyApp, file("fastjson/__init__.py", ""), file("fastjson/_speedups.cp312-win_amd64.pyd", "MZ")},
			want: map[result.RuleID]string{result.NativeNotLinux: "_speedups.cp312-win_amd64.pyd"}},
		{name: "node20-addon-built-on-a-mac", runtime: "nodejs20.x", arch: "arm64",
			code: []entry{nodeApp, addon("node_modules/imgproc/build/Release/imgproc.node", npmFileBytes(t, tgzSharpDarwin, sharpDarwinNode))},
			want: map[result.RuleID]string{result.NativeNotLinux: "build/Release/imgproc.node"}},
		// native-musl
		{name: "node20-addon-built-on-alpine", runtime: "nodejs20.x", arch: "x86_64",
			code: []entry{nodeApp, addon("node_modules/imgproc/build/Release/imgproc.node", npmFileBytes(t, tgzSharpMusl, sharpMuslNode))},
			want: map[result.RuleID]string{result.NativeMusl: "imgproc.node"}},
		{name: "node20-musl-gcc-addon-in-layer", runtime: "nodejs22.x", arch: "x86_64", code: []entry{nodeApp},
			layers: [][]entry{{addon("nodejs/node_modules/fast/build/Release/fast.node", npmFileBytes(t, tgzRollupMusl, "rollup.linux-x64-musl.node"))}},
			want:   map[result.RuleID]string{result.NativeMusl: "nodejs/node_modules/fast/build/Release/fast.node"}},
		{name: "py311-musllinux-wheel", runtime: "python3.11", arch: "x86_64",
			code: []entry{pyApp, wheel("msgpack", "cp311-cp311-musllinux_1_1_x86_64"), file("msgpack/__init__.py", ""),
				addon("msgpack/_cmsgpack.cpython-311-x86_64-linux-gnu.so", npmFileBytes(t, tgzSharpMusl, sharpMuslNode))},
			want: map[result.RuleID]string{result.NativeMusl: "msgpack/_cmsgpack"}},
		{name: "py311-alpine-module-gnu-named", runtime: "python3.11", arch: "x86_64",
			code: []entry{pyApp, file("imgops/__init__.py", ""), addon("imgops/_ops.cpython-311-x86_64-linux-gnu.so", npmFileBytes(t, tgzSharpMusl, sharpMuslNode))},
			want: map[result.RuleID]string{result.NativeMusl: "imgops/_ops.cpython-311-x86_64-linux-gnu.so"}},
		// native-glibc
		{name: "py311-x86-cffi-needs-2.34", runtime: "python3.11", arch: "x86_64",
			code: cat([]entry{pyApp}, debTree(t, "amd64", "", "_cffi_backend.cpython-311-x86_64-linux-gnu.so", "yaml/_yaml.cpython-311-x86_64-linux-gnu.so")),
			want: map[result.RuleID]string{result.NativeGlibc: "_cffi_backend.cpython-311-x86_64-linux-gnu.so"}},
		{name: "py311-arm64-cffi-needs-2.34-in-layer", runtime: "python3.11", arch: "arm64", code: []entry{pyApp},
			layers: [][]entry{debTree(t, "arm64", "python/", "_cffi_backend.cpython-311-aarch64-linux-gnu.so")},
			want:   map[result.RuleID]string{result.NativeGlibc: "python/_cffi_backend"}},
		{name: "py311-manylinux_2_28-wheel-confirmed-by-bytes", runtime: "python3.11", arch: "x86_64",
			code: cat([]entry{pyApp, wheel("cffi", "cp311-cp311-manylinux_2_28_x86_64")}, debTree(t, "amd64", "", "_cffi_backend.cpython-311-x86_64-linux-gnu.so")),
			want: map[result.RuleID]string{result.NativeGlibc: "_cffi_backend"}},
		{name: "node18-addon-built-on-debian-12", runtime: "nodejs18.x", arch: "x86_64",
			code: []entry{nodeApp, addon("node_modules/ffi/build/Release/ffi.node", debModule(t, "amd64", "_cffi_backend.cpython-311-x86_64-linux-gnu.so"))},
			want: map[result.RuleID]string{result.NativeGlibc: "ffi.node"}},
		// native-python-abi
		{name: "py312-cpython-311-modules", runtime: "python3.12", arch: "x86_64",
			code: cat([]entry{pyApp}, debTree(t, "amd64", "", "yaml/_yaml.cpython-311-x86_64-linux-gnu.so", "ujson.cpython-311-x86_64-linux-gnu.so")),
			want: map[result.RuleID]string{result.NativePythonABI: "cpython-311"}},
		{name: "py313-layer-own-site-packages-with-cpython-311", runtime: "python3.13", arch: "x86_64", code: []entry{pyApp},
			layers: [][]entry{cat(debTree(t, "amd64", "python/lib/python3.11/site-packages/", "ujson.cpython-311-x86_64-linux-gnu.so"),
				debTree(t, "amd64", "python/lib/python3.13/site-packages/", "yaml/_yaml.cpython-311-x86_64-linux-gnu.so"))},
			want: map[result.RuleID]string{result.NativePythonABI: "python/lib/python3.13/site-packages/yaml/"}},
		{name: "py312-abi3-wheel-needs-3.13", runtime: "python3.12", arch: "x86_64",
			code: cat([]entry{pyApp, wheel("bcrypt", "cp313-abi3-manylinux_2_17_x86_64")}, debTree(t, "amd64", "", "bcrypt/_bcrypt.abi3.so")),
			want: map[result.RuleID]string{result.NativePythonABI: "bcrypt/_bcrypt.abi3.so"}},
		{name: "py312-free-threaded-build", runtime: "python3.12", arch: "x86_64",
			code: []entry{pyApp, file("fastjson/__init__.py", ""), addon("fastjson/_speedups.cpython-312t-x86_64-linux-gnu.so", debModule(t, "amd64", "simplejson/_speedups.cpython-311-x86_64-linux-gnu.so"))},
			want: map[result.RuleID]string{result.NativePythonABI: "_speedups.cpython-312t-x86_64-linux-gnu.so"}},
		{name: "py311-pypy-module-in-layer", runtime: "python3.11", arch: "x86_64", code: []entry{pyApp},
			layers: [][]entry{{addon("python/ujson.pypy39-pp73-x86_64-linux-gnu.so", debModule(t, "amd64", "ujson.cpython-311-x86_64-linux-gnu.so"))}},
			want:   map[result.RuleID]string{result.NativePythonABI: "python/ujson.pypy39-pp73-x86_64-linux-gnu.so"}},
		// native-platform-missing
		{name: "node20-x64-sharp-installed-on-a-mac", runtime: "nodejs20.x", arch: "x86_64",
			code: cat([]entry{nodeApp}, npmTree(t, "", "sharp", tgzSharp), npmTree(t, "", "@img/sharp-darwin-arm64", tgzSharpDarwin)),
			want: map[result.RuleID]string{result.NativePlatformMissing: "node_modules/sharp/lib/sharp.js"}},
		{name: "node20-x64-sharp-installed-on-alpine", runtime: "nodejs20.x", arch: "x86_64",
			code: cat([]entry{nodeApp}, npmTree(t, "", "sharp", tgzSharp), npmTree(t, "", "@img/sharp-linuxmusl-x64", tgzSharpMusl)),
			want: map[result.RuleID]string{result.NativePlatformMissing: "sharp/lib/sharp.js"}},
		{name: "node20-x64-sharp-without-libvips", runtime: "nodejs20.x", arch: "x86_64",
			code: cat([]entry{nodeApp}, npmTree(t, "", "sharp", tgzSharp), npmTree(t, "", "@img/sharp-linux-x64", tgzSharpLinuxX64)),
			want: map[result.RuleID]string{result.NativePlatformMissing: "sharp/lib/sharp.js"}},
		{name: "node20-x64-esbuild-for-arm64", runtime: "nodejs20.x", arch: "x86_64",
			code: cat([]entry{nodeApp}, npmTree(t, "", "esbuild", tgzEsbuild), npmTree(t, "", "@esbuild/linux-arm64", tgzEsbuildARM)),
			// esbuild spawns its binary on the first API call, not at require (TestLoaderOracle).
			want: map[result.RuleID]string{result.NativePlatformMissing: "node_modules/esbuild/"}, warn: true},
		{name: "node20-x64-rollup-musl-only-in-layer", runtime: "nodejs20.x", arch: "x86_64", code: []entry{nodeApp},
			layers: [][]entry{cat(npmTree(t, "nodejs/", "rollup", tgzRollup), npmTree(t, "nodejs/", "@rollup/rollup-linux-x64-musl", tgzRollupMusl))},
			want:   map[result.RuleID]string{result.NativePlatformMissing: "nodejs/node_modules/rollup/dist/native.js"}},
		{name: "node20-arm64-prebuilds-without-linux-arm64", runtime: "nodejs20.x", arch: "arm64",
			code: []entry{nodeApp, file("node_modules/fastaddon/package.json", `{"name":"fastaddon"}`),
				{name: "node_modules/fastaddon/prebuilds/linux-x64/fastaddon.glibc.node", data: npmFileBytes(t, tgzRollupX64, "rollup.linux-x64-gnu.node")},
				{name: "node_modules/fastaddon/prebuilds/linux-arm64/fastaddon.musl.node", data: npmFileBytes(t, tgzRollupMusl, "rollup.linux-x64-musl.node")},
				{name: "node_modules/fastaddon/prebuilds/darwin-arm64/fastaddon.node", data: npmFileBytes(t, tgzSharpDarwin, sharpDarwinNode)}},
			want: map[result.RuleID]string{result.NativePlatformMissing: "node_modules/fastaddon/"}},
		// extensions
		{name: "extension-not-executable", runtime: "python3.12", arch: "arm64", code: []entry{pyApp},
			layers: [][]entry{{{name: "extensions/agent", data: npmFileBytes(t, tgzEsbuildARM, "bin/esbuild"), mode: 0o644}}},
			want:   map[result.RuleID]string{result.ExtensionNotExecutable: "extensions/agent"}},
		{name: "extension-x64-in-arm64-function", runtime: "nodejs20.x", arch: "arm64", code: []entry{nodeApp},
			layers: [][]entry{{exe("agent", npmFileBytes(t, tgzEsbuildX64, "bin/esbuild"))}},
			want:   map[result.RuleID]string{result.ExtensionArchMismatch: "extensions/agent"}},
		{name: "extension-built-on-a-mac", runtime: "java21", arch: "arm64", code: []entry{file("Handler.class", "")},
			layers: [][]entry{{exe("agent", npmFileBytes(t, tgzEsbuildDarwin, "bin/esbuild"))}},
			want:   map[result.RuleID]string{result.ExtensionNotLinux: "extensions/agent"}},
		{name: "extension-needs-glibc-2.34-on-al2", runtime: "python3.11", arch: "x86_64", code: []entry{pyApp},
			layers: [][]entry{{exe("otel", elfFixture(t, "dynamic-x86_64"))}},
			want:   map[result.RuleID]string{result.ExtensionGlibc: "extensions/otel"}},
		{name: "extension-dangling-symlink", runtime: "nodejs20.x", arch: "x86_64", code: []entry{nodeApp},
			layers: [][]entry{{{name: "extensions/agent", data: []byte("../bin/agent"), mode: fs.ModeSymlink | 0o777}}},
			want:   map[result.RuleID]string{result.ExtensionNotExecutable: "extensions/agent"}},
		{name: "extension-arm64-in-x86-function", runtime: "python3.12", arch: "x86_64", code: []entry{pyApp},
			layers: [][]entry{{exe("agent", npmFileBytes(t, tgzEsbuildARM, "bin/esbuild"))}},
			want:   map[result.RuleID]string{result.ExtensionArchMismatch: "extensions/agent"}},
		{name: "extension-text-without-shebang", runtime: "ruby3.3", arch: "x86_64", code: []entry{file("app.rb", "def handler(event:, context:) end\n")},
			layers: [][]entry{{exe("agent", []byte("echo starting agent\n"))}},
			want:   map[result.RuleID]string{result.ExtensionNotLinux: "extensions/agent"}},
		{name: "extension-needs-glibc-2.34-on-provided.al2", runtime: "provided.al2", arch: "x86_64",
			code:   []entry{{name: "bootstrap", data: []byte("#!/bin/sh\nexec true\n"), mode: 0o755}},
			layers: [][]entry{{exe("otel", elfFixture(t, "dynamic-x86_64"))}},
			want:   map[result.RuleID]string{result.ExtensionGlibc: "extensions/otel"}},
		{name: "extension-sh-crlf-second-layer", runtime: "python3.13", arch: "arm64", code: []entry{pyApp},
			layers: [][]entry{{exe("agent", npmFileBytes(t, tgzEsbuildARM, "bin/esbuild"))}, {exe("wrapper", []byte("#!/bin/sh\r\nexec agent\r\n"))}},
			want:   map[result.RuleID]string{result.ExtensionScriptCRLF: "extensions/wrapper"}},
		{name: "extension-script-crlf", runtime: "nodejs20.x", arch: "x86_64", code: []entry{nodeApp},
			layers: [][]entry{{exe("wrapper", []byte("#!/bin/bash\r\necho hi\r\n"))}},
			want:   map[result.RuleID]string{result.ExtensionScriptCRLF: "extensions/wrapper"}},
	}
}

func TestCorpusGood(t *testing.T) {
	cases := goodCases(t)
	if len(cases) < 15 {
		t.Fatalf("%d good packages, want at least 15", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkCase(t, tc) })
	}
}

func TestCorpusBad(t *testing.T) {
	cases := badCases(t)
	perRule := map[result.RuleID]int{}
	for _, tc := range cases {
		for id := range tc.want {
			perRule[id]++
		}
		t.Run(tc.name, func(t *testing.T) { checkCase(t, tc) })
	}
	if len(cases) < 20 {
		t.Errorf("%d bad packages, want at least 20", len(cases))
	}
	for _, id := range []result.RuleID{result.NativeArchMismatch, result.NativeNotLinux, result.NativeMusl, result.NativeGlibc,
		result.NativePythonABI, result.NativePlatformMissing, result.ExtensionNotExecutable, result.ExtensionArchMismatch,
		result.ExtensionNotLinux, result.ExtensionGlibc, result.ExtensionScriptCRLF} {
		if perRule[id] == 0 {
			t.Errorf("no bad package for %s", id)
		}
	}
	t.Logf("bad packages per rule: %v", perRule)
}
