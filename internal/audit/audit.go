// Package audit checks the Lambda functions already deployed in one or many accounts and Regions
// with the hook's own decision, so that a platform team sees what the hook would stop before it
// enforces anything. It lists the functions (lambda:ListFunctions), reads each one's configuration
// and presigned code location (lambda:GetFunction), turns them into the properties the hook
// receives for an update of the function (FromGetFunction) and hands them to an Evaluator, which
// is the hook's per-function path (guard.Handler.CheckDeployed). It decides nothing itself.
package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// LambdaAPI is the Lambda control plane of one account and Region; *lambda.Client satisfies it.
type LambdaAPI interface {
	ListFunctions(ctx context.Context, in *lambda.ListFunctionsInput, opts ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	GetFunction(ctx context.Context, in *lambda.GetFunctionInput, opts ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
}

// Evaluator checks one deployed function exactly as the hook's RESOURCE target checks an update
// of it (same engine, policy, runtime catalogue and exemption tags) and returns its verdict, or an
// error when it could not decide (a package or layer that could not be read: the error's text
// says which and why). p are the function's properties, target names it (its ARN), codeURL is
// its presigned Code.Location ("" for an image). It must honour ctx.
type Evaluator func(ctx context.Context, p hookapi.FunctionProperties, target, codeURL string) (result.Result, error)

// Region is one Region of one account, with the clients that reach it.
type Region struct {
	Name   string
	Lambda LambdaAPI
	Eval   Evaluator
}

// Account is one account to audit.
type Account struct {
	ID, Name string
	Regions  []Region
	// Open, when set, is called when the account's turn comes (at most Options.Accounts at
	// once) to reach it, assuming its role, say; it returns the Regions to audit.
	Open func(ctx context.Context) ([]Region, error)
	// Err says why the account could not be audited (its role could not be assumed, say). It is
	// reported, and the other accounts are audited.
	Err error
}

// Defaults.
const (
	// DefaultConcurrency is how many functions of one account are checked at once. Each check is
	// one GetFunction, one GetLayerVersionByArn per layer and a few ranged GETs. Lambda allows
	// GetFunction 100 requests per second and the other control-plane calls (ListFunctions,
	// GetLayerVersion) 15 per second, per account and Region (Lambda quotas, "Lambda API
	// requests"); beyond that it answers TooManyRequestsException and the SDK's retryer backs off.
	// 8 checks at once reach about 200 functions per second on two cores (BenchmarkAudit1000).
	DefaultConcurrency = 8
	// DefaultAccounts is how many accounts are audited at once.
	DefaultAccounts = 4
	// pageSize is ListFunctions' MaxItems: 50 is the most Lambda returns per page
	// (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html, MaxItems 1-10000, "returns up to 50").
	pageSize = 50
)

// Options bound one audit.
type Options struct {
	// Concurrency is how many functions of one account are checked at once (its Regions share
	// it); 0 means DefaultConcurrency.
	Concurrency int
	// Accounts is how many accounts are audited at once; 0 means DefaultAccounts.
	Accounts int
	// Progress, when set, is called after each function is listed or done (from many
	// goroutines, never at once).
	Progress func(Progress)
}

// Progress counts the audit so far.
type Progress struct {
	Listed, Done, Failed int
}

// Function is one audited function.
type Function struct {
	Account, Region string
	ARN, Name       string
	// Result is the verdict, with Target = ARN. A function that could not be decided is SKIP
	// with a package-not-inspected finding and Package.Reason unreadable.
	Result result.Result
	// Err is why the function could not be decided; nil when it was.
	Err error
}

// Decided reports whether the function got the hook's verdict.
func (f *Function) Decided() bool { return f.Err == nil }

// Scope is an account (Region "") or one Region of it that could not be listed or reached.
type Scope struct {
	Account, AccountName, Region string
	Err                          error
}

// Report is what an audit found.
type Report struct {
	// Functions in account, Region and name order.
	Functions []Function
	// Accounts audited, in the order given, with their names.
	Accounts []Account
	// Errors are the accounts and Regions that could not be audited (never fatal).
	Errors []Scope
}

// Results returns every function's verdict in report order.
func (r *Report) Results() []result.Result {
	out := make([]result.Result, len(r.Functions))
	for i := range r.Functions {
		out[i] = r.Functions[i].Result
	}
	return out
}

// Failed reports whether any function fails.
func (r *Report) Failed() bool {
	for i := range r.Functions {
		if r.Functions[i].Result.Status == result.Fail {
			return true
		}
	}
	return false
}

// Undecided counts the functions that could not be decided.
func (r *Report) Undecided() int {
	n := 0
	for i := range r.Functions {
		if !r.Functions[i].Decided() {
			n++
		}
	}
	return n
}

// Run audits every function of every Region of every account. Accounts and their Regions run
// concurrently; an account or Region that cannot be listed is reported in Errors. Run returns the
// context's error only when ctx ends before the audit does (the report then holds what was done).
func Run(ctx context.Context, accounts []Account, opts Options) (*Report, error) {
	conc := cmp.Or(max(opts.Concurrency, 0), DefaultConcurrency)
	par := cmp.Or(max(opts.Accounts, 0), DefaultAccounts)
	rep := &Report{Accounts: accounts}
	var mu sync.Mutex
	var prog Progress
	var progMu sync.Mutex
	progress := func(listed, done, failed int) {
		if opts.Progress == nil {
			return
		}
		progMu.Lock()
		defer progMu.Unlock()
		prog.Listed += listed
		prog.Done += done
		prog.Failed += failed
		opts.Progress(prog)
	}
	add := func(f Function) {
		mu.Lock()
		rep.Functions = append(rep.Functions, f)
		mu.Unlock()
		failed := 0
		if f.Result.Status == result.Fail {
			failed = 1
		}
		progress(0, 1, failed)
	}
	scopeErr := func(s Scope) {
		mu.Lock()
		rep.Errors = append(rep.Errors, s)
		mu.Unlock()
	}
	accSem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for _, acc := range accounts {
		if acc.Err != nil {
			scopeErr(Scope{Account: acc.ID, AccountName: acc.Name, Err: acc.Err})
			continue
		}
		wg.Go(func() {
			select {
			case accSem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-accSem }()
			regions := acc.Regions
			if acc.Open != nil {
				var err error
				if regions, err = acc.Open(ctx); err != nil {
					scopeErr(Scope{Account: acc.ID, AccountName: acc.Name, Err: err})
					return
				}
			}
			sem := make(chan struct{}, conc) // the account's Regions share its quota of checks
			var rwg sync.WaitGroup
			for _, reg := range regions {
				rwg.Go(func() {
					err := auditRegion(ctx, acc.ID, reg, sem, add, func() { progress(1, 0, 0) })
					if err != nil && ctx.Err() == nil {
						scopeErr(Scope{Account: acc.ID, AccountName: acc.Name, Region: reg.Name, Err: err})
					}
				})
			}
			rwg.Wait()
		})
	}
	wg.Wait()
	order := make(map[string]int, len(accounts))
	for i, a := range accounts {
		order[a.ID] = i
	}
	slices.SortFunc(rep.Functions, func(a, b Function) int {
		return cmp.Or(cmp.Compare(order[a.Account], order[b.Account]), cmp.Compare(a.Region, b.Region), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ARN, b.ARN))
	})
	slices.SortFunc(rep.Errors, func(a, b Scope) int {
		return cmp.Or(cmp.Compare(order[a.Account], order[b.Account]), cmp.Compare(a.Region, b.Region))
	})
	return rep, ctx.Err()
}

// auditRegion lists the Region's functions page by page and checks each as it is listed, at most
// cap(sem) at once across the account. A listing error ends the Region (what was listed is
// still checked) and is returned.
func auditRegion(ctx context.Context, account string, reg Region, sem chan struct{}, add func(Function), listed func()) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	// FunctionVersion ALL would list every published version too; an update (what the hook
	// judges) changes $LATEST, which is what ListFunctions returns by default.
	pages := lambda.NewListFunctionsPaginator(reg.Lambda, &lambda.ListFunctionsInput{MaxItems: aws.Int32(pageSize)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list functions in %s: %w", reg.Name, err)
		}
		for _, c := range page.Functions {
			listed()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			wg.Go(func() {
				defer func() { <-sem }()
				f, keep := auditFunction(ctx, account, reg, c)
				if keep {
					add(f)
				}
			})
		}
	}
	return nil
}

// auditFunction reads one function's configuration and code location and checks it. keep is
// false for a function deleted since it was listed.
func auditFunction(ctx context.Context, account string, reg Region, listed types.FunctionConfiguration) (f Function, keep bool) {
	arn := aws.ToString(listed.FunctionArn)
	f = Function{Account: account, Region: reg.Name, ARN: arn, Name: aws.ToString(listed.FunctionName)}
	if f.Account == "" {
		f.Account = arnAccount(arn)
	}
	// The function's own ARN names it unambiguously; its Code.Location is valid for 10 minutes
	// ("The presigned URL ... is valid for up to 10 minutes", FunctionCodeLocation in the Lambda
	// API reference), so it is fetched right before the check, never ahead of it.
	out, err := reg.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(arn)})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return f, false
		}
		f.Err = fmt.Errorf("get function: %w", err)
		f.Result = notInspected(arn, listed, "GetFunction failed: "+err.Error())
		return f, true
	}
	d, err := FromGetFunction(out)
	if err != nil {
		f.Err = err
		f.Result = notInspected(arn, listed, err.Error())
		return f, true
	}
	if d.Unknown != "" {
		f.Err = errors.New("GetFunction did not return " + d.Unknown)
		f.Result = notInspected(arn, listed, f.Err.Error())
		return f, true
	}
	res, err := reg.Eval(ctx, d.Props, arn, d.CodeURL)
	if err != nil {
		f.Err = err
		f.Result = notInspected(arn, listed, err.Error())
		return f, true
	}
	res.Target = arn
	res.Source = arn
	if res.Package == nil {
		res.Package = &result.Package{Inspected: true, Source: packageSource(d)}
		if res.Status == result.Skip && res.Exempted != nil {
			res.Package = &result.Package{Source: packageSource(d), Reason: result.ReasonExempt, Detail: res.SkipReason}
		}
	}
	f.Result = res
	return f, true
}

func packageSource(d Deployed) string {
	if uri := string(d.Props.Code.ImageURI); uri != "" {
		return uri
	}
	return "GetFunction Code.Location"
}

// notInspected is the result of a function that could not be decided: SKIP, with a
// package-not-inspected warning that says why.
func notInspected(arn string, c types.FunctionConfiguration, why string) result.Result {
	arch := result.ArchX86
	if len(c.Architectures) > 0 {
		arch = string(c.Architectures[0])
	}
	res := result.Result{
		Target: arn, Source: arn, Runtime: string(c.Runtime), Architecture: arch,
		SkipReason: "not inspected: " + why,
		Package:    &result.Package{Source: arn, Reason: result.ReasonUnreadable, Detail: why},
		Findings: []result.Finding{{
			Rule:        result.PackageNotInspected,
			Severity:    result.Warning,
			Message:     fmt.Sprintf("The deployed function was not checked: %s.", trimDot(why)),
			Remediation: "Give the audit's role lambda:GetFunction, lambda:GetLayerVersion and lambda:ListTags (deploy/audit-role.yaml) and audit again. The hook reads the package itself when the function is next deployed.",
		}},
	}
	res.Finish()
	return res
}

func trimDot(s string) string {
	for len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// arnAccount returns the account field of an ARN, or "".
func arnAccount(arn string) string {
	var parts [6]string
	n := 0
	start := 0
	for i := 0; i < len(arn) && n < 5; i++ {
		if arn[i] == ':' {
			parts[n] = arn[start:i]
			n++
			start = i + 1
		}
	}
	if n < 5 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}
