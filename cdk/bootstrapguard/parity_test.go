package bootstrapguard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/bootstrap-guard/bootstrap-guard/internal/cli"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image/imagetest"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// parityFunction is one function of the parity app, as each front-end is given it.
type parityFunction struct {
	id      string // construct ID in the stack
	zip     string // "good" or "nested"; "" for the image and the missing asset
	runtime string
	tag     string // bootstrap-guard:exempt value; "" for none
	image   bool
	unbuilt bool // an image asset without a built image beside it
	missing bool // a CDK asset that is not in the assembly
}

var parityFunctions = []parityFunction{
	{id: "Good", zip: "good", runtime: "provided.al2023"},
	{id: "Nested", zip: "nested", runtime: "provided.al2023"},
	{id: "Legacy", zip: "good", runtime: "provided.al2"},
	{id: "RuleExempt", zip: "nested", runtime: "provided.al2023", tag: "bootstrap-nested: vendor layout"},
	{id: "OtherExempt", zip: "nested", runtime: "provided.al2023", tag: "bootstrap-glibc: other rule"},
	{id: "Typo", zip: "nested", runtime: "provided.al2023", tag: "bootstrap-nestd: typo"},
	{id: "Whole", zip: "nested", runtime: "provided.al2023", tag: "CHG-1234 retired"},
	{id: "Image", image: true},
	{id: "Unbuilt", image: true, unbuilt: true},
	{id: "Missing", runtime: "provided.al2", missing: true},
}

// verdict is what one front-end said about one function, reduced to what every front-end can
// say: the live findings as rule:severity (errors and warnings; the validation report leaves info
// out), the exempted rules, and whether the whole function was exempt. Sorted.
type verdict struct {
	live, exempted []string
	whole          bool
}

func (v verdict) String() string {
	return fmt.Sprintf("live %v exempted %v whole %v", v.live, v.exempted, v.whole)
}

func (v *verdict) sort() {
	slices.Sort(v.live)
	v.live = slices.Compact(v.live)
	slices.Sort(v.exempted)
	v.exempted = slices.Compact(v.exempted)
}

// TestFrontEndParity: the same functions through the four front-ends — the hook under the Lambda
// RIE (packages in MinIO, the image in a loopback registry that answers like ECR), the CLI (on
// the zip, on the synthesized template, on the cloud assembly), the synth-time aspect and the
// validation plugin — give the same rule IDs and severities: zip packages, a deprecated runtime,
// per-rule, misspelt and whole-function exemptions, a built image beside its asset, and a
// missing asset.
func TestFrontEndParity(t *testing.T) {
	const date = "2026-11-24"
	dir := t.TempDir()
	good, nested := samples(t, dir)
	zips := map[string]string{"good": good, "nested": nested}
	// The image: arm64, without ENTRYPOINT or CMD (image-entrypoint-missing), saved beside its
	// Docker build context as `docker save` would.
	img := imagetest.Image(t, imagetest.Spec{OS: "linux", Arch: "arm64"})
	imgDir := filepath.Join(dir, "image")
	os.MkdirAll(imgDir, 0o755)
	os.WriteFile(filepath.Join(imgDir, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	tag, _ := name.NewTag("parity:latest")
	if err := tarball.WriteToFile(filepath.Join(imgDir, "image.tar"), tag, img); err != nil {
		t.Fatal(err)
	}
	unbuilt := filepath.Join(dir, "unbuilt")
	os.MkdirAll(unbuilt, 0o755)
	os.WriteFile(filepath.Join(unbuilt, "Dockerfile"), []byte("FROM scratch\n"), 0o644)
	opts := &PackageCheckOptions{Date: jsii.String(date)}

	build := func(app awscdk.App) awscdk.Stack {
		stack := awscdk.NewStack(app, jsii.String("Parity"), nil)
		for _, f := range parityFunctions {
			var fn constructs.IConstruct
			switch {
			case f.image:
				context := imgDir
				if f.unbuilt {
					context = unbuilt
				}
				fn = awslambda.NewDockerImageFunction(stack, jsii.String(f.id), &awslambda.DockerImageFunctionProps{
					Code: awslambda.DockerImageCode_FromImageAsset(jsii.String(context), nil), Architecture: awslambda.Architecture_ARM_64()})
			case f.missing:
				role := awsiam.NewRole(stack, jsii.String(f.id+"Role"), &awsiam.RoleProps{AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil)})
				c := awslambda.NewCfnFunction(stack, jsii.String(f.id), &awslambda.CfnFunctionProps{
					Runtime: jsii.String(f.runtime), Handler: jsii.String("bootstrap"), Role: role.RoleArn(), Architectures: jsii.Strings("arm64"),
					Code: &awslambda.CfnFunction_CodeProperty{S3Bucket: jsii.String("assets"), S3Key: jsii.String("missing.zip")}})
				c.AddMetadata(jsii.String("aws:asset:path"), jsii.String("asset.missing"))
				fn = c
			default:
				fn = goFunction(stack, f.id, zips[f.zip], &awslambda.FunctionProps{Runtime: awslambda.NewRuntime(jsii.String(f.runtime), awslambda.RuntimeFamily_OTHER, nil)})
			}
			if f.tag != "" {
				awscdk.Tags_Of(fn).Add(jsii.String(ExemptTag), jsii.String(f.tag), nil)
			}
		}
		return stack
	}

	got := map[string]map[string]verdict{} // front-end -> function -> verdict
	put := func(frontEnd, fn string, v verdict) {
		if got[frontEnd] == nil {
			got[frontEnd] = map[string]verdict{}
		}
		v.sort()
		got[frontEnd][fn] = v
	}

	// The aspect: annotations on each function.
	// Asset metadata on, as the CDK CLI runs apps: how an assembly names an image asset's
	// directory (aws:asset:path).
	assetMetadata := map[string]any{"aws:cdk:enable-asset-metadata": true}
	aspectApp := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &assetMetadata})
	stack := build(aspectApp)
	awscdk.Aspects_Of(aspectApp).Add(NewPackageCheck(opts), nil)
	ann := assertions.Annotations_FromStack(stack)
	for _, f := range parityFunctions {
		var v verdict
		path := "/Parity/" + f.id
		for _, level := range []string{"error", "warning", "info"} {
			for _, m := range messages(ann, level, path) {
				rule, _, ok := strings.Cut(strings.TrimPrefix(m, "["), "]")
				switch {
				case strings.Contains(m, "not checked, tagged"):
					v.whole = true
				case !strings.HasPrefix(m, "[") || !ok:
					t.Errorf("aspect: %s: unexpected annotation %q", f.id, m)
				case level == "info" && strings.Contains(m, "Exempted by the tag"):
					v.exempted = append(v.exempted, rule)
				case level != "info":
					v.live = append(v.live, rule+":"+level)
				}
			}
		}
		put("aspect", f.id, v)
	}

	// The validation plugin: its report in the assembly, which the CLI then reads too.
	out := t.TempDir()
	pluginApp := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(out), Context: &map[string]any{"@aws-cdk/core:validationReportJson": true, "aws:cdk:enable-asset-metadata": true}})
	awscdk.Validations_Of(pluginApp).AddPlugins(NewPolicyValidation(opts))
	build(pluginApp)
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "Validation failed") {
				t.Errorf("synth: panic %v, want Validation failed", r)
			}
		}()
		pluginApp.Synth(nil)
	}()
	b, err := os.ReadFile(filepath.Join(out, "validation-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	type pluginReport struct {
		PluginName string `json:"pluginName"`
		Violations []struct {
			RuleName            string `json:"ruleName"`
			Severity            string `json:"severity"`
			ViolatingConstructs []struct {
				ConstructPath string `json:"constructPath"`
			} `json:"violatingConstructs"`
		} `json:"violations"`
	}
	var report struct {
		PluginReports []pluginReport `json:"pluginReports"`
	}
	if err := json.Unmarshal(b, &report); err != nil {
		t.Fatalf("report %v:\n%s", err, b)
	}
	// CDK adds its own plugin (CloudFormation Validate); ours is the one named bootstrap-guard.
	i := slices.IndexFunc(report.PluginReports, func(r pluginReport) bool { return r.PluginName == "bootstrap-guard" })
	if i < 0 {
		t.Fatalf("no bootstrap-guard report:\n%s", b)
	}
	plugin := map[string]verdict{}
	for _, v := range report.PluginReports[i].Violations {
		for _, c := range v.ViolatingConstructs {
			id := strings.Split(strings.TrimPrefix(c.ConstructPath, "Parity/"), "/")[0]
			pv := plugin[id]
			pv.live = append(pv.live, v.RuleName+":"+v.Severity)
			plugin[id] = pv
		}
	}
	for _, f := range parityFunctions {
		put("plugin", f.id, plugin[f.id])
	}

	// The CLI on the cloud assembly and on the template; on the zip for untagged zip functions.
	// A function's logical ID is its construct ID, plus CDK's 8-digit hash for one inside an L2.
	constructID := func(logicalID string) string {
		for _, f := range parityFunctions {
			if rest, ok := strings.CutPrefix(logicalID, f.id); ok && (rest == "" || len(rest) == 8) {
				return f.id
			}
		}
		return logicalID
	}
	cliRun := func(args ...string) map[string]verdict {
		var stdout, stderr bytes.Buffer
		env := cli.Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }, Now: time.Now}
		code := cli.Run(context.Background(), append([]string{"check", "--format", "json", "--date", date}, args...), env)
		if code == cli.ExitUsage {
			t.Fatalf("cli %v: exit %d\n%s", args, code, stderr.String())
		}
		var res struct {
			Results []struct {
				Target   string `json:"target"`
				Exempted any    `json:"exempted"`
				Findings []struct {
					Rule     string `json:"rule"`
					Severity string `json:"severity"`
					Exempted any    `json:"exempted"`
				} `json:"findings"`
			} `json:"results"`
		}
		if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
			t.Fatalf("cli %v: %v\n%s", args, err, stdout.String())
		}
		m := map[string]verdict{}
		for _, r := range res.Results {
			v := verdict{whole: r.Exempted != nil}
			for _, f := range r.Findings {
				switch {
				case f.Exempted != nil:
					v.exempted = append(v.exempted, f.Rule)
				case f.Severity != "info":
					v.live = append(v.live, f.Rule+":"+f.Severity)
				}
			}
			m[constructID(r.Target[strings.LastIndex(r.Target, "/")+1:])] = v
		}
		return m
	}
	for frontEnd, args := range map[string][]string{
		"cli cdk.out":  {out},
		"cli template": {"--assets", out, filepath.Join(out, "Parity.template.json")},
	} {
		m := cliRun(args...)
		for _, f := range parityFunctions {
			put(frontEnd, f.id, m[f.id])
		}
	}
	for _, f := range parityFunctions {
		if f.zip != "" && f.tag == "" {
			m := cliRun("--runtime", f.runtime, "--arch", "arm64", zips[f.zip])
			put("cli zip", f.id, m[filepath.Base(zips[f.zip])])
		}
	}

	// The hook, built as the Makefile builds it, under the RIE: packages in MinIO, the image in a
	// registry answering like ECR.
	m := testenv.StartMinIO(t)
	m.Bucket(t, "assets", false)
	for k, p := range zips {
		b, _ := os.ReadFile(p)
		m.Put(t, "assets", k+".zip", b)
	}
	reg := imagetest.StartRegistry(t)
	reg.RequireBasic("ecr-token-password")
	ecr := imagetest.StartECR(t, "ecr-token-password")
	reg.Push(t, "parity:latest", img)
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bootstrap := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc,bootstrapguard_testurls", "-o", bootstrap, "./hook")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the hook: %v\n%s", err, b)
	}
	rie := testenv.StartRIE(t, bootstrap, append(m.Env(), "BOOTSTRAP_GUARD_DATE="+date,
		"AWS_ENDPOINT_URL_ECR="+ecr.URL, "BOOTSTRAP_GUARD_INSECURE_REGISTRIES="+reg.Host))
	for _, f := range parityFunctions {
		if f.missing || f.unbuilt {
			continue // the hook reads S3 and registries, not the assembly: a missing object is a read error (TestBootstrapUnderRIE)
		}
		props := map[string]any{"Architectures": []string{"arm64"}}
		if f.image {
			props["PackageType"] = "Image"
			props["Code"] = map[string]any{"ImageUri": reg.Host + "/parity:latest"}
		} else {
			props["Runtime"], props["Handler"] = f.runtime, "bootstrap"
			props["Code"] = map[string]any{"S3Bucket": "assets", "S3Key": f.zip + ".zip"}
		}
		if f.tag != "" {
			props["Tags"] = []map[string]string{{"Key": ExemptTag, "Value": f.tag}}
		}
		body := rie.Invoke(t, testenv.HookEvent(t, "create.json", f.id, props))
		var resp hookapi.Response
		if err := json.Unmarshal(body, &resp); err != nil {
			t.Fatalf("hook %s: %v\n%s\n%s", f.id, err, body, rie.Output())
		}
		var v verdict
		for _, a := range resp.Annotations {
			sev := map[hookapi.SeverityLevel]string{hookapi.SeverityHigh: "error", hookapi.SeverityMedium: "warning"}[a.SeverityLevel]
			switch {
			case a.AnnotationName == "exempt" && a.Status == hookapi.AnnotationSkipped:
				v.whole = true
			case a.Status == hookapi.AnnotationSkipped:
				v.exempted = append(v.exempted, a.AnnotationName)
			case a.Status == hookapi.AnnotationFailed && sev != "":
				v.live = append(v.live, a.AnnotationName+":"+sev)
			}
		}
		put("hook", f.id, v)
	}

	// What the pipeline says, so the comparison cannot pass on four empty answers.
	want := map[string]verdict{
		"Good":        {},
		"Nested":      {live: []string{"bootstrap-nested:error"}},
		"Legacy":      {live: []string{"runtime-deprecated:error"}},
		"RuleExempt":  {exempted: []string{"bootstrap-nested"}},
		"OtherExempt": {live: []string{"bootstrap-nested:error"}},
		"Typo":        {live: []string{"bootstrap-nested:error", "exemption-ignored:warning"}},
		"Whole":       {whole: true},
		"Image":       {live: []string{"image-entrypoint-missing:error"}},
		"Unbuilt":     {live: []string{"package-not-inspected:warning"}},
		"Missing":     {live: []string{"package-not-inspected:warning", "runtime-deprecated:error"}},
	}
	for _, f := range parityFunctions {
		w := want[f.id]
		w.sort()
		for _, frontEnd := range []string{"cli cdk.out", "cli template", "cli zip", "plugin", "aspect", "hook"} {
			v, ok := got[frontEnd][f.id]
			if !ok {
				continue // not given to this front-end (a tagged function to the zip CLI, the missing asset to the hook)
			}
			exp := w
			if frontEnd == "plugin" {
				exp.exempted, exp.whole = nil, false // the report lists violations only
			}
			if frontEnd == "aspect" && f.missing {
				exp = verdict{} // the aspect checks local assets only: a CfnFunction with S3 code is not one
			}
			if !slices.Equal(v.live, exp.live) || !slices.Equal(v.exempted, exp.exempted) || v.whole != exp.whole {
				t.Errorf("%s: %s: %s, want %s", f.id, frontEnd, v, exp)
			}
		}
	}
}
