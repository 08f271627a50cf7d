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
	if base == ServerlessTemplate && IsServerlessPackage(dir) {
		// The template alone points every function at the deployment bucket; its zips are
		// known from the folder.
		return Decision{Kind: ServerlessPackage, Check: dir, Why: path + " is serverless package output: checking it with the zips " + dir + " says it uploads"}, nil
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
