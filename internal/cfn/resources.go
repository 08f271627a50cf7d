package cfn

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// reader turns the resources of one template into functions.
type reader struct {
	set  *Set
	t    *intrinsic.Node
	ev   *intrinsic.Evaluator
	a    *assets
	file string
	fn   *Function // the function being read, for template-too-costly notes
}

// function fills f from the resource node.
func (r *reader) function(f *Function, id string, res *intrinsic.Node, sam bool) {
	r.fn = f
	defer func() { r.fn = nil }()
	props := res.Get("Properties")
	if props == nil || props.Kind != intrinsic.Map {
		props = &intrinsic.Node{Kind: intrinsic.Map}
	}
	if sam {
		props = r.withGlobals(id, res, props)
	}
	// A resource whose Condition is false is not created
	// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/conditions-section-structure.html).
	// Only values the user gave decide that: a condition false with parameter defaults may be
	// true in the deployment, so the function is checked.
	if c, ok := scalarValue(res.Get("Condition")); ok {
		v, fromDefaults, err := r.Condition(c)
		if err == nil && !v && !fromDefaults {
			f.Skip = fmt.Sprintf("not created: its Condition %s is false with the parameters given", c)
		}
	}
	f.Runtime = r.value(f, props, "Runtime", result.RuntimeUnresolved)
	f.Handler = r.value(f, props, "Handler", result.HandlerUnresolved)
	f.PackageType = r.value(f, props, "PackageType", "")
	f.Architecture = r.architecture(f, props)
	f.Env = r.environment(props)
	r.lifecycleProperties(f, props) // runtimeconfig.go
	if sam {
		f.Tags = r.tagMap(props.Get("Tags"))
	} else {
		f.Tags = r.tagList(props.Get("Tags"))
	}
	if sam {
		r.samCode(f, id, res, props)
	} else {
		r.lambdaCode(f, id, res, props)
	}
	if f.PackageType != inspect.PackageImage {
		f.Layers = r.layers(props)
	}
	if !f.Package.Inspected && f.Package.Reason != "" && f.Package.Reason != result.ReasonImage {
		fix := "Give the package locally (--assets DIR, or build first: sam build, cdk synth), or read it from S3 with --s3."
		switch f.Package.Reason {
		case result.ReasonUnresolved:
			fix = "Give the parameters the code location depends on (--parameter K=V, --parameters FILE), then use --s3 for an S3 location."
		case result.ReasonInvalid:
			fix = "Fix the code property of the template."
		case result.ReasonUnreadable:
			fix = "Check the object exists and your credentials may read it (s3:GetObject)."
		}
		f.note(result.PackageNotInspected, fmt.Sprintf("The code package (%s) was not inspected: %s. Only the runtime, architecture and the handler's form were checked.", f.Package.Source, f.Package.Detail), fix)
	}
}

// value evaluates a string property; a value that stays unresolved becomes a note of rule (when
// rule is set) and an empty string.
func (r *reader) value(f *Function, props *intrinsic.Node, name string, rule result.RuleID) string {
	n := props.Get(name)
	s, _, err := r.String(n)
	if err != nil {
		if rule != "" {
			r.unresolved(f, rule, name, err)
		}
		return ""
	}
	return s
}

func (r *reader) unresolved(f *Function, rule result.RuleID, name string, err error) {
	if f.unresolved == nil {
		f.unresolved = map[result.RuleID]bool{}
	}
	f.unresolved[rule] = true
	f.note(rule, fmt.Sprintf("%s is %v; its checks were not applied.", name, err),
		fmt.Sprintf("Give %s a literal value, or give the parameters it depends on with --parameter K=V or --parameters FILE.", name))
}

// architecture reads Architectures, a list Lambda accepts with exactly one item.
func (r *reader) architecture(f *Function, props *intrinsic.Node) string {
	n := props.Get("Architectures")
	if n == nil {
		return ""
	}
	v, err := r.Eval(n)
	if err != nil {
		r.unresolved(f, result.ArchitectureUnresolved, "Architectures", err)
		return ""
	}
	if v == nil {
		return ""
	}
	if v.Kind != intrinsic.List {
		// Not a list: the engine reports what it is as an unknown architecture.
		s, _ := scalarValue(v)
		return "Architectures: " + s
	}
	var archs []string
	for _, it := range v.Items {
		s, _ := scalarValue(it)
		archs = append(archs, s)
	}
	if len(archs) > 1 {
		f.archs = len(archs)
	}
	return strings.Join(archs, ",") // more than one is not an architecture Lambda knows
}

// environment reads Environment.Variables; values that stay unresolved are left out.
func (r *reader) environment(props *intrinsic.Node) map[string]string {
	env, err := r.Resolve(props.Get("Environment"))
	if err != nil || env == nil {
		return nil
	}
	vars, err := r.Resolve(env.Get("Variables"))
	if err != nil || vars == nil || vars.Kind != intrinsic.Map {
		return nil
	}
	out := map[string]string{}
	for i, k := range vars.Keys {
		if s, ok, err := r.String(vars.Vals[i]); err == nil && ok {
			out[k] = s
		}
	}
	return out
}

// tagList reads CloudFormation's Tags: [{Key, Value}].
func (r *reader) tagList(n *intrinsic.Node) map[string]string {
	v, err := r.Resolve(n)
	if err != nil || v == nil || v.Kind != intrinsic.List {
		return nil
	}
	out := map[string]string{}
	for _, it := range v.Items {
		k, ok1, err1 := r.String(it.Get("Key"))
		val, _, err2 := r.String(it.Get("Value"))
		if ok1 && err1 == nil && err2 == nil {
			out[k] = val
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// tagMap reads SAM's Tags: {Key: Value}.
func (r *reader) tagMap(n *intrinsic.Node) map[string]string {
	v, err := r.Resolve(n)
	if err != nil || v == nil || v.Kind != intrinsic.Map {
		return nil
	}
	out := map[string]string{}
	for i, k := range v.Keys {
		if s, ok, err := r.String(v.Vals[i]); err == nil && ok {
			out[k] = s
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// withGlobals merges Globals.Function into a SAM function's properties as the SAM translator does
// (aws/serverless-application-model, samtranslator/plugins/globals/globals.py): the function's
// scalars win, maps merge key by key, lists are the global items then the function's.
// IgnoreGlobals: "*" or a list of property names leaves globals out.
func (r *reader) withGlobals(id string, res, props *intrinsic.Node) *intrinsic.Node {
	g := r.t.Get("Globals").Get("Function")
	if g == nil || g.Kind != intrinsic.Map {
		return props
	}
	ignore := map[string]bool{}
	switch ig := res.Get("IgnoreGlobals"); {
	case ig == nil:
	case ig.Kind == intrinsic.Scalar && ig.Value == "*":
		return props
	case ig.Kind == intrinsic.List:
		for _, it := range ig.Items {
			if s, ok := scalarValue(it); ok {
				ignore[s] = true
			}
		}
	}
	filtered := &intrinsic.Node{Kind: intrinsic.Map}
	for i, k := range g.Keys {
		if !ignore[k] {
			filtered.Set(k, g.Vals[i])
		}
	}
	return mergeGlobal(filtered, props, 0)
}

func mergeGlobal(global, local *intrinsic.Node, depth int) *intrinsic.Node {
	if depth > maxDepth {
		return local
	}
	_, _, gFn := global.Function()
	_, _, lFn := local.Function()
	switch {
	case global.Kind == intrinsic.Map && local.Kind == intrinsic.Map && !gFn && !lFn:
		out := &intrinsic.Node{Kind: intrinsic.Map, Line: local.Line, Column: local.Column}
		for i, k := range global.Keys {
			out.Set(k, global.Vals[i])
		}
		for i, k := range local.Keys {
			if gv := out.Get(k); gv != nil {
				out.Set(k, mergeGlobal(gv, local.Vals[i], depth+1))
			} else {
				out.Set(k, local.Vals[i])
			}
		}
		return out
	case global.Kind == intrinsic.List && local.Kind == intrinsic.List:
		out := &intrinsic.Node{Kind: intrinsic.List, Line: local.Line, Column: local.Column}
		out.Items = append(append(out.Items, global.Items...), local.Items...)
		return out
	}
	return local
}

// notInspected records why the package is not available.
func (f *Function) notInspected(reason result.PackageReason, source, detail string) {
	f.Package = result.Package{Inspected: false, Source: source, Reason: reason, Detail: detail}
	f.Code = inspect.Source{Name: source}
}

// lambdaCode reads Code of AWS::Lambda::Function
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-function-code.html).
func (r *reader) lambdaCode(f *Function, id string, res, props *intrinsic.Node) {
	if r.artifact(f, id) {
		return
	}
	code, err := r.Resolve(props.Get("Code"))
	if err != nil {
		f.notInspected(result.ReasonUnresolved, "Code", fmt.Sprintf("Code is %v", err))
		return
	}
	if f.PackageType == inspect.PackageImage || code.Get("ImageUri") != nil {
		f.PackageType = inspect.PackageImage
		uri, _, _ := r.String(code.Get("ImageUri"))
		f.Package = result.Package{Source: uri, Reason: result.ReasonImage}
		r.image(f, res, props, code.Get("ImageUri"))
		return
	}
	if code != nil && code.Kind == intrinsic.Scalar {
		// A local path, which aws cloudformation package and sam package upload and replace
		// (https://docs.aws.amazon.com/cli/latest/reference/cloudformation/package.html).
		r.uri(f, code.Value)
		return
	}
	if code == nil || code.Kind != intrinsic.Map {
		f.notInspected(result.ReasonInvalid, "Code", "Code is missing; CloudFormation requires it (ZipFile, S3Bucket/S3Key or ImageUri)")
		return
	}
	if code.Get("ZipFile") != nil {
		f.Code = inspect.Source{Name: id + " (inline Code.ZipFile)", Inline: true}
		f.Package = result.Package{Inspected: true, Source: "inline"}
		return
	}
	r.s3Code(f, res, code.Get("S3Bucket"), code.Get("S3Key"), code.Get("S3ObjectVersion"), "Code.S3Bucket/S3Key")
}

// s3Code handles code in S3: a local asset when the template says where it came from (CDK), else
// the object itself when --s3 allows it.
func (r *reader) s3Code(f *Function, res, bucketN, keyN, versionN *intrinsic.Node, what string) {
	key, _, keyErr := r.String(keyN)
	missing := ""
	if rel := r.a.assetPath(res, key); rel != "" {
		if src, err := r.open(rel); err == nil {
			f.Code = src
			f.Package = result.Package{Inspected: true, Source: rel}
			return
		} else if !errors.Is(err, os.ErrNotExist) {
			f.notInspected(result.ReasonMissingPath, rel, fmt.Sprintf("the local asset %s cannot be read: %v", rel, err))
			return
		}
		missing = rel
	}
	bucket, _, bucketErr := r.String(bucketN)
	version, _, versionErr := r.String(versionN)
	for _, err := range []error{bucketErr, keyErr, versionErr} {
		if err != nil {
			if missing != "" {
				f.notInspected(result.ReasonMissingPath, missing, fmt.Sprintf("the local asset %s is not there (build or synthesize first), and the S3 location is not known before deployment (%v)", missing, err))
				return
			}
			f.notInspected(result.ReasonUnresolved, what, fmt.Sprintf("its S3 location is not known before deployment: %v", err))
			return
		}
	}
	if bucket == "" || key == "" {
		if missing != "" {
			f.notInspected(result.ReasonMissingPath, missing, fmt.Sprintf("the local asset %s is not there", missing))
			return
		}
		f.notInspected(result.ReasonInvalid, what, "the code is neither inline, nor a local asset, nor a complete S3 location")
		return
	}
	uri := "s3://" + bucket + "/" + key
	if version != "" {
		uri += "?versionId=" + url.QueryEscape(version)
	}
	r.s3Object(f, bucket, key, version, uri, missing)
}

func (r *reader) s3Object(f *Function, bucket, key, version, uri, missing string) {
	if r.set.opts.OpenS3 == nil {
		if missing != "" {
			// The template names a local asset: that it is missing is the news, the S3 object
			// is where it would be uploaded.
			f.notInspected(result.ReasonMissingPath, missing, fmt.Sprintf("the local asset %s is not there (build or synthesize first), and its S3 object %s was not read (--s3 not given)", missing, uri))
			return
		}
		f.notInspected(result.ReasonS3Object, uri, "it is an S3 object and --s3 was not given")
		return
	}
	src, err := r.set.opts.OpenS3(bucket, key, version)
	if err != nil {
		f.notInspected(result.ReasonUnreadable, uri, fmt.Sprintf("the S3 object could not be read: %v", err))
		return
	}
	f.Code = src
	f.Package = result.Package{Inspected: true, Source: uri}
}

// samCode reads the code of AWS::Serverless::Function: InlineCode, ImageUri, or CodeUri as a
// local path, an s3:// URI or {Bucket, Key, Version}
// (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html).
func (r *reader) samCode(f *Function, id string, res, props *intrinsic.Node) {
	if f.PackageType == inspect.PackageImage || props.Get("ImageUri") != nil {
		f.PackageType = inspect.PackageImage
		uri, _, _ := r.String(props.Get("ImageUri"))
		f.Package = result.Package{Source: uri, Reason: result.ReasonImage}
		r.image(f, res, props, props.Get("ImageUri"))
		return
	}
	if props.Get("InlineCode") != nil {
		f.Code = inspect.Source{Name: id + " (InlineCode)", Inline: true}
		f.Package = result.Package{Inspected: true, Source: "inline"}
		return
	}
	// A CDK-synthesized SAM function names its local asset in metadata.
	if rel := r.a.assetPath(res, ""); rel != "" {
		if src, err := r.open(rel); err == nil {
			f.Code = src
			f.Package = result.Package{Inspected: true, Source: rel}
			return
		}
	}
	cu := props.Get("CodeUri")
	if cu == nil {
		// SAM CLI builds a function without CodeUri from the template's directory
		// (aws/aws-sam-cli, samcli/lib/providers/sam_base_provider.py: DEFAULT_CODEURI = ".").
		cu = intrinsic.Str(".")
	}
	v, err := r.Resolve(cu)
	if err != nil {
		f.notInspected(result.ReasonUnresolved, "CodeUri", fmt.Sprintf("CodeUri is %v", err))
		return
	}
	if v == nil {
		f.notInspected(result.ReasonInvalid, "CodeUri", "CodeUri is AWS::NoValue and there is no InlineCode")
		return
	}
	switch v.Kind {
	case intrinsic.Map:
		if v.Get("Bucket") == nil || v.Get("Key") == nil {
			f.notInspected(result.ReasonInvalid, "CodeUri", fmt.Sprintf("CodeUri %s is a map without Bucket and Key (SAM wants {Bucket, Key, Version})", v.Describe()))
			return
		}
		r.s3Code(f, res, v.Get("Bucket"), v.Get("Key"), v.Get("Version"), "CodeUri")
	case intrinsic.Scalar:
		if why := r.needsBuild(res, f.Runtime, v.Value); why != "" && !r.set.opts.Built {
			f.notInspected(result.ReasonNeedsBuild, v.Value, fmt.Sprintf("CodeUri %s is a source directory that sam build turns into the package (%s); run sam build and check .aws-sam/build/template.yaml", v.Value, why))
			return
		}
		r.uri(f, v.Value)
	default:
		f.notInspected(result.ReasonInvalid, "CodeUri", "CodeUri is neither a path, an s3:// URI nor {Bucket, Key}")
	}
}

// buildFiles are the project files by which SAM CLI's builders (aws/aws-lambda-builders,
// aws_lambda_builders/workflows/*: java_maven, java_gradle, dotnet_clipackage, go_modules,
// rust_cargo) recognise a directory they compile; its contents are sources, not the package.
var buildFiles = []string{"pom.xml", "build.gradle", "build.gradle.kts", "go.mod", "Cargo.toml"}

// needsBuild says why a SAM CodeUri directory is a build input rather than the deployed package,
// or "" when sam build deploys its files as they are (Python, Node.js, Ruby: it copies them and
// adds dependencies). A Metadata BuildMethod (makefile, esbuild, ...) always means a build
// (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/building-custom-runtimes.html).
func (r *reader) needsBuild(res *intrinsic.Node, runtime, uri string) string {
	if strings.HasPrefix(uri, "s3://") || strings.HasSuffix(strings.ToLower(uri), ".zip") || strings.HasSuffix(strings.ToLower(uri), ".jar") {
		return ""
	}
	if m, ok := scalarValue(res.Get("Metadata").Get("BuildMethod")); ok && m != "" {
		return "Metadata BuildMethod " + m
	}
	dir := uri
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(r.a.dir, uri)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return ""
	}
	for _, name := range buildFiles {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return name + " found"
		}
	}
	// Java and .NET code is always compiled by sam build (Maven, Gradle, dotnet lambda package):
	// a directory is never deployed as it is.
	for _, compiled := range []string{"java", "dotnet"} {
		if strings.HasPrefix(runtime, compiled) {
			return "a " + runtime + " project"
		}
	}
	return ""
}

// uri reads a CodeUri string: s3://bucket/key[?versionId=v] or a local path.
func (r *reader) uri(f *Function, uri string) {
	if strings.HasPrefix(uri, "s3://") {
		bucket, key, version, err := parseS3URI(uri)
		if err != nil {
			f.notInspected(result.ReasonInvalid, uri, err.Error())
			return
		}
		r.s3Object(f, bucket, key, version, uri, "")
		return
	}
	src, err := r.open(uri)
	if err != nil {
		f.notInspected(result.ReasonMissingPath, uri, fmt.Sprintf("the local path %s cannot be read (%v); build first (sam build) or give --assets DIR", uri, unwrapPath(err)))
		return
	}
	f.Code = src
	f.Package = result.Package{Inspected: true, Source: uri}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseS3URI splits s3://bucket/key?versionId=v, the form SAM accepts for CodeUri and
// ContentUri (aws/serverless-application-model, samtranslator/model/s3_utils/uri_parser.py).
func parseS3URI(uri string) (bucket, key, version string, err error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "s3" || u.Host == "" || strings.TrimPrefix(u.Path, "/") == "" {
		return "", "", "", fmt.Errorf("%q is not an s3://bucket/key URI", uri)
	}
	return u.Host, strings.TrimPrefix(u.Path, "/"), u.Query().Get("versionId"), nil
}

// open turns an asset path into a source: a zip file or a directory.
func (r *reader) open(rel string) (inspect.Source, error) {
	p := rel
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.a.dir, rel)
	}
	src, c, err := inspect.OpenPath(p)
	if err != nil {
		return inspect.Source{}, fmt.Errorf("asset %s: %w", rel, err)
	}
	r.set.closers = append(r.set.closers, c)
	return src, nil
}

// assetPath finds the local asset of a resource: its aws:asset:path metadata (CDK), or the
// object key of its S3 location in the assembly's asset manifests.
func (a *assets) assetPath(res *intrinsic.Node, key string) string {
	if p, ok := scalarValue(res.Get("Metadata").Get("aws:asset:path")); ok && p != "" {
		return p
	}
	if key == "" {
		return ""
	}
	return a.byKey[key]
}

// layers resolves Layers: a Ref to a layer in the same template is read from its content (local,
// or S3 with --s3); an ARN, or anything that cannot be read here, is a layer whose content the
// engine cannot see (its rules then warn instead of failing).
func (r *reader) layers(props *intrinsic.Node) []inspect.Source {
	list, err := r.Resolve(props.Get("Layers"))
	if err != nil {
		return []inspect.Source{{Name: "Layers (" + err.Error() + ")"}}
	}
	if list == nil || list.Kind != intrinsic.List {
		return nil
	}
	var out []inspect.Source
	for i, it := range list.Items {
		if name, arg, ok := it.Function(); ok && name == "Ref" && arg.Kind == intrinsic.Scalar {
			if lr := r.t.Get("Resources").Get(arg.Value); lr != nil {
				out = append(out, r.layer(arg.Value, lr))
				continue
			}
		}
		s, ok, err := r.String(it)
		switch {
		case err != nil:
			out = append(out, inspect.Source{Name: it.Describe()})
		case ok:
			out = append(out, inspect.Source{Name: s})
		default:
			out = append(out, inspect.Source{Name: fmt.Sprintf("layer %d", i+1)})
		}
	}
	return out
}

// layer reads a layer resource of the same template: AWS::Lambda::LayerVersion's Content
// {S3Bucket, S3Key} (with CDK asset metadata) or AWS::Serverless::LayerVersion's ContentUri.
func (r *reader) layer(id string, lr *intrinsic.Node) inspect.Source {
	typ, _ := scalarValue(lr.Get("Type"))
	props := lr.Get("Properties")
	var f Function
	switch typ {
	case "AWS::Lambda::LayerVersion":
		content, err := r.Resolve(props.Get("Content"))
		if err != nil || content == nil {
			return inspect.Source{Name: id + " (content unresolved)"}
		}
		r.s3Code(&f, lr, content.Get("S3Bucket"), content.Get("S3Key"), content.Get("S3ObjectVersion"), "Content")
	case "AWS::Serverless::LayerVersion":
		if rel := r.a.assetPath(lr, ""); rel != "" {
			if src, err := r.open(rel); err == nil {
				src.Name = id + " (" + rel + ")"
				return src
			}
		}
		v, err := r.Resolve(props.Get("ContentUri"))
		switch {
		case err != nil || v == nil:
			return inspect.Source{Name: id + " (ContentUri unresolved)"}
		case v.Kind == intrinsic.Map:
			r.s3Code(&f, lr, v.Get("Bucket"), v.Get("Key"), v.Get("Version"), "ContentUri")
		case v.Kind == intrinsic.Scalar:
			r.uri(&f, v.Value)
		}
	default:
		return inspect.Source{Name: id}
	}
	src := f.Code
	if f.Package.Inspected {
		src.Name = id + " (" + f.Package.Source + ")"
	} else {
		src = inspect.Source{Name: id + " (not inspected: " + f.Package.Detail + ")"}
	}
	return src
}
