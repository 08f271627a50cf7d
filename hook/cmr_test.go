package main

import (
	"slices"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// TestCustomRuntimeUnderRIE: the built bootstrap under the Lambda Runtime Interface Emulator
// checks a function on a customer-managed runtime (an ordinary .zip of code in MinIO, no
// bootstrap) and reads the runtime alias's lifecycle through its own Lambda Core client from
// the GetRuntimeAlias test server: SUCCESS, and one read for two invocations (kept per execution
// environment); a deprecated alias FAILs a create; a denied read FAILs (fail-closed) saying so.
func TestCustomRuntimeUnderRIE(t *testing.T) {
	const (
		arn     = "arn:aws:lambda:eu-west-1:123456789012:runtime/acme-python"
		old     = "arn:aws:lambda:eu-west-1:123456789012:runtime/acme-python-old"
		private = "arn:aws:lambda:eu-west-1:210987654321:runtime/private"
	)
	m := testenv.StartMinIO(t)
	m.Bucket(t, "assets", false)
	m.Put(t, "assets", "app.zip", testenv.Zip(t, 0o644, map[string][]byte{"app.py": []byte("def handler(e, c):\n    return 1\n")}))
	core := testenv.StartLambdaCore(t)
	core.PutAlias(arn, "prod", testenv.AliasBody(arn, "prod", "ACTIVE", []string{"arm64"}, map[string]string{"ReleaseState": "GA", "DeprecationDate": "2028-06-30"}))
	core.PutAlias(old, "prod", testenv.AliasBody(old, "prod", "ACTIVE", []string{"arm64"},
		map[string]string{"ReleaseState": "DEPRECATED", "DeprecationDate": "2026-10-01", "FunctionCreateBlockDate": "2027-01-01", "FunctionUpdateBlockDate": "2027-02-01"}))
	core.Deny(private, true)

	bootstrap := build(t, t.TempDir(), ".", "linux", hostArch(), "lambda.norpc")
	rie := testenv.StartRIE(t, bootstrap, append(append(m.Env(), core.Env()...), "BOOTSTRAP_GUARD_DATE=2026-12-06"))
	fn := func(runtimeArn string) map[string]any {
		return map[string]any{"Runtime": "custom", "Handler": "app.handler", "Architectures": []string{"arm64"},
			"Code":          map[string]any{"S3Bucket": "assets", "S3Key": "app.zip"},
			"RuntimeConfig": map[string]any{"RuntimeArn": runtimeArn, "RuntimeAlias": "prod"}}
	}
	for range 2 {
		checkAnswer(t, rie, rie.Invoke(t, event(t, "create.json", "OnCustom", fn(arn))), hookapi.StatusSuccess, "", "", "OnCustom (custom, arm64) passed")
	}
	if got := core.Requests(); !slices.Equal(got, []string{arn + " prod"}) {
		t.Errorf("GetRuntimeAlias calls %v, want one (kept per execution environment)", got)
	}
	checkAnswer(t, rie, rie.Invoke(t, event(t, "create.json", "OnOld", fn(old))), hookapi.StatusFailed, hookapi.NonCompliant, "custom-runtime-deprecated", "will block creating functions on it from 2027-01-01")
	checkAnswer(t, rie, rie.Invoke(t, event(t, "update.json", "OnOld", fn(old))), hookapi.StatusSuccess, "", "", "Lambda accepts this update")
	checkAnswer(t, rie, rie.Invoke(t, event(t, "create.json", "OnPrivate", fn(private))), hookapi.StatusFailed, hookapi.NonCompliant, "custom-runtime-unchecked", "access denied")
}
