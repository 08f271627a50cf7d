package native

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAnalyzeJS(t *testing.T) {
	native := func(spec string) bool {
		return strings.HasSuffix(spec, ".node") || nodeLoaderLibraries[spec] || strings.Contains(spec, "-linux-")
	}
	tests := []struct {
		name, src string
		init      map[string]loadPos
		want      loadPos // of the first native site
		none      bool
	}{
		{name: "top-level require of a loader", src: "module.exports = require('node-gyp-build')(__dirname)\n", want: posEager},
		{name: "bufferutil fallback", src: "'use strict';\ntry {\n  module.exports = require('node-gyp-build')(__dirname);\n} catch (e) {\n  module.exports = require('./fallback');\n}\n", want: posGuarded},
		{name: "catch that rethrows", src: "try { module.exports = require('./x.node') } catch (e) { throw e }\n", want: posEager},
		{name: "candidates then throw (sharp, napi-rs)", src: "let b; for (const p of ps) { try { b = require(p); break } catch (e) { errs.push(e) } }\nif (!b) { throw new Error('Failed to load native binding') }\nmodule.exports = b\n", want: posEager},
		{name: "throw only when the environment asks (dtrace-provider)", src: "var P; try { P = require('./build/' + x + '/b') } catch (e) { err = e }\nif (!P) { if (process.env.NODE_DTRACE_PROVIDER_REQUIRE === 'hard') { throw err } else { P = Stub } }\n", want: posGuarded},
		{name: "inside a function never called at init (oracledb Thick mode)", src: "function initOracleClient() { return require('../build/Release/oracledb.node') }\nmodule.exports = { initOracleClient }\n", want: posLazy},
		{name: "function called at init", src: "function load() { return require('./x.node') }\nmodule.exports = load()\n", want: posEager},
		{name: "arrow bound to a name, called at init", src: "const load = () => require('bindings')('x')\nconst b = load()\n", want: posEager},
		{name: "immediately invoked function", src: "module.exports = (function () { return require('./x.node') })()\n", want: posEager},
		{name: "method", src: "class A { get b() { return require('./x.node') } }\n", want: posLazy},
		{name: "function the requiring module calls (kerberos loadBindings)", src: "function loadBindings() { try { return require('../build/Release/kerberos.node') } catch (e) { try { return require('../build/Debug/kerberos.node') } catch { throw e } } }\nmodule.exports = { loadBindings }\n",
			init: map[string]loadPos{"loadBindings": posEager}, want: posEager},
		{name: "ES module import of a platform package", src: "import b from '@x/y-linux-x64-gnu'\nexport default b\n", want: posEager},
		{name: "computed require", src: "const b = require(`@img/sharp-${rt}/sharp.node`)\n", want: posEager},
		{name: "process.dlopen", src: "const m = { exports: {} }\nprocess.dlopen(m, p)\n", want: posEager},
		{name: "no native load", src: "const a = require('./a')\nmodule.exports = a\n", none: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mod, err := analyzeJS([]byte(tt.src), native, tt.init)
			if err != nil {
				t.Fatal(err)
			}
			var first *jsSite
			for i := range mod.sites {
				if mod.sites[i].native {
					first = &mod.sites[i]
					break
				}
			}
			if tt.none {
				if first != nil {
					t.Fatalf("found a native load %+v", *first)
				}
				return
			}
			if first == nil {
				t.Fatalf("no native load found in %d sites", len(mod.sites))
			}
			if first.pos != tt.want {
				t.Errorf("position %v, want %v", first.pos, tt.want)
			}
		})
	}
}

func TestAnalyzeJSBadInput(t *testing.T) {
	if _, err := analyzeJS([]byte("function ( {"), func(string) bool { return false }, nil); err == nil || !strings.Contains(err.Error(), "parse JavaScript") {
		t.Fatalf("err = %v, want a parse error", err)
	}
}

// TestAnalyzeJSCorpus reads loaders of the installed corpus (mk/native.mk native-corpus).
func TestAnalyzeJSCorpus(t *testing.T) {
	root, err := filepath.Abs("../../.cache/native/trees/x64")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Skip("corpus trees not installed (make native-corpus)")
	}
	tests := []struct {
		file string
		want loadPos
	}{
		{"bufferutil@4.1.0/node_modules/bufferutil/index.js", posGuarded},
		{"utf-8-validate@6.0.6/node_modules/utf-8-validate/index.js", posGuarded},
		{"dtrace-provider@0.8.8/node_modules/dtrace-provider/dtrace-provider.js", posGuarded},
		{"@datadog+native-appsec@11.0.3/node_modules/@datadog/native-appsec/index.js", posEager},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(root, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			mod, err := analyzeJS(src, func(s string) bool { return strings.HasSuffix(s, ".node") || nodeLoaderLibraries[s] }, nil)
			if err != nil {
				t.Fatal(err)
			}
			best := loadPos(-1)
			for _, s := range mod.sites {
				if s.native && (best < 0 || s.pos < best) {
					best = s.pos
				}
			}
			if best != tt.want {
				t.Errorf("load %v, want %v (sites %+v)", best, tt.want, mod.sites)
			}
		})
	}
}

// FuzzAnalyzeJS: any bytes as a module never panic; an error names the parse.
func FuzzAnalyzeJS(f *testing.F) {
	for _, s := range []string{
		"module.exports = require('node-gyp-build')(__dirname)\n",
		"try { module.exports = require('./x.node') } catch (e) { module.exports = require('./fallback') }\n",
		"function f() { return import('oxc-parser') }\nif (process.env.X) { throw new Error() }\n",
		"import b from '@x/y-linux-x64-gnu'\nexport * from './z.js'\nconst l = () => require(`${a}.node`); l()\n",
		"(function () { process.dlopen(m, p) })()\nclass A { static { require.addon('.', __filename) } }\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		mod, err := analyzeJS(src, func(s string) bool { return strings.HasSuffix(s, ".node") }, map[string]loadPos{"f": posEager})
		if err != nil {
			if !strings.Contains(err.Error(), "parse JavaScript") {
				t.Fatalf("error %v does not say what failed", err)
			}
			return
		}
		for _, s := range mod.sites {
			if s.pos < posEager || s.pos > posLazy {
				t.Fatalf("position %d out of range", s.pos)
			}
		}
	})
}
