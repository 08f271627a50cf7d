package handler

import (
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// FuzzResolve feeds hostile handler strings and package.json bytes to every resolver: each must
// answer without panicking, and a Found answer must name a file that exists.
func FuzzResolve(f *testing.F) {
	f.Add("index.handler", `{"type":"module","main":"lib/x.js"}`, "/var/task/index.js")
	f.Add("/opt/nodejs/node_modules/datadog-lambda-js/handler.handler", `{"main":null}`, "/opt/nodejs/node_modules/datadog-lambda-js/handler.js")
	f.Add("src/app.handler", `[]`, "/var/task/src/app.py")
	f.Add("source.LambdaFunctions::Handler.process", ``, "/var/task/source.rb")
	f.Add("A::B.C::D", `{"exports":{".":"./x.js"}}`, "/var/task/A.dll")
	f.Add("x.h/x.h", `{"main":"../../../../etc/passwd"}`, "/var/task/x.js")
	f.Add("com.example.Handler::handleRequest", ``, "/var/task/lib/app.jar")
	fams := []runtimes.Family{runtimes.FamilyNode, runtimes.FamilyPython, runtimes.FamilyRuby, runtimes.FamilyJava, runtimes.FamilyDotnet}
	names := []string{"nodejs22.x", "python3.13", "ruby3.4", "java21", "dotnet8"}
	f.Fuzz(func(t *testing.T, h, pkg, file string) {
		if len(file) == 0 || file[0] != '/' {
			file = "/var/task/" + file
		}
		fsys := newFS(file+"=x", "/var/task/package.json="+pkg, "/var/task/node_modules/a/package.json="+pkg)
		for i, fam := range fams {
			r, err := Resolve(fsys, Runtime{Name: names[i], Family: fam, Arch: "arm64"}, h)
			if err != nil {
				t.Fatalf("%s %q: %v", fam, h, err)
			}
			if r.Verdict == Found {
				if k, _ := fsys.Stat(r.File); k != File {
					t.Fatalf("%s %q: found %s, which is %v", fam, h, r.File, k)
				}
			}
		}
	})
}
