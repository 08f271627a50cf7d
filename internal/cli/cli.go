// Package cli is the bootstrap-guard command line: it parses arguments, turns each PATH into the
// functions it holds, runs the engine and renders the results. Run returns the exit code so main
// stays a one-liner and every path through the command is testable.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/report"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// Exit codes, part of the command's contract.
const (
	ExitPass  = 0 // every function passed (or was skipped)
	ExitFail  = 1 // at least one function failed
	ExitUsage = 2 // bad arguments, or an input that could not be opened or read
)

const usage = `bootstrap-guard: catch Lambda code packages that deploy but cannot start.

Usage:
  bootstrap-guard check [flags] PATH...    check zips, directories, project folders (Serverless, SAM,
                                           CDK), templates, cdk.out, s3:// URLs,
                                           images (docker://REGISTRY/REPO:TAG, oci:DIR, docker-archive:FILE)
  bootstrap-guard hook-event [flags] EVENT.json
                                           print the hook's response to a CloudFormation hook event
  bootstrap-guard audit [--region R]... [--org | --accounts ID,...] [--format text|json|sarif|csv]
                                           check every deployed function as the hook would
  bootstrap-guard rules [--families]       list the rules and the Lambda errors they prevent (by family)
  bootstrap-guard runtimes [--runtimes FILE|ssm:NAME|s3://B/K] [--format text|json]
                                           print the runtime catalogue in use, its source and date
  bootstrap-guard runtimes --check FILE    validate a runtime catalogue file
  bootstrap-guard version

Exit status: 0 all passed, 1 something failed, 2 usage error or unreadable input.
Run 'bootstrap-guard check -h' for the check flags.
`

// Env is what Run needs from the outside world; tests replace parts of it.
type Env struct {
	Stdout, Stderr io.Writer
	// IsTTY reports whether Stdout is a terminal (colour is used only then).
	IsTTY bool
	// Getenv reads the environment (NO_COLOR, AWS settings).
	Getenv func(string) string
	// Now is the current time; the --date flag overrides it.
	Now func() time.Time
}

// Run executes the command line args (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitUsage
	}
	switch args[0] {
	case "check":
		return runCheck(ctx, args[1:], env)
	case "hook-event":
		return runHookEvent(ctx, args[1:], env)
	case "audit":
		return runAudit(ctx, args[1:], env)
	case "rules":
		return runRules(args[1:], env)
	case "runtimes":
		return runRuntimes(ctx, args[1:], env)
	case "version", "--version", "-version":
		fmt.Fprintln(env.Stdout, "bootstrap-guard", Version()+commitSuffix())
		return ExitPass
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return ExitPass
	}
	fmt.Fprintf(env.Stderr, "bootstrap-guard: unknown command %q\n\n%s", args[0], usage)
	return ExitUsage
}

// version and commit are stamped by make release (mk/release.mk):
//
//	go build -ldflags "-X github.com/bootstrap-guard/bootstrap-guard/internal/cli.version=v1.2.3 -X ...cli.commit=SHA"
//
// (-X sets a package-level string variable; https://pkg.go.dev/cmd/link).
var version, commit string

// Version is the release version stamped at build time, else the module version the binary was
// built from (go install ...@v1.2.3), else "dev".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// commitSuffix is " (commit SHA)" when a commit was stamped, else the VCS revision go build
// recorded (vcs.revision), else nothing.
func commitSuffix() string {
	c := commit
	if c == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					c = s.Value
				}
			}
		}
	}
	if c == "" {
		return ""
	}
	return " (commit " + c + ")"
}

// listFlag collects a repeatable flag; commas also separate values.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// envFlag collects repeatable --env KEY=VALUE settings: the function's environment variables
// (AWS_LAMBDA_EXEC_WRAPPER, NODE_PATH, PYTHONPATH) change how Lambda starts the code.
type envFlag map[string]string

func (e *envFlag) String() string {
	var out []string
	for k, v := range *e {
		out = append(out, k+"="+v)
	}
	return strings.Join(out, " ")
}

func (e *envFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	if *e == nil {
		*e = envFlag{}
	}
	(*e)[k] = val
	return nil
}

// checkFlags are the flags of check (and, for the policy part, of hook-event).
type checkFlags struct {
	runtime, arch, handler, date, action, format, catalogue, assets string
	exemptions                                                      string
	layers, allow, deny, skipRules                                  listFlag
	warnDays                                                        int
	env                                                             envFlag
	// Templates: parameter values and whether to read code from S3.
	params     paramFlag
	paramsFile string
	s3         bool
	// Container images: read template ImageUris from their registries; plain-HTTP registries.
	images   bool
	insecure listFlag
	// requireInspection makes a function whose package was not read a failure (exit 1).
	requireInspection bool
	// Runtime lifecycle beyond the catalogue's dates (cmr.go).
	lifecycle lifecycleFlags
}

// paramFlag collects --parameter K=V; the value may contain commas and = signs.
type paramFlag map[string]string

func (p *paramFlag) String() string { return fmt.Sprint(map[string]string(*p)) }

func (p *paramFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("%q: want KEY=VALUE", v)
	}
	if *p == nil {
		*p = paramFlag{}
	}
	(*p)[strings.TrimSpace(k)] = val
	return nil
}

func (c *checkFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.runtime, "runtime", "provided.al2023", "Lambda `runtime` of zip and directory PATHs")
	fs.StringVar(&c.arch, "arch", result.ArchX86, "function architecture: x86_64 or arm64")
	fs.StringVar(&c.handler, "handler", "bootstrap", "function `handler`")
	fs.Var(&c.layers, "layer", "layer `ZIP` (or directory), repeatable, in extraction order")
	fs.Var(&c.env, "env", "function environment variable `KEY=VALUE` of zip, directory and s3 PATHs (AWS_LAMBDA_EXEC_WRAPPER, NODE_PATH...), repeatable")
	fs.StringVar(&c.date, "date", "", "evaluate runtime lifecycle on `YYYY-MM-DD` (default today)")
	fs.StringVar(&c.action, "action", string(inspect.Create), "operation checked: create or update")
	fs.StringVar(&c.format, "format", "text", "output format: text, json or sarif")
	fs.IntVar(&c.warnDays, "warn-days", engine.DefaultWarnDays, "warn this many `days` before a runtime's deprecation (0: never)")
	fs.Var(&c.allow, "allow-runtime", "deprecated `runtime` to accept with a warning, repeatable")
	fs.Var(&c.deny, "deny-runtime", "`runtime` to reject even when supported, repeatable")
	fs.Var(&c.skipRules, "skip-rule", "`rule` ID or rule family to turn off (not reported), repeatable")
	fs.StringVar(&c.catalogue, "runtimes", "", "runtime catalogue replacing the built-in one: a `FILE`, ssm:PARAMETER or s3://BUCKET/KEY")
	fs.StringVar(&c.exemptions, "exemptions", "", "which "+exemptions.Tag+" tags to honour: any, rules-only or none (default $BOOTSTRAP_GUARD_EXEMPTIONS, else any)")
	fs.StringVar(&c.assets, "assets", "", "`DIR` holding the local assets of a TEMPLATE PATH")
	fs.Var(&c.params, "parameter", "template parameter `KEY=VALUE` (also pseudo parameters: AWS::Region=eu-west-1), repeatable; wins over --parameters")
	fs.StringVar(&c.paramsFile, "parameters", "", "template parameters `FILE`: CloudFormation's [{ParameterKey, ParameterValue}], [\"K=V\"], {\"Parameters\": {...}}, SAM's K=V text or samconfig.toml")
	fs.BoolVar(&c.s3, "s3", false, "read template code stored in S3 (Code.S3Bucket/S3Key, s3:// CodeUri) with your AWS credentials, as the hook will")
	fs.BoolVar(&c.images, "images", false, "read the ImageUri of template image functions from their registries")
	fs.Var(&c.insecure, "insecure-registry", "registry `HOST:PORT` reached over plain HTTP (a test registry), repeatable")
	fs.BoolVar(&c.requireInspection, "require-inspection", false, "exit 1 when any function's package was not inspected (not given, not built, unreadable)")
	c.lifecycle.register(fs)
}

// policy validates the flags and builds the policy: the same type the hook reads from its
// environment and the construct and aspect from their props.
func (c *checkFlags) policy(ctx context.Context, env Env) (engine.Policy, error) {
	p := engine.Policy{WarnDays: max(c.warnDays, 0), Allow: c.allow, Deny: c.deny, Date: env.Now()}
	if c.date != "" {
		d, err := time.Parse(time.DateOnly, c.date)
		if err != nil {
			return p, fmt.Errorf("--date %q: want YYYY-MM-DD", c.date)
		}
		p.Date = d
	}
	if c.arch != result.ArchX86 && c.arch != result.ArchARM {
		return p, fmt.Errorf("--arch %q: want x86_64 or arm64", c.arch)
	}
	if c.action != string(inspect.Create) && c.action != string(inspect.Update) {
		return p, fmt.Errorf("--action %q: want create or update", c.action)
	}
	var err error
	if p.SkipRules, err = engine.ParseRules("--skip-rule", c.skipRules); err != nil {
		return p, err
	}
	if p.Exemptions, err = c.exemptionMode(env); err != nil {
		return p, err
	}
	if err := c.lifecycle.apply(env, &p); err != nil {
		return p, err
	}
	if c.catalogue != "" {
		cat, err := loadCatalogue(ctx, c.catalogue, env)
		if err != nil {
			return p, fmt.Errorf("--runtimes: %w", err)
		}
		p.Catalogue = cat
	}
	if err := p.Validate(); err != nil {
		return p, engine.RenameFields(err, map[string]string{"WarnDays": "--warn-days", "Allow": "--allow-runtime"}, "%s")
	}
	return p, nil
}

// exemptionMode is --exemptions, else $BOOTSTRAP_GUARD_EXEMPTIONS (as the hook reads it), else any.
func (c *checkFlags) exemptionMode(env Env) (exemptions.Mode, error) {
	v, name := c.exemptions, "--exemptions"
	if v == "" {
		v, name = env.Getenv(engine.EnvExemptions), engine.EnvExemptions
	}
	m, err := exemptions.ParseMode(v)
	if err != nil {
		return "", fmt.Errorf("%s %w", name, err)
	}
	return m, nil
}

// parseInterspersed parses flags that may come before, between or after positional arguments,
// as users type them (check fn.zip --arch arm64). "--" ends flag parsing.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func runCheck(ctx context.Context, args []string, env Env) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var cf checkFlags
	cf.register(fs)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, "Usage: bootstrap-guard check [flags] PATH...\n\nPATH is a .zip, a directory, a CloudFormation/SAM template (JSON or YAML; code paths relative\nto it or to --assets), a CDK cloud assembly (cdk.out), an s3://bucket/key URL, or a container\nimage: docker://REGISTRY/REPO:TAG (or @sha256:...), oci:DIR[:REF], docker-archive:FILE[:REPO:TAG].\nEvery function of a template gets a verdict; exit 2 only for input that is not a template.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitPass
		}
		return ExitUsage
	}
	if len(paths) == 0 {
		fmt.Fprintln(env.Stderr, "bootstrap-guard check: no PATH given")
		fs.Usage()
		return ExitUsage
	}
	policy, err := cf.policy(ctx, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "bootstrap-guard check:", err)
		return ExitUsage
	}
	eng, err := engine.New(policy)
	if err != nil {
		fmt.Fprintln(env.Stderr, "bootstrap-guard check:", err)
		return ExitUsage
	}
	out, err := report.New(cf.format, report.Options{Color: env.IsTTY && env.Getenv("NO_COLOR") == "", Version: Version()})
	if err != nil {
		fmt.Fprintln(env.Stderr, "bootstrap-guard check: --format:", err)
		return ExitUsage
	}
	ld := &loader{ctx: ctx, flags: cf, env: env}
	defer ld.close()
	var targets []target
	for _, p := range paths {
		ts, err := ld.load(p)
		if err != nil {
			fmt.Fprintf(env.Stderr, "bootstrap-guard check: %v\n", err)
			return ExitUsage
		}
		targets = append(targets, ts...)
	}
	results := make([]result.Result, 0, len(targets))
	code := ExitPass
	for _, t := range targets {
		res, err := eng.Evaluate(ctx, t.fn)
		if err != nil {
			fmt.Fprintf(env.Stderr, "bootstrap-guard check: %v\n", err)
			return ExitUsage
		}
		res.Source = t.source
		t.annotate(&res)
		if res.Status == result.Fail || cf.requireInspection && t.uninspected(res) {
			code = ExitFail
		}
		results = append(results, res)
	}
	if err := out.Output(env.Stdout, results); err != nil {
		fmt.Fprintln(env.Stderr, "bootstrap-guard check:", err)
		return ExitUsage
	}
	return code
}
