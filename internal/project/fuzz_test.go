package project

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzServerless feeds the reader of serverless package output arbitrary serverless-state.json, template and
// serverless.yml bytes: it must return an error or a mapping, never panic.
func FuzzServerless(f *testing.F) {
	f.Add([]byte(stateJSON), []byte(templateJSON), []byte("functions:\n  hello:\n    handler: x\npackage:\n  artifact: a.zip\n"))
	f.Add([]byte(`{"service":{"service":{"name":"svc"},"artifact":"/a/svc.zip","functions":{"a-b":{"image":"x"},"c_d":{}}},"package":{"artifact":"svc.zip"}}`),
		[]byte(`{"Resources":{"ADashbLambdaFunction":{"Type":"AWS::Lambda::Function","Properties":{"Code":{"S3Key":7}}}}}`), []byte("functions: [1, 2]\n"))
	f.Add([]byte(`{"service":{"service":"s","functions":{"":{"package":{"artifact":"s3://b/k"}}}}}`), []byte(`{"Resources":null}`), []byte("&a [*a]\n"))
	dir := filepath.Join(os.TempDir(), "svc", ServerlessDir)
	f.Fuzz(func(t *testing.T, state, template, config []byte) {
		cfg := slsConfig{lines: map[string]int{}}
		cfg.parse(config)
		s, err := parseServerless(dir, state, template, cfg)
		if err == nil && s.Service == "" {
			t.Fatal("a package without a service name was accepted")
		}
	})
}
