package project

import (
	"fmt"
	"path"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// Place is where a function's package comes from in its project, for fix texts that name what the
// user edits (the asset folder, serverless.yml's artifact) instead of the generated package.
type Place struct {
	Tool string // "serverless", "sam", "cdk"; "" for a package checked as it is
	// CDK: the construct and the folder Code.fromAsset staged ("" when unknown).
	ConstructPath, AssetSource string
	// Serverless: the function's name and its zip, as the user would type it.
	Function, Artifact string
	// SAM: the function's Handler and Metadata BuildMethod.
	Handler, BuildMethod string
}

// Remedy rewrites the fix of bootstrap findings for where the package comes from. It changes
// remediation texts only, never a verdict.
func Remedy(res *result.Result, p Place) {
	for i, f := range res.Findings {
		if fix := p.fix(f); fix != "" {
			res.Findings[i].Remediation = fix
		}
	}
}

func (p Place) fix(f result.Finding) string {
	nested := f.Rule == result.BootstrapNested && f.Path != ""
	missing := f.Rule == result.BootstrapMissing && f.Severity == result.Error
	switch p.Tool {
	case "cdk":
		src := p.AssetSource
		switch {
		case nested && src != "":
			dir := path.Dir(f.Path)
			return fmt.Sprintf("Put bootstrap at the root of %s (it is at %s), or point Code.fromAsset at %s. The Handler value is ignored by OS-only runtimes and cannot point Lambda at a path.",
				src, path.Join(src, f.Path), path.Join(src, dir))
		case nested:
			return fmt.Sprintf("Put bootstrap at the root of the folder %s gives Code.fromAsset (it is at %s inside it), or point Code.fromAsset at the folder that holds it.", p.ConstructPath, f.Path)
		case missing && src != "":
			return fmt.Sprintf("Build the executable as bootstrap at the root of %s (go build -tags lambda.norpc -o %s), or point Code.fromAsset at the folder that holds it.", src, path.Join(src, "bootstrap"))
		}
	case "serverless":
		if f.Rule == result.PackageNotInspected {
			return fmt.Sprintf("Build the zip function %s deploys, run serverless package again, then check the .serverless folder it writes.", p.Function)
		}
		if nested && p.Artifact != "" && strings.HasSuffix(p.Artifact, ".zip") {
			return fmt.Sprintf("Zip the file without its directories: zip -j %s %s (the package.artifact of function %s), then run serverless package again. The handler value is ignored by OS-only runtimes and cannot point Lambda at a path.",
				p.Artifact, f.Path, p.Function)
		}
		if nested {
			return fmt.Sprintf("Build the zip of function %s with bootstrap at its root (zip -j ARTIFACT.zip %s) and give it as the function's package.artifact; serverless package keeps folders as they are.", p.Function, f.Path)
		}
	case "sam":
		// sam build names a Go executable after the function's Handler
		// (aws/aws-sam-cli samcli/lib/build/app_builder.py _get_build_options: "go":
		// {"artifact_executable_name": handler}).
		if missing && strings.HasPrefix(p.BuildMethod, "go") && p.Handler != "bootstrap" {
			return fmt.Sprintf("Set Handler: bootstrap. sam build names the Go executable after Handler, so Handler %q built a file called %q; OS-only runtimes start only /var/task/bootstrap.", p.Handler, p.Handler)
		}
	}
	return ""
}
