package jsmodule

import (
	"errors"
	"testing"
)

// FuzzModule feeds arbitrary bytes to the parser and every analysis built on it: each must answer
// without panicking, a syntax error must carry a position, and a module must give a decision
// for every Node major and extension.
func FuzzModule(f *testing.F) {
	for _, s := range []string{
		"const { S3 } = require('x');\nconst S3 = new S3();\n",
		"import a from './a.js';\nexport const handler = async (e, c, cb) => c.succeed(a);\n",
		"#!/usr/bin/env node\nif (x) return;\nexports.handler = function (e, c, cb) {};\n",
		"const v = await 1;\nexport default { handler: (e) => v };\n",
		"module.exports = { handler };\nfunction handler(e, context) { context.done(); }\n",
		"export { h as handler };\nvar h = (a, b, c = 1, ...d) => 1;\n",
		"class A { #x; static { this.y = import.meta.url } }\n",
		"`${",
		"/*",
		"a = /re/g; b = a / 2 / 3;",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, goal := range []Goal{CommonJS, ESModule} {
			m, err := Parse(src, goal)
			var se *SyntaxError
			if errors.As(err, &se) {
				if se.Line < 1 || se.Column < 1 {
					t.Fatalf("syntax error without a position: %+v", se)
				}
				continue
			}
			if err != nil {
				continue
			}
			for _, name := range []string{"handler", "default", "x"} {
				m.Handler(name)
			}
			for _, major := range []int{18, 20, 22, 24} {
				n := Node{Major: major}
				for _, ext := range []string{".js", ".mjs", ".cjs", ""} {
					for _, typ := range []PackageType{"", "module", "commonjs"} {
						d := n.Decide(ext, typ, m)
						n.LoadFailure(d, m, true)
						n.LoadFailure(d, m, false)
					}
				}
			}
		}
	})
}
