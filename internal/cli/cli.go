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

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/report"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// Exit codes, part of the command's contract.
const (
	ExitPass  = 0 // every function passed (or was skipped)
	ExitFail  = 1 // at least one function failed
	ExitUsage = 2 // bad arguments, or an input that could not be opened or read
)

const usage = `bootstrap-guard: catch Lambda code packages that deploy but cannot start.

Usage:
  bootstrap-guard check [flags] PATH...    check zips, directories, templates, cdk.out, s3:// URLs,
                                           images (docker://REGISTRY/REPO:TAG, oci:DIR, docker-archive:FILE)
  bootstrap-guard hook-event [flags] EVENT.json
                                           print the hook's response to a CloudFormation hook event
  bootstrap-guard rules                    list the rules and the Lambda errors they prevent
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
	case "rules":
		return runRules(env)
	case "version", "--version", "-version":
		fmt.Fprintln(env.Stdout, "bootstrap-guard", Version())
		return ExitPass
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return ExitPass
	}
	fmt.Fprintf(env.Stderr, "bootstrap-guard: unknown command %q\n\n%s", args[0], usage)
	return ExitUsage
}

// Version is the module version the binary was built from, or "dev".
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
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

// checkFlags are the flags of check (and, for the policy part, of hook-event).
type checkFlags struct {
	runtime, arch, handler, date, action, format, catalogue, assets string
	layers, allow, deny                                             listFlag
	warnDays                                                        int
	images                                                          bool     // read template ImageUris from their registries
	insecure                                                        listFlag // registries reached over plain HTTP
}

func (c *checkFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.runtime, "runtime", "provided.al2023", "Lambda `runtime` of zip and directory PATHs")
	fs.StringVar(&c.arch, "arch", inspect.ArchX86, "function architecture: x86_64 or arm64")
	fs.StringVar(&c.handler, "handler", "bootstrap", "function `handler`")
	fs.Var(&c.layers, "layer", "layer `ZIP` (or directory), repeatable, in extraction order")
	fs.StringVar(&c.date, "date", "", "evaluate runtime lifecycle on `YYYY-MM-DD` (default today)")
	fs.StringVar(&c.action, "action", string(inspect.Create), "operation checked: create or update")
	fs.StringVar(&c.format, "format", "text", "output format: text, json or sarif")
	fs.IntVar(&c.warnDays, "warn-days", int(inspect.DefaultWarnWindow.Hours()/24), "warn this many `days` before a runtime's deprecation (0: never)")
	fs.Var(&c.allow, "allow-runtime", "deprecated `runtime` to accept with a warning, repeatable")
	fs.Var(&c.deny, "deny-runtime", "`runtime` to reject even when supported, repeatable")
	fs.StringVar(&c.catalogue, "runtimes", "", "runtime catalogue `FILE` replacing the built-in one")
	fs.StringVar(&c.assets, "assets", "", "`DIR` holding the local assets of a TEMPLATE PATH")
	fs.BoolVar(&c.images, "images", false, "read the ImageUri of template image functions from their registries")
	fs.Var(&c.insecure, "insecure-registry", "registry `HOST:PORT` reached over plain HTTP (a test registry), repeatable")
}

// options validates the flags and builds the engine's options.
func (c *checkFlags) options(env Env) (inspect.Options, error) {
	opts := inspect.Options{Allow: c.allow, Deny: c.deny, Now: env.Now}
	// 0 turns the warning off, as BOOTSTRAP_GUARD_WARN_DAYS=0 does in the hook.
	opts.WarnWindow = time.Duration(c.warnDays) * 24 * time.Hour
	if c.warnDays <= 0 {
		opts.WarnWindow = -1
	}
	if c.date != "" {
		d, err := time.Parse(time.DateOnly, c.date)
		if err != nil {
			return opts, fmt.Errorf("--date %q: want YYYY-MM-DD", c.date)
		}
		opts.Now = func() time.Time { return d }
	}
	if c.arch != inspect.ArchX86 && c.arch != inspect.ArchARM {
		return opts, fmt.Errorf("--arch %q: want x86_64 or arm64", c.arch)
	}
	if c.action != string(inspect.Create) && c.action != string(inspect.Update) {
		return opts, fmt.Errorf("--action %q: want create or update", c.action)
	}
	if c.catalogue != "" {
		cat, err := runtimes.Load(c.catalogue)
		if err != nil {
			return opts, err
		}
		opts.Catalogue = cat
	}
	return opts, nil
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
		fmt.Fprint(env.Stderr, "Usage: bootstrap-guard check [flags] PATH...\n\nPATH is a .zip, a directory, a CloudFormation/SAM template (with --assets), a CDK\ncloud assembly (cdk.out), an s3://bucket/key URL, or a container image:\ndocker://REGISTRY/REPO:TAG (or @sha256:...), oci:DIR[:REF], docker-archive:FILE[:REPO:TAG].\n\nFlags:\n")
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
	opts, err := cf.options(env)
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
	checker := inspect.New(opts)
	results := make([]result.Result, 0, len(targets))
	code := ExitPass
	for _, t := range targets {
		check := checker.Check
		if t.image != nil {
			check = func(ctx context.Context, _ inspect.Function) (result.Result, error) {
				return ld.checkImage(ctx, t.image)
			}
		}
		res, err := check(ctx, t.fn)
		if err != nil {
			fmt.Fprintf(env.Stderr, "bootstrap-guard check: %v\n", err)
			return ExitUsage
		}
		res.Source = t.source
		if res.Status == result.Fail {
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

func runRules(env Env) int {
	for _, r := range result.Rules {
		fmt.Fprintf(env.Stdout, "%-26s %-8s %s\n%26s          Lambda: %s\n", r.ID, r.Severity, r.Title, "", r.LambdaError)
	}
	return ExitPass
}
