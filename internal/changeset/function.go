package changeset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/intrinsic"
)

// KnownAfterApply is what CloudFormation writes in a change set's after state for a value that
// exists only once the change set executes: an attribute or Ref of a resource it creates
// (DescribeChangeSet's AfterContext; aws/aws-cdk-cli packages/@aws-cdk/cloudformation-diff/test/util.ts
// builds its change-set fixtures with this exact text).
const KnownAfterApply = "{{changeSet:KNOWN_AFTER_APPLY}}"

// Request is what the hook request says about where the change set will run: the facts that make
// pseudo parameters certain.
type Request struct {
	AccountID   string // awsAccountId
	StackID     string // arn:PARTITION:cloudformation:REGION:ACCOUNT:stack/NAME/ID
	ChangeSetID string // arn:PARTITION:cloudformation:REGION:ACCOUNT:changeSet/NAME/ID
}

// Function is a Lambda function the change set creates or updates.
type Function struct {
	LogicalID    string
	ResourceType string // TypeFunction or TypeServerlessFunction
	Action       string // ActionCreate or ActionUpdate
	Line         int    // the template line CloudFormation reports, 0 when none
	// Props are the properties the RESOURCE-time check would receive, with what the request
	// makes certain resolved. Meaningful only when Deferred is "".
	Props hookapi.FunctionProperties
	// Deferred says why the function is left to the check CloudFormation makes when it is about
	// to provision it (the RESOURCE target): something the check needs is known only once the
	// change set executes. "" when it is checked now.
	Deferred string
	// Unknown names the environment variables whose values are known only after the change set
	// executes and that Lambda does not interpret (an application's own settings, such as a
	// table name): they are left out of the check.
	Unknown []string
}

// Functions selects the changed resources of type AWS::Lambda::Function (or
// AWS::Serverless::Function) that the change set creates or updates, in payload order, and reads
// each one's properties. DELETE, other actions and other types are not returned: nothing about
// them can stop a function from starting.
func (p *Payload) Functions(req Request) []Function {
	var out []Function
	for _, c := range p.Changes {
		if c.ResourceType != TypeFunction && c.ResourceType != TypeServerlessFunction {
			continue
		}
		if c.Action != ActionCreate && c.Action != ActionUpdate {
			continue
		}
		fn := Function{LogicalID: c.LogicalID, ResourceType: c.ResourceType, Action: c.Action, Line: c.Line}
		if fn.LogicalID == "" {
			fn.LogicalID = "(no logical ID)"
		}
		switch {
		case c.afterUnreadable:
			fn.Deferred = "its after state in the change set is not a JSON object"
		case len(c.After) == 0:
			fn.Deferred = "the change set carries no after state (afterContext) for it"
		default:
			props, unknown, why := readProperties(c.After, c.ResourceType, req)
			fn.Props, fn.Unknown, fn.Deferred = props, unknown, why
		}
		out = append(out, fn)
	}
	return out
}

// readProperties turns an after state into function properties. why is non-empty when the
// function must be deferred.
func readProperties(after json.RawMessage, typ string, req Request) (hookapi.FunctionProperties, []string, string) {
	root, err := parseJSONNode(after)
	if err != nil {
		return hookapi.FunctionProperties{}, nil, fmt.Sprintf("its after state could not be read (%v)", err)
	}
	props := root
	// The user guide's contexts and DescribeChangeSet's AfterContext wrap the properties in
	// {"Properties": ...}; the registry libraries' ResourceProperties are the properties
	// themselves. A Lambda function has no property named Properties, so the key tells them apart.
	if p := root.Get("Properties"); p != nil && p.Kind == intrinsic.Map {
		props = p
	}
	if props.Kind != intrinsic.Map {
		return hookapi.FunctionProperties{}, nil, "its after state holds no property map"
	}
	r := newResolver(req)
	if typ == TypeServerlessFunction {
		var why string
		if props, why = r.fromServerless(props); why != "" {
			return hookapi.FunctionProperties{}, nil, why
		}
	}
	out, unknown, why := r.lambdaProperties(props)
	if why != "" {
		return hookapi.FunctionProperties{}, nil, why
	}
	b, err := json.Marshal(out)
	if err != nil {
		return hookapi.FunctionProperties{}, nil, fmt.Sprintf("its properties could not be re-encoded (%v)", err)
	}
	fp, err := (&hookapi.TargetModel{ResourceProperties: b}).FunctionProperties()
	if err != nil {
		return hookapi.FunctionProperties{}, nil, fmt.Sprintf("its properties could not be read (%v)", err)
	}
	return fp, unknown, ""
}

// resolver evaluates what the request makes certain: pseudo parameters, through the template
// evaluator (internal/intrinsic). Parameters, resource attributes and imports are not known from
// the payload and stay unresolved (a parameter's Default may be overridden by the deployment).
type resolver struct {
	given map[string]string
	// suffixCertain says AWS::URLSuffix follows from the partition (see newResolver).
	suffixCertain bool
}

// urlSuffixes maps a partition to its AWS::URLSuffix, from the pseudo parameters reference
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/pseudo-parameter-reference.html,
// AWS::URLSuffix: "amazonaws.com" in most Regions, "amazonaws.com.cn" in the China Regions).
var urlSuffixes = map[string]string{"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}

func newResolver(req Request) *resolver {
	given := map[string]string{}
	arn := req.StackID
	if arnField(arn, 2) != "cloudformation" {
		arn = req.ChangeSetID
	}
	partition, region, account := arnField(arn, 1), arnField(arn, 3), arnField(arn, 4)
	if a := strings.TrimSpace(req.AccountID); a != "" {
		account = a
	}
	if account != "" {
		given["AWS::AccountId"] = account
	}
	if region != "" {
		given["AWS::Region"] = region
	}
	r := &resolver{given: given}
	if partition != "" {
		given["AWS::Partition"] = partition
		if s, ok := urlSuffixes[partition]; ok {
			given["AWS::URLSuffix"] = s
			r.suffixCertain = true
		}
	}
	if name, ok := strings.CutPrefix(arnField(req.StackID, 5), "stack/"); ok {
		if name, _, _ = strings.Cut(name, "/"); name != "" {
			given["AWS::StackName"] = name
			given["AWS::StackId"] = req.StackID
		}
	}
	return r
}

// arnField returns field i of arn:partition:service:region:account:resource, or "".
func arnField(arn string, i int) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return ""
	}
	return p[i]
}

// errUnknown marks a value that is known only after the change set executes.
type errUnknown struct{ what string }

func (e *errUnknown) Error() string { return e.what }

// value evaluates n fully. An error says the value is not certain now: an intrinsic that needs
// the deployed stack, a parameter, the KNOWN_AFTER_APPLY marker, or AWS::URLSuffix in a
// partition whose suffix is not certain.
func (r *resolver) value(n *intrinsic.Node) (*intrinsic.Node, error) {
	if !r.suffixCertain && mentions(n, "AWS::URLSuffix", 0) {
		return nil, &errUnknown{"AWS::URLSuffix of this partition"}
	}
	// One evaluator per value bounds each evaluation's steps on its own.
	ev := intrinsic.New(&intrinsic.Node{Kind: intrinsic.Map}, r.given)
	v, err := ev.Eval(n)
	if err != nil {
		if ie, ok := intrinsic.AsError(err); ok {
			return nil, &errUnknown{ie.Expr}
		}
		return nil, &errUnknown{err.Error()}
	}
	if mentions(v, KnownAfterApply, 0) {
		return nil, &errUnknown{KnownAfterApply}
	}
	return v, nil
}

// mentions reports whether a scalar (or a Ref's name) under n contains s.
func mentions(n *intrinsic.Node, s string, depth int) bool {
	if n == nil || depth > maxContextDepth {
		return false
	}
	switch n.Kind {
	case intrinsic.Scalar:
		return strings.Contains(n.Value, s)
	case intrinsic.List:
		return slices.ContainsFunc(n.Items, func(it *intrinsic.Node) bool { return mentions(it, s, depth+1) })
	case intrinsic.Map:
		return slices.ContainsFunc(n.Vals, func(v *intrinsic.Node) bool { return mentions(v, s, depth+1) })
	}
	return false
}

// lambdaProperties resolves the AWS::Lambda::Function properties the check reads into plain JSON
// values. Others (MemorySize, Role, VpcConfig, ...) are not read and not evaluated.
func (r *resolver) lambdaProperties(props *intrinsic.Node) (map[string]any, []string, string) {
	out := map[string]any{}
	unknownWhy := func(name string, err error) string {
		return fmt.Sprintf("%s is known only when the change set executes (%v)", name, err)
	}
	for _, name := range []string{"Runtime", "Handler", "PackageType", "Architectures", "Layers", "ImageConfig"} {
		n := props.Get(name)
		if n == nil {
			continue
		}
		v, err := r.value(n)
		if err != nil {
			return nil, nil, unknownWhy(name, err)
		}
		if v != nil {
			out[name] = plain(v)
		}
	}
	if code := props.Get("Code"); code != nil {
		c, err := r.value(code)
		if err != nil {
			return nil, nil, unknownWhy("Code", fieldOf(code, err))
		}
		if c != nil {
			out["Code"] = plain(c)
		}
	}
	var unknown []string
	if env := props.Get("Environment"); env != nil {
		vars := env.Get("Variables")
		if vars == nil {
			// Environment itself may be an intrinsic (Fn::If) that yields the map.
			if v, err := r.value(env); err == nil && v != nil {
				vars = v.Get("Variables")
			} else if err != nil {
				return nil, nil, unknownWhy("Environment", err)
			}
		}
		if _, _, fn := vars.Function(); vars != nil && (vars.Kind != intrinsic.Map || fn) {
			v, err := r.value(vars)
			if err != nil {
				return nil, nil, unknownWhy("Environment.Variables", err)
			}
			vars = v
		}
		if vars != nil && vars.Kind == intrinsic.Map {
			m := map[string]any{}
			for i, k := range vars.Keys {
				v, err := r.value(vars.Vals[i])
				if err != nil {
					if interpreted(k) {
						return nil, nil, unknownWhy("Environment variable "+k, err)
					}
					unknown = append(unknown, k)
					continue
				}
				if v != nil {
					m[k] = plain(v)
				}
			}
			out["Environment"] = map[string]any{"Variables": m}
		}
	}
	if tags := props.Get("Tags"); tags != nil {
		list, why := r.tags(tags)
		if why != "" {
			return nil, nil, why
		}
		out["Tags"] = list
	}
	return out, unknown, ""
}

// fieldOf names the Code field an unknown error came from, when Code is a literal map.
func fieldOf(code *intrinsic.Node, err error) error {
	if code.Kind != intrinsic.Map {
		return err
	}
	for i, k := range code.Keys {
		if _, _, ok := code.Vals[i].Function(); ok || mentions(code.Vals[i], KnownAfterApply, 0) {
			//lint:ignore ST1005 Code is the CloudFormation property's name, as written in the template
			return fmt.Errorf("Code.%s: %w", k, err)
		}
	}
	return err
}

// tags keeps the tags whose key and value are certain. The exemption tag decides what is checked,
// so an uncertain value of it defers the function; other tags do not matter to the check.
func (r *resolver) tags(n *intrinsic.Node) ([]any, string) {
	v, err := r.value(n)
	if err == nil {
		if v == nil || v.Kind != intrinsic.List {
			return nil, ""
		}
		return plain(v).([]any), ""
	}
	if n.Kind != intrinsic.List {
		// The list itself is computed: whether it holds the exemption tag cannot be told.
		return nil, fmt.Sprintf("Tags are known only when the change set executes (%v)", err)
	}
	var out []any
	for _, it := range n.Items {
		key, kerr := r.value(it.Get("Key"))
		val, verr := r.value(it.Get("Value"))
		switch {
		case kerr != nil:
			return nil, fmt.Sprintf("a tag key is known only when the change set executes (%v); it may be %s", kerr, exemptions.Tag)
		case key == nil || key.Kind != intrinsic.Scalar:
		case verr != nil:
			if key.Value == exemptions.Tag {
				return nil, fmt.Sprintf("the %s tag's value is known only when the change set executes (%v)", exemptions.Tag, verr)
			}
		case val == nil:
			out = append(out, map[string]any{"Key": key.Value, "Value": ""})
		default:
			out = append(out, map[string]any{"Key": key.Value, "Value": plain(val)})
		}
	}
	return out, ""
}

// interpreted reports whether Lambda or a runtime reads an environment variable of this name, so
// that an unknown value of it could change whether the function starts: Lambda reserves the AWS_
// and _ prefixes and the names it defines ("Defined runtime environment variables",
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
// and the runtimes read their language's search paths and options (the same page's list, and
// the checks' own readers: NODE_PATH in internal/handler, PYTHONPATH, RUBYLIB, and the native
// loaders' overrides in internal/native, all upper case with PATH or OPTIONS in the name).
func interpreted(name string) bool {
	u := strings.ToUpper(name)
	switch {
	case strings.HasPrefix(u, "AWS_"), strings.HasPrefix(u, "_"), strings.HasPrefix(u, "LAMBDA_"):
		return true
	case strings.Contains(u, "PATH"), strings.Contains(u, "OPTIONS"), strings.Contains(u, "LIB"):
		return true
	}
	switch u {
	case "LANG", "TZ", "HOME", "GEM_HOME":
		return true
	}
	return false
}

// plain turns an evaluated node into JSON values: scalars as strings (hookapi decodes them
// leniently), maps and lists as they are.
func plain(n *intrinsic.Node) any {
	switch n.Kind {
	case intrinsic.Scalar:
		return n.Value
	case intrinsic.List:
		out := make([]any, 0, len(n.Items))
		for _, it := range n.Items {
			out = append(out, plain(it))
		}
		return out
	case intrinsic.Map:
		out := make(map[string]any, len(n.Keys))
		for i, k := range n.Keys {
			out[k] = plain(n.Vals[i])
		}
		return out
	}
	return nil
}

// fromServerless maps AWS::Serverless::Function properties to AWS::Lambda::Function's, as the SAM
// transform does (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html):
// CodeUri (s3://BUCKET/KEY or {Bucket, Key, Version}) to Code.S3Bucket/S3Key/S3ObjectVersion,
// InlineCode to Code.ZipFile, ImageUri to Code.ImageUri, and the Tags map to a tag list. A local
// CodeUri is uploaded by sam package or sam deploy, so a change set never holds one that can be read.
func (r *resolver) fromServerless(props *intrinsic.Node) (*intrinsic.Node, string) {
	out := &intrinsic.Node{Kind: intrinsic.Map}
	code := &intrinsic.Node{Kind: intrinsic.Map}
	for i, k := range props.Keys {
		v := props.Vals[i]
		switch k {
		case "CodeUri":
			u, err := r.value(v)
			if err != nil {
				return nil, fmt.Sprintf("CodeUri is known only when the change set executes (%v)", err)
			}
			switch {
			case u == nil:
			case u.Kind == intrinsic.Scalar:
				rest, ok := strings.CutPrefix(u.Value, "s3://")
				bucket, key, _ := strings.Cut(rest, "/")
				if !ok || bucket == "" || key == "" {
					return nil, fmt.Sprintf("CodeUri %q is not an S3 location (a local path is uploaded by sam package or sam deploy)", u.Value)
				}
				code.Set("S3Bucket", intrinsic.Str(bucket))
				code.Set("S3Key", intrinsic.Str(key))
			case u.Kind == intrinsic.Map:
				for from, to := range map[string]string{"Bucket": "S3Bucket", "Key": "S3Key", "Version": "S3ObjectVersion"} {
					if x := u.Get(from); x != nil {
						code.Set(to, x)
					}
				}
			}
		case "InlineCode":
			code.Set("ZipFile", v)
		case "ImageUri":
			code.Set("ImageUri", v)
		case "Tags":
			t, err := r.value(v)
			if err != nil {
				if mentions(v, exemptions.Tag, 0) {
					return nil, fmt.Sprintf("Tags are known only when the change set executes (%v)", err)
				}
				continue
			}
			if t != nil && t.Kind == intrinsic.Map {
				list := &intrinsic.Node{Kind: intrinsic.List}
				for j, tk := range t.Keys {
					list.Items = append(list.Items, &intrinsic.Node{Kind: intrinsic.Map, Keys: []string{"Key", "Value"}, Vals: []*intrinsic.Node{intrinsic.Str(tk), t.Vals[j]}})
				}
				out.Set("Tags", list)
			}
		default:
			out.Set(k, v)
		}
	}
	if len(code.Keys) > 0 {
		out.Set("Code", code)
	}
	return out, ""
}

// parseJSONNode reads a JSON object into an intrinsic node tree, keeping key order, within
// maxContextDepth and maxContextNodes.
func parseJSONNode(b []byte) (*intrinsic.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	nodes := 0
	n, err := jsonValue(dec, 0, &nodes)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON value")
	}
	return n, nil
}

func jsonValue(dec *json.Decoder, depth int, nodes *int) (*intrinsic.Node, error) {
	if depth > maxContextDepth {
		return nil, fmt.Errorf("nested deeper than %d", maxContextDepth)
	}
	*nodes++
	if *nodes > maxContextNodes {
		return nil, fmt.Errorf("more than %d values", maxContextNodes)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &intrinsic.Node{Kind: intrinsic.Map}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				v, err := jsonValue(dec, depth+1, nodes)
				if err != nil {
					return nil, err
				}
				n.Keys = append(n.Keys, k)
				n.Vals = append(n.Vals, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		case '[':
			n := &intrinsic.Node{Kind: intrinsic.List}
			for dec.More() {
				v, err := jsonValue(dec, depth+1, nodes)
				if err != nil {
					return nil, err
				}
				n.Items = append(n.Items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return n, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return intrinsic.Str(t), nil
	case json.Number:
		return intrinsic.Str(t.String()), nil
	case bool:
		if t {
			return intrinsic.Str("true"), nil
		}
		return intrinsic.Str("false"), nil
	case nil:
		return &intrinsic.Node{Kind: intrinsic.Null}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}
