package inspect

import (
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// TestNodeHandlerCode shows each Node.js handler-code rule firing on the form of issue 26 that
// Lambda refuses, and quiet on the working form real tools emit, through the whole engine.
func TestNodeHandlerCode(t *testing.T) {
	f := func(name, data string) entry { return entry{name: name, data: []byte(data), mode: 0o644} }
	callback := "exports.handler = function (event, context, callback) { callback(null, { statusCode: 200 }); };\n"
	tests := []struct {
		name    string
		runtime string
		files   []entry
		want    result.RuleID // "" quiet
		sev     result.Severity
		text    string // in the message
	}{
		{"redeclared const (aws-cdk-examples)", "nodejs22.x", []entry{f("index.js", "const { S3 } = require('@aws-sdk/client-s3');\nconst S3 = new S3();\nexports.handler = async () => 1;\n")},
			result.HandlerSyntaxError, result.Error, "index.js:2:7"},
		{"syntax error in an imported package file", "nodejs20.x", []entry{f("index.js", "const lib = require('./lib');\nexports.handler = async () => lib;\n"), f("lib/index.js", "module.exports = {;\n")},
			result.HandlerSyntaxError, result.Error, "lib/index.js:1:"},
		{"tsc CommonJS output", "nodejs22.x", []entry{f("index.js", "\"use strict\";\nObject.defineProperty(exports, \"__esModule\", { value: true });\nexports.handler = void 0;\nconst handler = async (event) => ({ statusCode: 200 });\nexports.handler = handler;\n")},
			"", "", ""},
		{"import mixed with require in .js", "nodejs22.x", []entry{f("index.js", "import { S3Client } from '@aws-sdk/client-s3';\nconst util = require('./util');\nexports.handler = async () => util;\n"), f("util.js", "module.exports = 1;\n")},
			result.HandlerModuleFormat, result.Error, "require is not defined in ES module scope"},
		{"export in a .js on nodejs18.x", "nodejs18.x", []entry{f("index.js", "export function handler(event) { return 1; }\n")},
			result.HandlerModuleFormat, result.Error, "Unexpected token 'export'"},
		{"export in a .js on nodejs20.x: syntax detection loads it", "nodejs20.x", []entry{f("index.js", "export function handler(event) { return 1; }\n")},
			"", "", ""},
		{"export in .js under \"type\": \"commonjs\"", "nodejs24.x", []entry{f("package.json", `{"type":"commonjs"}`), f("index.js", "export const handler = async () => 1;\n")},
			result.HandlerModuleFormat, result.Error, "Unexpected token 'export'"},
		{"\"type\": \"module\" with ESM", "nodejs22.x", []entry{f("package.json", `{"type":"module"}`), f("index.js", "import { x } from './x.js';\nexport const handler = async () => x;\n"), f("x.js", "export const x = 1;\n")},
			"", "", ""},
		{"CommonJS under \"type\": \"module\"", "nodejs22.x", []entry{f("package.json", `{"type":"module"}`), f("index.js", "exports.handler = async () => 1;\n")},
			result.HandlerModuleFormat, result.Error, "exports is not defined in ES module scope"},
		{"top-level await required by the nodejs22.x client", "nodejs22.x", []entry{f("index.js", "const cfg = await Promise.resolve(1);\nexport const handler = async () => cfg;\n")},
			result.HandlerModuleFormat, result.Error, "ERR_REQUIRE_ASYNC_MODULE"},
		{"top-level await in .mjs", "nodejs22.x", []entry{f("index.mjs", "const cfg = await Promise.resolve(1);\nexport const handler = async () => cfg;\n")},
			"", "", ""},
		{"callback handler on nodejs24.x", "nodejs24.x", []entry{f("index.js", callback)},
			result.HandlerCallbackRemoved, result.Error, "Runtime.CallbackHandlerDeprecated"},
		{"callback handler on nodejs22.x", "nodejs22.x", []entry{f("index.js", callback)},
			"", "", ""},
		{"async handler on nodejs24.x", "nodejs24.x", []entry{f("index.mjs", "export const handler = async (event, context) => context.getRemainingTimeInMillis();\n")},
			"", "", ""},
		{"context.succeed on nodejs24.x", "nodejs24.x", []entry{f("index.js", "exports.handler = function (event, context) { context.succeed({ ok: true }); };\n")},
			result.HandlerContextMethods, result.Error, "context.succeed is not a function"},
		{"context.succeed on nodejs20.x", "nodejs20.x", []entry{f("index.js", "exports.handler = function (event, context) { context.succeed({ ok: true }); };\n")},
			"", "", ""},
		{"TypeScript main in a layer's node_modules on nodejs24.x", "nodejs24.x", []entry{f("index.js", "const { f } = require('shared');\nexports.handler = async () => f(1);\n")},
			result.HandlerTypeScript, result.Error, "ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING"},
		{"handler past the read budget: info, nothing decided", "nodejs24.x", []entry{f("index.js", "exports.handler = function (event, context, callback) {};\n/*"+strings.Repeat("x", 4<<20)+"*/\n")},
			result.HandlerSyntaxError, result.Info, "not read past this point"},
		{"compiled main in node_modules on nodejs24.x", "nodejs24.x", []entry{f("index.js", "const { f } = require('shared');\nexports.handler = async () => f(1);\n"),
			f("node_modules/shared/package.json", `{"name":"shared","main":"index.js"}`), f("node_modules/shared/index.js", "exports.f = (x) => x;\n")},
			"", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handler := "index.handler"
			fn := Function{Runtime: tt.runtime, Handler: handler, Code: zipSource("code.zip", mkzip(t, tt.files...))}
			if strings.Contains(tt.name, "layer's node_modules") {
				fn.Layers = append(fn.Layers, zipSource("layer.zip", mkzip(t,
					f("nodejs/node_modules/shared/package.json", `{"name":"shared","main":"index.ts"}`),
					f("nodejs/node_modules/shared/index.ts", "export const f = (x: number): number => x;\n"))))
			}
			res := packageFindings(run(t, fn))
			if tt.want == "" {
				if len(res.Findings) != 0 {
					t.Fatalf("want no finding, got %+v", res.Findings)
				}
				return
			}
			for _, got := range res.Findings {
				if got.Rule == tt.want && got.Severity == tt.sev {
					if !strings.Contains(got.Message, tt.text) {
						t.Errorf("message lacks %q: %s", tt.text, got.Message)
					}
					return
				}
			}
			t.Fatalf("want %s (%s), got %+v", tt.want, tt.sev, res.Findings)
		})
	}
}
