// Package project knows what deployment tools write and how to tell their projects apart: the
// Serverless Framework's .serverless folder, the SAM CLI's .aws-sam build folder and packaged
// templates, the CDK's cloud assembly and asset staging. Each layout fact names the tool's source
// file it comes from. The CLI asks Detect what a PATH is and checks what it returns.
package project

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Kind is what a PATH was recognised as.
type Kind string

// Kinds, in the order Detect tries them on a folder.
const (
	ServerlessPackage Kind = "serverless-package" // `serverless package` output (.serverless)
	Assembly          Kind = "cdk-assembly"       // a CDK cloud assembly (cdk.out)
	CDKApp            Kind = "cdk-app"            // a CDK app (cdk.json) and its synthesized assembly
	SAMBuild          Kind = "sam-build"          // `sam build` output (.aws-sam/build/template.yaml)
	Template          Kind = "template"           // a CloudFormation or SAM template
	CodeFolder        Kind = "code-folder"        // a function's code, checked as its package
)

// ErrNotBuilt is matched by Detect's errors for a project whose tool has not produced what is
// deployed yet: the message names the command to run.
var ErrNotBuilt = errors.New("what it deploys is not built yet")

// Decision is what Detect decided a PATH is and what to check for it.
type Decision struct {
	Kind Kind
	// Check is the path to check: a template, an assembly folder, a package folder, or PATH.
	Check string
	// Why says what was found, for the user ("a CDK app (cdk.json): checking its cloud assembly
	// cdk.out"); "" when PATH is checked as it is.
	Why string
	// Built is set for a template that `sam build` wrote.
	Built bool
}

// CDK's project configuration and its default output folder (aws/aws-cdk, packages/aws-cdk:
// lib/cli/user-configuration.ts PROJECT_CONFIG = 'cdk.json', defaults { output: 'cdk.out' };
// lib/cxapp/exec.ts synthesizes into settings.output).
const (
	CDKConfig    = "cdk.json"
	CDKOutDir    = "cdk.out"
	assemblyFile = "manifest.json"
)

// SAM CLI's build layout (aws/aws-sam-cli): `sam build` writes into .aws-sam/build
// (samcli/commands/_utils/constants.py DEFAULT_BUILD_DIR, DEFAULT_BUILT_TEMPLATE_PATH), the
// template of each stack as <build dir>/<stack path>/template.yaml
// (samcli/lib/providers/provider.py Stack.get_output_template_path), each function's package as
// the folder <build dir>/<stack path>/<function logical ID> (provider.py _get_build_dir), the
// build graph as .aws-sam/build.toml (samcli/lib/build/build_graph.py), and rewrites CodeUri to
// that folder relative to the written template (samcli/lib/build/app_builder.py update_template,
// samcli/commands/_utils/template.py move_template).
var (
	SAMBuildDir      = filepath.Join(".aws-sam", "build")
	SAMBuiltTemplate = filepath.Join(".aws-sam", "build", "template.yaml")
	// SAMTemplates are the names sam looks for a project's template under, in its order
	// (samcli/commands/_utils/options.py get_or_default_template_file_name).
	SAMTemplates = []string{"template.yaml", "template.yml", "template.json"}
)

// Detect decides what PATH is. A folder is, in this order: `serverless package` output, a cloud
// assembly, a CDK app, a Serverless service (packaged: its .serverless folder), a SAM project
// (built: .aws-sam/build/template.yaml, else its template), a folder holding a template, and only
// otherwise a function's code. A file is a serverless.yml, a cdk.json, a template (sam build's
// output is marked Built) or a package. A project whose tool has not run yet is an ErrNotBuilt
// error naming the command.
func Detect(path string) (Decision, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Decision{}, fmt.Errorf("open %s: %w", path, err)
	}
	if !st.IsDir() {
		return detectFile(path)
	}
	dir := path
	switch {
	case IsServerlessPackage(dir):
		return Decision{Kind: ServerlessPackage, Check: dir, Why: dir + " is serverless package output: checking " + ServerlessTemplate + " with the zips it uploads"}, nil
	case exists(filepath.Join(dir, assemblyFile)):
		return Decision{Kind: Assembly, Check: dir}, nil
	case isCDKConfig(filepath.Join(dir, CDKConfig)):
		return cdkApp(dir)
	}
	if cfg := ServerlessConfig(dir); cfg != "" {
		return serverlessService(dir, cfg)
	}
	if built := filepath.Join(dir, SAMBuiltTemplate); exists(built) {
		return Decision{Kind: SAMBuild, Check: built, Built: true, Why: dir + " is a SAM project built by sam build: checking " + built}, nil
	}
	for _, n := range SAMTemplates {
		if t := filepath.Join(dir, n); exists(t) {
			if IsSAMBuildTemplate(t) {
				return Decision{Kind: SAMBuild, Check: t, Built: true, Why: dir + " is sam build output: checking " + t}, nil
			}
			why := dir + " holds the template " + n + ": checking it"
			if isSAM(t) {
				why = dir + " is a SAM project not built yet (no " + SAMBuiltTemplate + "): checking " + n + " as written; run sam build to check the packages sam deploy uploads"
			}
			return Decision{Kind: Template, Check: t, Why: why}, nil
		}
	}
	return Decision{Kind: CodeFolder, Check: dir, Why: dir + " holds no serverless.yml, cdk.json, template or cloud assembly: checking it as a function's code"}, nil
}

func detectFile(path string) (Decision, error) {
	base := filepath.Base(path)
	dir := filepath.Dir(path)
	if base == CDKConfig && isCDKConfig(path) {
		return cdkApp(dir)
	}
	for _, n := range ServerlessConfigs {
		if base == n {
			return serverlessService(dir, path)
		}
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json", ".yaml", ".yml", ".template":
		return Decision{Kind: Template, Check: path, Built: IsSAMBuildTemplate(path)}, nil
	}
	return Decision{Kind: CodeFolder, Check: path}, nil
}

// IsSAMBuildTemplate reports whether a template is `sam build` output: it is template.yaml in a
// build folder, which sam marks with build.toml in the folder's parent (build_graph.py).
func IsSAMBuildTemplate(path string) bool {
	if filepath.Base(path) != "template.yaml" {
		return false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	// <build dir>/template.yaml, or <build dir>/<nested stack path>/template.yaml.
	for d := filepath.Dir(abs); d != filepath.Dir(d); d = filepath.Dir(d) {
		if exists(filepath.Join(filepath.Dir(d), "build.toml")) || filepath.Base(d) == "build" && filepath.Base(filepath.Dir(d)) == ".aws-sam" {
			return true
		}
		if exists(filepath.Join(d, "samconfig.toml")) || exists(filepath.Join(d, ".git")) {
			return false
		}
	}
	return false
}

func serverlessService(dir, cfg string) (Decision, error) {
	pkg := filepath.Join(dir, ServerlessDir)
	if IsServerlessPackage(pkg) {
		return Decision{Kind: ServerlessPackage, Check: pkg, Why: dir + " is a Serverless Framework service (" + filepath.Base(cfg) + "): checking its serverless package output " + pkg}, nil
	}
	return Decision{}, fmt.Errorf("%s is a Serverless Framework service configuration and %w: run serverless package in %s first, then check %s (the generated template with the zips it uploads)", cfg, ErrNotBuilt, dir, pkg)
}

func cdkApp(dir string) (Decision, error) {
	cfg := filepath.Join(dir, CDKConfig)
	out := CDKOutDir
	if b, err := readFile(cfg); err == nil {
		var c struct {
			Output string `json:"output"`
		}
		if json.Unmarshal(b, &c) == nil && c.Output != "" {
			out = c.Output
		}
	}
	asm := out
	if !filepath.IsAbs(asm) {
		asm = filepath.Join(dir, out)
	}
	if !exists(filepath.Join(asm, assemblyFile)) {
		return Decision{}, fmt.Errorf("%s is a CDK app (%s) and %w (no cloud assembly in %s): run cdk synth in %s first, then check it again (the assembly's templates and assets are what cdk deploy uploads)", dir, CDKConfig, ErrNotBuilt, asm, dir)
	}
	return Decision{Kind: CDKApp, Check: asm, Why: dir + " is a CDK app (" + CDKConfig + "): checking its cloud assembly " + asm}, nil
}

// isCDKConfig reports whether a cdk.json is CDK's configuration rather than a template given that
// name: a JSON object without Resources.
func isCDKConfig(path string) bool {
	b, err := readFile(path)
	if err != nil {
		return false
	}
	var c map[string]json.RawMessage
	if json.Unmarshal(b, &c) != nil {
		return false
	}
	_, tmpl := c["Resources"]
	return !tmpl
}

// isSAM reports whether a template uses the SAM transform.
func isSAM(path string) bool {
	b, err := readFile(path)
	return err == nil && strings.Contains(string(b), "AWS::Serverless")
}
