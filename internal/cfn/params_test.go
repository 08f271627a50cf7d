package cfn

import (
	"maps"
	"os"
	"path/filepath"
	"testing"
)

func TestReadParameters(t *testing.T) {
	dir := t.TempDir()
	want := map[string]string{"Stage": "prod", "Note": "two words"}
	for _, tc := range []struct{ name, body string }{
		{"cfn.json", `[{"ParameterKey":"Stage","ParameterValue":"prod"},{"ParameterKey":"Note","ParameterValue":"two words"},{"ParameterKey":"Old","UsePreviousValue":true}]`},
		{"deploy.json", `["Stage=prod", "Note=two words"]`},
		{"pipeline.json", `{"Parameters": {"Stage": "prod", "Note": "two words"}}`},
		{"overrides.txt", `Stage=prod Note="two words"`},
		{"overrides-cfn.txt", `ParameterKey=Stage,ParameterValue=prod ParameterKey=Note,ParameterValue='two words'`},
		{"samconfig.toml", "version = 0.1\n[default.deploy.parameters]\nstack_name = \"app\"\nparameter_overrides = \"Stage=prod Note=\\\"two words\\\"\"\n"},
		{"samconfig-list.toml", "[default.deploy.parameters]\nparameter_overrides = [\"Stage=prod\", \"Note='two words'\"]\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			os.WriteFile(p, []byte(tc.body), 0o644)
			got, err := ReadParameters(p)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
	for _, bad := range []string{`[{"Key":"x"}]`, `{"Stage":"prod"}`, `Stage`, `[1,2`, "parameter_overrides = \"unterminated"} {
		p := filepath.Join(dir, "bad")
		os.WriteFile(p, []byte(bad), 0o644)
		if got, err := ReadParameters(p); err == nil {
			t.Errorf("%s: got %v, want an error", bad, got)
		}
	}
	if _, err := ReadParameters(filepath.Join(dir, "none")); err == nil {
		t.Error("missing file: want an error")
	}
}

// FuzzParameters reads arbitrary parameters files: errors are fine, panics are not.
func FuzzParameters(f *testing.F) {
	for _, s := range []string{`[{"ParameterKey":"K","ParameterValue":"V"}]`, `["K=V"]`, `{"Parameters":{"K":"V"}}`,
		`K=V K2="a b" K3='c\'d'`, "parameter_overrides = [\"K=V\", 'K2=x']", `ParameterKey=K,ParameterValue="x y"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		parseParameters(b)
	})
}
