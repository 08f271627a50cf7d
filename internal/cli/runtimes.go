package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes/remote"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// SSM parameter value limits: 4 KB on the standard tier, 8 KB on the advanced tier
// (https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html).
const (
	ssmStandardMax = 4096
	ssmAdvancedMax = 8192
)

// loadCatalogue reads a catalogue from a file, or from ssm:NAME / an SSM ARN / s3://BUCKET/KEY
// with the AWS environment, exactly as the hook would read BOOTSTRAP_GUARD_RUNTIMES.
func loadCatalogue(ctx context.Context, spec string, env Env) (*runtimes.Catalogue, error) {
	if !strings.HasPrefix(spec, "ssm:") && !strings.HasPrefix(spec, "s3://") && !strings.HasPrefix(spec, "arn:") {
		return loadCatalogueFile(spec)
	}
	loc, err := remote.ParseLocation(spec)
	if err != nil {
		return nil, err
	}
	cfg, err := s3read.LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	return remote.Fetch(ctx, remote.Clients{SSM: ssm.NewFromConfig(cfg), S3: s3read.NewClient(cfg, env.Getenv)}, loc)
}

func runRuntimes(ctx context.Context, args []string, env Env) int {
	fs := flag.NewFlagSet("runtimes", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var spec, checkFile, format, date string
	fs.StringVar(&spec, "runtimes", "", "show this catalogue instead of the built-in one: a `FILE`, ssm:PARAMETER or s3://BUCKET/KEY")
	fs.StringVar(&checkFile, "check", "", "validate the catalogue `FILE` and exit: 0 valid, 1 invalid, 2 unreadable")
	fs.StringVar(&format, "format", "text", "text (a table with source and date) or json (the catalogue itself, compact: ready for SSM or S3)")
	fs.StringVar(&date, "date", "", "show lifecycle phases on `YYYY-MM-DD` (default today)")
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, `Usage: bootstrap-guard runtimes [--runtimes FILE|ssm:NAME|s3://BUCKET/KEY] [--format text|json]
       bootstrap-guard runtimes --check FILE

Prints the runtime catalogue in use: where it was loaded from, its source and retrieval date,
and each runtime's lifecycle. The hook loads one from BOOTSTRAP_GUARD_RUNTIMES the same way.

Flags:
`)
		fs.PrintDefaults()
	}
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitPass
		}
		return ExitUsage
	}
	if len(rest) > 0 {
		fmt.Fprintf(env.Stderr, "bootstrap-guard runtimes: unexpected argument %q\n", rest[0])
		return ExitUsage
	}
	if checkFile != "" {
		return checkCatalogue(checkFile, env)
	}
	day := env.Now().UTC()
	if date != "" {
		if day, err = time.Parse(time.DateOnly, date); err != nil {
			fmt.Fprintf(env.Stderr, "bootstrap-guard runtimes: --date %q: want YYYY-MM-DD\n", date)
			return ExitUsage
		}
	}
	cat := runtimes.Default()
	if spec != "" {
		if cat, err = loadCatalogue(ctx, spec, env); err != nil {
			fmt.Fprintf(env.Stderr, "bootstrap-guard runtimes: %v\n", err)
			return ExitUsage
		}
	}
	switch format {
	case "json":
		b, err := json.Marshal(cat)
		if err != nil {
			fmt.Fprintf(env.Stderr, "bootstrap-guard runtimes: %v\n", err)
			return ExitUsage
		}
		fmt.Fprintln(env.Stdout, string(b))
		return ExitPass
	case "text":
		printCatalogue(env, cat, day)
		return ExitPass
	}
	fmt.Fprintf(env.Stderr, "bootstrap-guard runtimes: --format %q: want text or json\n", format)
	return ExitUsage
}

// checkCatalogue validates a catalogue file with the checks the hook applies to one it loads.
func checkCatalogue(path string, env Env) int {
	b, err := readCatalogue(path)
	if err != nil {
		fmt.Fprintf(env.Stderr, "bootstrap-guard runtimes: %v\n", err)
		return ExitUsage
	}
	cat, err := runtimes.Parse(b)
	if err != nil {
		fmt.Fprintf(env.Stdout, "%s: not a valid runtime catalogue: %v\n", path, err)
		return ExitFail
	}
	fmt.Fprintf(env.Stdout, "%s: valid runtime catalogue: %d runtimes, source %q, retrieved %s; newest %s.\n",
		path, len(cat.Runtimes), cat.Source, cat.Retrieved, strings.Join(newest(cat), ", "))
	compact, _ := json.Marshal(cat)
	switch n := len(compact); {
	case n <= ssmStandardMax:
		fmt.Fprintf(env.Stdout, "Compact, it is %d bytes: it fits a standard SSM parameter (4 KB) or an S3 object.\n", n)
	case n <= ssmAdvancedMax:
		fmt.Fprintf(env.Stdout, "Compact, it is %d bytes: it fits an advanced-tier SSM parameter (8 KB) or an S3 object.\n", n)
	default:
		fmt.Fprintf(env.Stdout, "Compact, it is %d bytes: too large for an SSM parameter (8 KB); publish it as an S3 object.\n", n)
	}
	return ExitPass
}

// newest lists the newest runtime of each family that has a naming pattern.
func newest(cat *runtimes.Catalogue) []string {
	var out []string
	for _, f := range []runtimes.Family{runtimes.FamilyProvided, runtimes.FamilyNode, runtimes.FamilyPython, runtimes.FamilyJava, runtimes.FamilyDotnet, runtimes.FamilyRuby} {
		if r, ok := cat.Newest(f); ok {
			out = append(out, r.Name)
		}
	}
	return out
}

var phaseNames = map[runtimes.Phase]string{
	runtimes.Supported:     "supported",
	runtimes.Deprecated:    "deprecated",
	runtimes.CreateBlocked: "create blocked",
	runtimes.UpdateBlocked: "update blocked",
}

func printCatalogue(env Env, cat *runtimes.Catalogue, day time.Time) {
	fmt.Fprintf(env.Stdout, "Runtime catalogue in use\n  loaded from: %s\n  source:      %s\n  retrieved:   %s\n  runtimes:    %d; newest %s\n\n",
		cat.Origin, cat.Source, cat.Retrieved, len(cat.Runtimes), strings.Join(newest(cat), ", "))
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "RUNTIME\tFAMILY\tOS\tGLIBC\tDEPRECATED\tCREATE BLOCKED\tUPDATE BLOCKED\tSUCCESSOR\tON %s\n", day.Format(time.DateOnly))
	d := func(x runtimes.Date) string {
		if x.IsZero() {
			return "-"
		}
		return x.Format(time.DateOnly)
	}
	for _, r := range cat.Runtimes {
		phase := phaseNames[r.PhaseOn(day)]
		if r.ContainerOnly {
			phase = "container images only"
		}
		succ := r.Successor
		if succ == "" {
			succ = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Family, r.OS, r.Glibc, d(r.Deprecated), d(r.CreateBlocked), d(r.UpdateBlocked), succ, phase)
	}
	tw.Flush()
	fmt.Fprintf(env.Stdout, "\nA runtime newer than the newest of its family is accepted with a warning (runtime-newer-than-catalogue).\n"+
		"Update: bootstrap-guard check --runtimes FILE; for the hook, publish the file (bootstrap-guard runtimes --runtimes FILE --format json)\n"+
		"to the SSM parameter or S3 object in BOOTSTRAP_GUARD_RUNTIMES: hooks pick it up within their TTL, without a redeploy.\n")
}
