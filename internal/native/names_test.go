package native

import (
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/elfinfo"
)

func TestParsePyName(t *testing.T) {
	cases := []struct {
		in   string
		want PyName
	}{
		{"_yaml.cpython-311-x86_64-linux-gnu.so", PyName{Kind: PyExtension, Module: "_yaml", Tag: "cpython-311-x86_64-linux-gnu", Impl: "cpython", Major: 3, Minor: 11, Platform: Platform{OS: OSLinux, Arch: ArchX86, Libc: LibcGNU}}},
		{"_core.cpython-312-aarch64-linux-gnu.so", PyName{Kind: PyExtension, Module: "_core", Tag: "cpython-312-aarch64-linux-gnu", Impl: "cpython", Major: 3, Minor: 12, Platform: Platform{OS: OSLinux, Arch: ArchARM, Libc: LibcGNU}}},
		{"_x.cpython-313t-x86_64-linux-gnu.so", PyName{Kind: PyExtension, Module: "_x", Tag: "cpython-313t-x86_64-linux-gnu", Impl: "cpython", Major: 3, Minor: 13, Flags: "t", Platform: Platform{OS: OSLinux, Arch: ArchX86, Libc: LibcGNU}}},
		{"_x.cpython-37m-x86_64-linux-gnu.so", PyName{Kind: PyExtension, Module: "_x", Tag: "cpython-37m-x86_64-linux-gnu", Impl: "cpython", Major: 3, Minor: 7, Flags: "m", Platform: Platform{OS: OSLinux, Arch: ArchX86, Libc: LibcGNU}}},
		{"_x.cpython-313-x86_64-linux-musl.so", PyName{Kind: PyExtension, Module: "_x", Tag: "cpython-313-x86_64-linux-musl", Impl: "cpython", Major: 3, Minor: 13, Platform: Platform{OS: OSLinux, Arch: ArchX86, Libc: LibcMusl}}},
		{"_speedups.cpython-312-darwin.so", PyName{Kind: PyExtension, Module: "_speedups", Tag: "cpython-312-darwin", Impl: "cpython", Major: 3, Minor: 12, Platform: Platform{OS: OSDarwin}}},
		{"_rust.abi3.so", PyName{Kind: PyExtension, Module: "_rust", Tag: "abi3", ABI3: true}},
		{"_rust.abi3-aarch64-linux-gnu.so", PyName{Kind: PyExtension, Module: "_rust", Tag: "abi3-aarch64-linux-gnu", ABI3: true, Platform: Platform{OS: OSLinux, Arch: ArchARM, Libc: LibcGNU}}},
		{"plain.so", PyName{Kind: PyExtension, Module: "plain"}},
		{"_x.cp312-win_amd64.pyd", PyName{Kind: PyExtension, Module: "_x", Tag: "cp312-win_amd64", Impl: "cpython", Major: 3, Minor: 12, Platform: Platform{OS: OSWindows, Arch: ArchX86}}},
		{"_x.pyd", PyName{Kind: PyExtension, Module: "_x", Platform: Platform{OS: OSWindows}}},
		{"_x.pypy39-pp73-x86_64-linux-gnu.so", PyName{Kind: PyExtension, Module: "_x", Tag: "pypy39-pp73-x86_64-linux-gnu", Impl: "pypy", Platform: Platform{OS: OSLinux, Arch: ArchX86, Libc: LibcGNU}}},
		{"libopenblas64_p-r0-0cf96a72.3.23.dev.so", PyName{Kind: PyLibrary, Module: "libopenblas64_p-r0-0cf96a72", Tag: "3.23.dev"}},
		{"libgfortran-040039e1.so.5.0.0", PyName{Kind: PyLibrary, Module: "libgfortran-040039e1"}},
		{"libjpeg.62.dylib", PyName{Kind: PyLibrary, Module: "libjpeg", Platform: Platform{OS: OSDarwin}}},
		{"libffi.so", PyName{Kind: PyLibrary, Module: "libffi"}},
		{"app.py", PyName{}},
		{"libfoo.so.1.beta", PyName{}},
		{".so", PyName{Kind: PyExtension}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := ParsePyName(tc.in); got != tc.want {
				t.Errorf("ParsePyName(%q)\n got  %+v\n want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseNodePlatform(t *testing.T) {
	cases := []struct {
		in   string
		want Platform
		ok   bool
	}{
		{"@img/sharp-linux-x64", Platform{OS: OSLinux, Arch: ArchX86}, true},
		{"@img/sharp-linuxmusl-arm64", Platform{OS: OSLinux, Arch: ArchARM, Libc: LibcMusl}, true},
		{"@img/sharp-libvips-linux-arm64", Platform{OS: OSLinux, Arch: ArchARM}, true},
		{"@img/sharp-darwin-arm64", Platform{OS: OSDarwin, Arch: ArchARM}, true},
		{"@img/sharp-win32-x64", Platform{OS: OSWindows, Arch: ArchX86}, true},
		{"@img/sharp-wasm32", Platform{OS: OSWasm}, true},
		{"@esbuild/linux-arm64", Platform{OS: OSLinux, Arch: ArchARM}, true},
		{"esbuild-linux-64", Platform{OS: OSLinux, Arch: ArchX86}, true},
		{"@rollup/rollup-linux-x64-gnu", Platform{OS: OSLinux, Arch: ArchX86, Libc: LibcGNU}, true},
		{"@rollup/rollup-linux-x64-musl", Platform{OS: OSLinux, Arch: ArchX86, Libc: LibcMusl}, true},
		{"@swc/core-win32-x64-msvc", Platform{OS: OSWindows, Arch: ArchX86}, true},
		{"lightningcss-linux-arm-gnueabihf", Platform{OS: OSLinux, Arch: "arm", Libc: LibcGNU}, true},
		{"linux-x64", Platform{OS: OSLinux, Arch: ArchX86}, true},
		{"darwin-x64+arm64", Platform{OS: OSDarwin, Arch: "universal"}, true},
		{"sharp", Platform{}, false},
		{"linux-tools", Platform{}, false},
		{"my-linux-x64-helper-extra", Platform{}, false},
		{"", Platform{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseNodePlatform(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("ParseNodePlatform(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestParseWheel(t *testing.T) {
	good := "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\nRoot-Is-Purelib: false\nTag: cp312-cp312-manylinux_2_17_x86_64\nTag: cp312-cp312-manylinux2014_x86_64\n\n"
	w, err := ParseWheel([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if w.Version != "1.0" || w.Purelib || len(w.Tags) != 2 || w.Tags[0] != (WheelTag{"cp312", "cp312", "manylinux_2_17_x86_64"}) {
		t.Errorf("got %+v", w)
	}
	w, err = ParseWheel([]byte("Wheel-Version: 1.0\r\nRoot-Is-Purelib: true\r\nTag: py2.py3-none-any\r\n"))
	if err != nil || len(w.Tags) != 2 || w.Tags[1].Python != "py3" || !w.Purelib {
		t.Errorf("compressed tag set: %+v %v", w, err)
	}
	for name, bad := range map[string]string{
		"no version":  "Tag: cp312-cp312-linux_x86_64\n",
		"binary":      "Wheel-Version: 1.0\n\x00\x01",
		"bad tag":     "Wheel-Version: 1.0\nTag: cp312-linux_x86_64\n",
		"empty part":  "Wheel-Version: 1.0\nTag: cp312--linux_x86_64\n",
		"too large":   "Wheel-Version: 1.0\n" + string(make([]byte, MaxWheelFile)),
		"long line":   "Wheel-Version: 1.0\nTag: " + string(make([]byte, MaxWheelFile-30)) + "\n",
		"tag explode": "Wheel-Version: 1.0\nTag: a.b.c.d.e.f.g-a.b.c.d.e.f.g-a.b.c.d.e.f.g\n",
	} {
		if _, err := ParseWheel([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParsePlatformTag(t *testing.T) {
	v := func(a, b int) elfinfo.Version { return elfinfo.Version{Major: a, Minor: b} }
	cases := []struct {
		in   string
		want TagPlatform
	}{
		{"manylinux1_x86_64", TagPlatform{Platform: Platform{OS: OSLinux, Arch: ArchX86, Libc: LibcGNU}, Glibc: v(2, 5)}},
		{"manylinux2010_x86_64", TagPlatform{Platform: Platform{OS: OSLinux, Arch: ArchX86, Libc: LibcGNU}, Glibc: v(2, 12)}},
		{"manylinux2014_aarch64", TagPlatform{Platform: Platform{OS: OSLinux, Arch: ArchARM, Libc: LibcGNU}, Glibc: v(2, 17)}},
		{"manylinux_2_28_x86_64", TagPlatform{Platform: Platform{OS: OSLinux, Arch: ArchX86, Libc: LibcGNU}, Glibc: v(2, 28)}},
		{"musllinux_1_2_aarch64", TagPlatform{Platform: Platform{OS: OSLinux, Arch: ArchARM, Libc: LibcMusl}}},
		{"linux_x86_64", TagPlatform{Platform: Platform{OS: OSLinux, Arch: ArchX86}}},
		{"macosx_11_0_arm64", TagPlatform{Platform: Platform{OS: OSDarwin, Arch: ArchARM}}},
		{"macosx_10_9_universal2", TagPlatform{Platform: Platform{OS: OSDarwin, Arch: "universal2"}}},
		{"win_amd64", TagPlatform{Platform: Platform{OS: OSWindows, Arch: ArchX86}}},
		{"any", TagPlatform{Any: true}},
		{"manylinux_x_y_x86_64", TagPlatform{Platform: Platform{OS: OSLinux, Arch: ArchX86, Libc: LibcGNU}}},
		{"emscripten_3_1_wasm32", TagPlatform{Platform: Platform{OS: OSOther}}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			tc.want.Tag = tc.in
			if got := ParsePlatformTag(tc.in); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestPyLoadRank(t *testing.T) {
	const trip = "x86_64-linux-gnu"
	order := []string{"_m.cpython-312-x86_64-linux-gnu.so", "_m.abi3-x86_64-linux-gnu.so", "_m.abi3.so", "_m.so"}
	for i, n := range order {
		if r := pyLoadRank(ParsePyName(n), 3, 12, trip); r != i {
			t.Errorf("%s: rank %d, want %d", n, r, i)
		}
	}
	for _, n := range []string{"_m.cpython-311-x86_64-linux-gnu.so", "_m.cpython-312-aarch64-linux-gnu.so", "_m.cpython-312t-x86_64-linux-gnu.so",
		"_m.cpython-312-x86_64-linux-musl.so", "_m.cpython-312-darwin.so", "_m.cp312-win_amd64.pyd", "_m.pypy310-pp73-x86_64-linux-gnu.so", "_m.abi3-aarch64-linux-gnu.so"} {
		if r := pyLoadRank(ParsePyName(n), 3, 12, trip); r != 99 {
			t.Errorf("%s loads on CPython 3.12 x86_64 (rank %d)", n, r)
		}
	}
}

func TestNormDist(t *testing.T) {
	for in, want := range map[string]string{"PyYAML": "pyyaml", "pydantic_core": "pydantic_core", "Foo.Bar--baz": "foo_bar_baz", "numpy.libs": "numpy_libs"} {
		if got := normDist(in); got != want {
			t.Errorf("normDist(%q) = %q, want %q", in, got, want)
		}
	}
}
