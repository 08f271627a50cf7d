package cfn

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// TestNeedsBuild: a SAM CodeUri directory that sam build compiles is not the package (its files
// are sources), while a Python or Node.js directory is deployed as it is and gets inspected.
func TestNeedsBuild(t *testing.T) {
	tests := []struct {
		name, runtime, metadata string
		files                   []string
		want                    result.PackageReason // "" = inspected
	}{
		{"python sources", "python3.13", "", []string{"app.py", "requirements.txt"}, ""},
		{"node sources", "nodejs22.x", "", []string{"app.js", "package.json"}, ""},
		{"maven project", "java21", "", []string{"pom.xml"}, result.ReasonNeedsBuild},
		{"java without a build file", "java21", "", []string{"README.md"}, result.ReasonNeedsBuild},
		{"dotnet project", "dotnet8", "", []string{"Fn.csproj"}, result.ReasonNeedsBuild},
		{"go module", "provided.al2023", "", []string{"go.mod", "main.go"}, result.ReasonNeedsBuild},
		{"esbuild", "nodejs22.x", "\n    Metadata:\n      BuildMethod: esbuild", []string{"app.ts"}, result.ReasonNeedsBuild},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "src")
			if err := os.Mkdir(src, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.files {
				if err := os.WriteFile(filepath.Join(src, f), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			tmpl := "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function" + tc.metadata +
				"\n    Properties:\n      Runtime: " + tc.runtime + "\n      Handler: app.handler\n      CodeUri: src\n"
			p := filepath.Join(dir, "template.yaml")
			if err := os.WriteFile(p, []byte(tmpl), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := LoadTemplate(p, "")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			pkg := s.Functions[0].Package
			if pkg.Reason != tc.want || pkg.Inspected != (tc.want == "") {
				t.Errorf("package = %+v, want reason %q", pkg, tc.want)
			}
		})
	}
}
