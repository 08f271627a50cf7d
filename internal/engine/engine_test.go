package engine

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/source"
)

var day = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

// nestedZip is a custom-runtime package whose bootstrap sits in bin/hello/.
func nestedZip(t *testing.T) inspect.Source {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bin/hello/bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	f, err := w.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("#!/bin/sh\necho hi\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return inspect.Source{Name: "nested.zip", ReaderAt: bytes.NewReader(buf.Bytes()), Size: int64(buf.Len())}
}

func nestedFunction(t *testing.T) inspect.Function {
	return inspect.Function{Target: "Fn", Runtime: "provided.al2023", Handler: "bootstrap", Code: nestedZip(t)}
}

func rules(res result.Result) []string {
	var out []string
	for _, f := range res.Findings {
		s := string(f.Rule) + "/" + string(f.Severity)
		if f.Exempted != nil {
			s += "/exempted"
		}
		out = append(out, s)
	}
	return out
}

func TestEvaluate(t *testing.T) {
	fn := func(t *testing.T, rt string, tags map[string]string) Function {
		return Function{Function: inspect.Function{Target: "Fn", Runtime: rt, Handler: "bootstrap", Code: nestedZip(t)}, Tags: tags}
	}
	tests := []struct {
		name   string
		policy Policy
		fn     func(t *testing.T) Function
		status result.Status
		want   []string
	}{
		{"nested bootstrap fails", Policy{Date: day}, func(t *testing.T) Function { return fn(t, "provided.al2023", nil) },
			result.Fail, []string{"bootstrap-nested/error"}},
		{"skip rule turns it off", Policy{Date: day, SkipRules: []result.RuleID{result.BootstrapNested}},
			func(t *testing.T) Function { return fn(t, "provided.al2023", nil) }, result.Pass, nil},
		{"deprecated runtime", Policy{Date: day}, func(t *testing.T) Function { return fn(t, "provided", nil) },
			result.Fail, []string{"bootstrap-nested/error", "runtime-deprecated/error"}},
		{"per-rule exemption", Policy{Date: day}, func(t *testing.T) Function {
			return fn(t, "provided.al2023", map[string]string{exemptions.Tag: "bootstrap-nested: vendor"})
		}, result.Pass, []string{"bootstrap-nested/error/exempted"}},
		{"whole exemption skips", Policy{Date: day}, func(t *testing.T) Function {
			return fn(t, "provided.al2023", map[string]string{exemptions.Tag: "legacy"})
		}, result.Skip, nil},
		{"whole exemption ignored under rules-only", Policy{Date: day, Exemptions: exemptions.RulesOnly}, func(t *testing.T) Function {
			return fn(t, "provided.al2023", map[string]string{exemptions.Tag: "legacy"})
		}, result.Fail, []string{"bootstrap-nested/error", "exemption-ignored/warning"}},
		{"image problem", Policy{Date: day}, func(t *testing.T) Function {
			return Function{Function: inspect.Function{Target: "Img"}, Image: (&Resolver{}).ImageURI("", image.Overrides{})}
		}, result.Fail, []string{"image-unreadable/error"}},
		{"image skipped", Policy{Date: day}, func(t *testing.T) Function {
			return Function{Function: inspect.Function{Target: "Img"}, Image: &Image{Skip: "not read"}}
		}, result.Skip, []string{"package-not-inspected/warning"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(tc.policy)
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.Evaluate(context.Background(), tc.fn(t))
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status || !slices.Equal(rules(res), tc.want) {
				t.Errorf("got %s %v, want %s %v", res.Status, rules(res), tc.status, tc.want)
			}
			if res.Architecture != result.ArchX86 {
				t.Errorf("architecture %q, want the default x86_64", res.Architecture)
			}
			for _, id := range tc.policy.SkipRules {
				if slices.Contains(res.Evaluated, id) {
					t.Errorf("%s is turned off but listed as evaluated", id)
				}
			}
		})
	}
}

// TestReadError: a source that cannot be read is the caller's *source.Error, not a verdict.
func TestReadError(t *testing.T) {
	e, _ := New(Policy{Date: day})
	r := &Resolver{}
	_, err := r.S3Object(context.Background(), "b", "k.zip", "")
	se := source.As(err)
	if se == nil || se.Kind != source.KindS3 || se.Bucket != "b" || se.Key != "k.zip" {
		t.Fatalf("S3Object without a client: %v", err)
	}
	_, err = r.Layer(context.Background(), "arn:aws:lambda:us-east-1:123456789012:layer:x:1")
	if se := source.As(err); se == nil || se.Kind != source.KindLayer {
		t.Fatalf("Layer without a client: %v", err)
	}
	fn := Function{Function: inspect.Function{Target: "Fn", Runtime: "provided.al2023", Handler: "bootstrap",
		Code: inspect.Source{Name: "broken", ReaderAt: failingReader{}, Size: 1 << 20}}}
	if _, err := e.Evaluate(context.Background(), fn); !inspect.IsSourceError(err) {
		t.Errorf("unreadable package: %v, want a source error", err)
	}
}

type failingReader struct{}

func (failingReader) ReadAt([]byte, int64) (int, error) { return 0, errors.New("connection reset") }

func TestPolicyEnv(t *testing.T) {
	p := Policy{WarnDays: 30, Allow: []string{"python3.9"}, Deny: []string{"nodejs22.x"}, Date: day,
		Exemptions: exemptions.RulesOnly, SkipRules: []result.RuleID{result.PathBackslash, result.ModeForeignHost}}
	env := p.Env()
	got, err := PolicyFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip: got %+v, want %+v", got, p)
	}
	if env := DefaultPolicy().Env(); len(env) != 1 || env[EnvExemptions] != "any" {
		t.Errorf("default policy's environment = %v, want only the exemption mode", env)
	}
	d, err := PolicyFromEnv(func(string) string { return "" })
	if err != nil || !reflect.DeepEqual(d, DefaultPolicy()) {
		t.Errorf("empty environment: %+v, %v", d, err)
	}
	for _, tc := range []struct{ key, val, want string }{
		{EnvWarnDays, "-1", EnvWarnDays},
		{EnvWarnDays, "4000", EnvWarnDays},
		{EnvSkipRules, "bootstrap-nestd", `"bootstrap-nestd" is neither a rule ID nor a rule family`},
		{EnvAllowRuntimes, "pyhton3.12", `"pyhton3.12" is not a Lambda runtime`},
		{EnvExemptions, "some", EnvExemptions},
		{EnvDate, "24/11/2026", EnvDate},
	} {
		t.Run(tc.key+"="+tc.val, func(t *testing.T) {
			_, err := PolicyFromEnv(func(k string) string {
				if k == tc.key {
					return tc.val
				}
				return ""
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Errorf("default policy: %v", err)
	}
	err := Policy{WarnDays: -3, Allow: []string{"go1.x"}, Deny: []string{"go1.x"}, SkipRules: []result.RuleID{"nope-rule"}}.Validate()
	for _, field := range []string{"WarnDays", "Allow", "SkipRules"} {
		if err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("error %v does not name %s", err, field)
		}
	}
	renamed := RenameFields(err, map[string]string{"WarnDays": "warn-days"}, "--%s")
	if !strings.Contains(renamed.Error(), "--warn-days -3") {
		t.Errorf("renamed: %v", renamed)
	}
	if _, err := New(Policy{SkipRules: []result.RuleID{"nope-rule"}}); err == nil {
		t.Error("New accepted an unknown rule")
	}
}
