package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/bootstrap-guard/bootstrap-guard/internal/audit"
	"github.com/bootstrap-guard/bootstrap-guard/internal/cmr"
	"github.com/bootstrap-guard/bootstrap-guard/internal/guard"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

const auditUsage = `Usage: bootstrap-guard audit [flags]

Checks every Lambda function already deployed in the given Regions with the hook's own decision
(engine, rules, runtime catalogue, exemption tags), as if each were updated now: what the hook
would stop today. The policy is the hook's, read from the same BOOTSTRAP_GUARD_* variables
(BOOTSTRAP_GUARD_ALLOW_RUNTIMES, _DENY_RUNTIMES, _WARN_DAYS, _EXEMPTIONS, _RUNTIMES, _DATE).
Credentials, Region and endpoints come from the AWS environment (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL_LAMBDA ...). The caller needs lambda:ListFunctions, lambda:GetFunction,
lambda:ListTags and lambda:GetLayerVersion (deploy/audit-role.yaml). With --org or --accounts,
the role named by --role is assumed in each account (sts:AssumeRole); an account where it cannot
be is reported and the others audited. --security-hub also needs securityhub:GetFindings and
securityhub:BatchImportFindings in the current account.
Exit status: 0 nothing fails, 1 a function fails (or, with --require-inspection, was not
inspected), 2 bad flags or no credentials.

Flags:
`

// auditFlags are the flags of audit.
type auditFlags struct {
	regions           listFlag
	profile, format   string
	concurrency       int
	requireInspection bool
	// Organization-wide: every account of the organization (org) or the given ones, each
	// through the role named role; parallel accounts at once.
	org      bool
	accounts listFlag
	role     string
	parallel int
	// securityHub publishes the current account's failing functions to Security Hub.
	securityHub bool
}

func runAudit(ctx context.Context, args []string, env Env) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	var af auditFlags
	fs.Var(&af.regions, "region", "`REGION` to audit, repeatable (default: the configured Region)")
	fs.StringVar(&af.profile, "profile", "", "AWS shared-config `PROFILE` (default $AWS_PROFILE)")
	fs.IntVar(&af.concurrency, "concurrency", audit.DefaultConcurrency, "functions checked at once per account")
	fs.StringVar(&af.format, "format", "text", "output format: "+strings.Join(audit.Formats, ", "))
	fs.BoolVar(&af.requireInspection, "require-inspection", false, "exit 1 when a function could not be inspected")
	fs.BoolVar(&af.org, "org", false, "audit every account of the organization (organizations:ListAccounts; run it from the management or a delegated administrator account)")
	fs.Var(&af.accounts, "accounts", "audit these account `IDs` (comma-separated or repeated) instead of the current account")
	fs.StringVar(&af.role, "role", audit.DefaultRole, "`NAME` of the read-only role assumed in each account with --org or --accounts")
	fs.IntVar(&af.parallel, "parallel-accounts", audit.DefaultAccounts, "accounts audited at once")
	fs.BoolVar(&af.securityHub, "security-hub", false, "publish each failing function as a Security Hub finding in its Region (updated while it fails, archived once fixed or deleted); current account only")
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, auditUsage)
		fs.PrintDefaults()
	}
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitPass
		}
		return ExitUsage
	}
	fail := func(err error) int {
		fmt.Fprintln(env.Stderr, "bootstrap-guard audit:", err)
		return ExitUsage
	}
	switch {
	case len(rest) > 0:
		return fail(fmt.Errorf("unexpected argument %q (audit takes flags only)", rest[0]))
	case af.concurrency < 1 || af.concurrency > 256:
		return fail(fmt.Errorf("--concurrency %d: want 1 to 256", af.concurrency))
	case af.parallel < 1 || af.parallel > 64:
		return fail(fmt.Errorf("--parallel-accounts %d: want 1 to 64", af.parallel))
	case af.org && len(af.accounts) > 0:
		return fail(errors.New("give --org or --accounts, not both"))
	case af.securityHub && (af.org || len(af.accounts) > 0):
		return fail(errors.New("--security-hub publishes into the current account's Security Hub: run it in each account, without --org or --accounts"))
	case strings.TrimSpace(af.role) == "" || strings.ContainsAny(af.role, ":/ "):
		return fail(fmt.Errorf("--role %q: want a role name (the role's path and account come from the account)", af.role))
	case !validFormat(af.format):
		return fail(fmt.Errorf("--format %q: want %s", af.format, strings.Join(audit.Formats, ", ")))
	}
	gcfg, err := guard.ConfigFromEnv(env.Getenv)
	if err != nil {
		return fail(err)
	}
	gcfg.LogOutput = io.Discard
	opts := []func(*config.LoadOptions) error{config.WithRetryer(func() aws.Retryer { return audit.NewRetryer(audit.RetryOptions{}) })}
	if af.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(af.profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fail(fmt.Errorf("load AWS configuration: %w", err))
	}
	regions := []string(af.regions)
	if len(regions) == 0 {
		if cfg.Region == "" {
			return fail(errors.New("no Region: give --region or set AWS_REGION"))
		}
		regions = []string{cfg.Region}
	}
	// Presigned code and layer locations are fetched with S3's slow-downs retried.
	httpc := &http.Client{Transport: audit.RetryTransport(nil, audit.RetryOptions{})}
	accounts, err := auditAccounts(ctx, cfg, af, func(c aws.Config) []audit.Region { return auditRegions(c, regions, gcfg, httpc, env) })
	if err != nil {
		return fail(err)
	}
	var progress func(audit.Progress)
	if isTerminal(env.Stderr) {
		var last time.Time
		progress = func(p audit.Progress) {
			// Calls never overlap (audit.Options.Progress); at most ten lines a second.
			if now := time.Now(); now.Sub(last) >= 100*time.Millisecond || p.Done == p.Listed {
				last = now
				fmt.Fprintf(env.Stderr, "\raudited %d of %d functions listed so far, %d failing ", p.Done, p.Listed, p.Failed)
			}
		}
	}
	rep, err := audit.Run(ctx, accounts, audit.Options{Concurrency: af.concurrency, Accounts: af.parallel, Progress: progress})
	if progress != nil {
		fmt.Fprint(env.Stderr, "\r\x1b[K")
	}
	if err != nil {
		return fail(fmt.Errorf("interrupted: %w", err))
	}
	if af.securityHub {
		if err := publishFindings(ctx, cfg, regions, rep, env); err != nil {
			fmt.Fprintln(env.Stderr, "bootstrap-guard audit:", err)
			auditOutput(rep, af, env)
			return ExitUsage
		}
	}
	return auditOutput(rep, af, env)
}

// publishFindings publishes the report to Security Hub in each audited Region of the caller's
// account (sts:GetCallerIdentity names it).
func publishFindings(ctx context.Context, cfg aws.Config, regions []string, rep *audit.Report, env Env) error {
	id, err := audit.STSClient(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("security hub: which account: %w", err)
	}
	for _, r := range regions {
		rc := cfg.Copy()
		rc.Region = r
		n, err := audit.Publish(ctx, securityhub.NewFromConfig(rc), aws.ToString(id.Account), r, rep, env.Now())
		if err != nil {
			return fmt.Errorf("security hub in %s: %w", r, err)
		}
		fmt.Fprintf(env.Stderr, "bootstrap-guard audit: Security Hub %s: %d findings created, %d updated, %d archived\n", r, n.Created, n.Updated, n.Archived)
	}
	return nil
}

// auditAccounts is the current account, or with --org or --accounts every account to audit, each
// reached by assuming the role when its turn comes (an account whose role cannot be assumed is
// reported, not fatal).
func auditAccounts(ctx context.Context, cfg aws.Config, af auditFlags, regions func(aws.Config) []audit.Region) ([]audit.Account, error) {
	var accounts []audit.Account
	switch {
	case af.org:
		oc := cfg.Copy()
		oc.Region = audit.OrganizationsRegion(cfg.Region)
		list, err := audit.OrgAccounts(ctx, organizations.NewFromConfig(oc))
		if err != nil {
			return nil, err
		}
		accounts = list
	case len(af.accounts) > 0:
		list, err := audit.ParseAccounts(af.accounts)
		if err != nil {
			return nil, fmt.Errorf("--accounts: %w", err)
		}
		accounts = list
	default:
		return []audit.Account{{Regions: regions(cfg)}}, nil
	}
	stsClient := audit.STSClient(cfg)
	for i := range accounts {
		id := accounts[i].ID
		accounts[i].Open = func(ctx context.Context) ([]audit.Region, error) {
			c, err := audit.AssumeRole(ctx, cfg, stsClient, id, af.role)
			if err != nil {
				return nil, err
			}
			return regions(c), nil
		}
	}
	return accounts, nil
}

// auditRegions builds each Region's clients and the hook's evaluator for them: layers are
// resolved, images read and the runtime catalogue loaded through the same account's clients.
func auditRegions(cfg aws.Config, regions []string, gcfg guard.Config, httpc *http.Client, env Env) []audit.Region {
	var out []audit.Region
	for _, r := range regions {
		rc := cfg.Copy()
		rc.Region = r
		lc := lambda.NewFromConfig(rc)
		gc := gcfg
		gc.Region = r
		h := guard.New(gc, guard.Clients{Lambda: lc, S3: s3read.NewClient(rc, env.Getenv), SSM: ssm.NewFromConfig(rc), ECR: ecr.NewFromConfig(rc),
			LambdaCore: cmr.NewFromConfig(rc, env.Getenv), HTTP: httpc})
		out = append(out, audit.Region{Name: r, Lambda: lc, Eval: h.CheckDeployed})
	}
	return out
}

// auditOutput writes the report and returns the exit code.
func auditOutput(rep *audit.Report, af auditFlags, env Env) int {
	if err := audit.Write(env.Stdout, af.format, rep, audit.WriteOptions{Color: env.IsTTY && env.Getenv("NO_COLOR") == "", Version: Version()}); err != nil {
		fmt.Fprintln(env.Stderr, "bootstrap-guard audit:", err)
		return ExitUsage
	}
	for _, e := range rep.Errors {
		where := e.Account
		if e.Region != "" {
			where = strings.TrimPrefix(where+" "+e.Region, " ")
		}
		fmt.Fprintf(env.Stderr, "bootstrap-guard audit: not audited: %s: %v\n", where, e.Err)
	}
	if rep.Failed() || af.requireInspection && rep.Undecided() > 0 {
		return ExitFail
	}
	return ExitPass
}

func validFormat(f string) bool {
	for _, x := range audit.Formats {
		if f == x {
			return true
		}
	}
	return false
}

// isTerminal reports whether w is a terminal (the progress line is written only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
