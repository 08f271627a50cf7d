package guard

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes/remote"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// withTag adds tags to function properties.
func withTag(p map[string]any, kv ...string) map[string]any {
	var tags []map[string]any
	for i := 0; i+1 < len(kv); i += 2 {
		tags = append(tags, map[string]any{"Key": kv[i], "Value": kv[i+1]})
	}
	p["Tags"] = tags
	return p
}

// TestExemptions: per-rule exemptions turn exactly the named rules' failures into SKIPPED
// annotations; the platform switch decides which tags count; every exemption used is logged and
// published.
func TestExemptions(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:123456789012:bootstrap-guard"
	m := testenv.StartMinIO(t)
	m.Bucket(t, "packages", false)
	arm := goBinary(t, "linux", "arm64")
	m.Put(t, "packages", "nested.zip", zipOf(t, entry{"bin/hello/bootstrap", 0o755, arm}))
	nested := func() map[string]any { return fnProps("provided.al2023", "arm64", "packages", "nested.zip", "") }

	tests := []struct {
		name      string
		tag       string
		mode      exemptions.Mode
		status    hookapi.HookStatus
		nested    hookapi.AnnotationStatus // the bootstrap-nested annotation
		ignored   bool                     // an exemption-ignored warning annotation
		published bool                     // an SNS message
		exempted  []string                 // logged exemptedRules
		inMessage string
	}{
		{name: "exempting bootstrap-nested passes", tag: "bootstrap-nested: vendor ships bin/hello, wrapper layer", status: hookapi.StatusSuccess,
			nested: hookapi.AnnotationSkipped, published: true, exempted: []string{"bootstrap-nested"}, inMessage: "Exempted [bootstrap-nested] by the tag bootstrap-guard:exempt (vendor ships bin/hello, wrapper layer): bootstrap is at bin/hello/bootstrap"},
		{name: "exempting another rule still fails", tag: "bootstrap-glibc: vendor blob", status: hookapi.StatusFailed,
			nested: hookapi.AnnotationFailed, published: true, exempted: []string{}, inMessage: "will fail on Lambda: 1 problem"},
		{name: "unknown rule warns", tag: "bootstrap-nested,bootstrap-nestd: x", status: hookapi.StatusSuccess,
			nested: hookapi.AnnotationSkipped, ignored: true, published: true, exempted: []string{"bootstrap-nested"}, inMessage: "did you mean bootstrap-nested"},
		{name: "rules-only honours rules", tag: "bootstrap-nested: vendor", mode: exemptions.RulesOnly, status: hookapi.StatusSuccess,
			nested: hookapi.AnnotationSkipped, published: true, exempted: []string{"bootstrap-nested"}},
		{name: "rules-only ignores whole function", tag: "CHG-1234 retired", mode: exemptions.RulesOnly, status: hookapi.StatusFailed,
			nested: hookapi.AnnotationFailed, ignored: true, published: true, exempted: []string{}, inMessage: "only per-rule exemptions"},
		{name: "none ignores rules", tag: "bootstrap-nested: vendor", mode: exemptions.None, status: hookapi.StatusFailed,
			nested: hookapi.AnnotationFailed, ignored: true, published: true, exempted: []string{}, inMessage: "honours no exemptions"},
		{name: "whole function, any", tag: "CHG-1234 retired", status: hookapi.StatusSuccess, published: true, exempted: []string{"*"}, inMessage: "is exempt from Bootstrap Guard"},
		{name: "no tag", status: hookapi.StatusFailed, nested: hookapi.AnnotationFailed, published: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, sent := snsServer(t, 0)
			sc := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: testCreds})
			h, logs := newTestHandler(t, Config{TopicARN: topic, Policy: engine.Policy{Exemptions: tt.mode}}, Clients{S3: m.Client(), SNS: sc})
			p := nested()
			if tt.tag != "" {
				p = withTag(p, "team", "payments", exemptions.Tag, tt.tag)
			}
			r, err := h.Handle(context.Background(), eventFrom(t, "create.json", "Vendor", p))
			if err != nil {
				t.Fatal(err)
			}
			if r.HookStatus != tt.status {
				t.Fatalf("status %s, want %s\n%s", r.HookStatus, tt.status, r.Message)
			}
			if tt.status == hookapi.StatusFailed && r.ErrorCode != hookapi.NonCompliant {
				t.Errorf("error code %q", r.ErrorCode)
			}
			if !strings.Contains(r.Message, tt.inMessage) {
				t.Errorf("message lacks %q:\n%s", tt.inMessage, r.Message)
			}
			if tt.nested != "" {
				a, ok := annotation(r, "bootstrap-nested")
				if !ok || a.Status != tt.nested {
					t.Errorf("bootstrap-nested annotation %+v, want %s", a, tt.nested)
				}
				if tt.nested == hookapi.AnnotationSkipped && (!strings.Contains(a.StatusMessage, "Exempted by the tag") || a.SeverityLevel != hookapi.SeverityHigh) {
					t.Errorf("exempted annotation must say why and keep its severity: %+v", a)
				}
			}
			if a, ok := annotation(r, "exemption-ignored"); (ok && a.Status == hookapi.AnnotationFailed) != tt.ignored {
				t.Errorf("exemption-ignored annotation %+v, want a warning: %v", a, tt.ignored)
			}
			lines := logLines(t, logs)
			last := lines[len(lines)-1]
			if tt.tag != "" {
				got, _ := json.Marshal(last["exemptedRules"])
				want, _ := json.Marshal(tt.exempted)
				if string(got) != string(want) || last["exemptTag"] != tt.tag || last["exemptionMode"] == "" {
					t.Errorf("log exemptedRules %s tag %v mode %v; want %s, %q", got, last["exemptTag"], last["exemptionMode"], want, tt.tag)
				}
			} else if _, ok := last["exemptTag"]; ok {
				t.Error("exemption logged without a tag")
			}
			msgs := sent()
			if (len(msgs) == 1) != tt.published {
				t.Fatalf("%d publishes, want published=%v", len(msgs), tt.published)
			}
			if !tt.published {
				return
			}
			var n Notification
			if err := json.Unmarshal([]byte(msgs[0].Get("Message")), &n); err != nil {
				t.Fatal(err)
			}
			used := len(tt.exempted) > 0
			if (n.Exemption != nil) != used {
				t.Fatalf("notification exemption %+v, want present=%v", n.Exemption, used)
			}
			if used && (!slices.Equal(n.Exemption.Rules, tt.exempted) || n.Exemption.Value != tt.tag || n.Exemption.Reason == "") {
				t.Errorf("notified exemption %+v", n.Exemption)
			}
			if used && tt.status == hookapi.StatusSuccess && !strings.Contains(msgs[0].Get("Subject"), "passed with an exemption") {
				t.Errorf("subject %q", msgs[0].Get("Subject"))
			}
		})
	}
}

// clock is a settable offset on real time: the catalogue TTL can pass without sleeping, while
// the decision's deadlines still run on the real clock.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.off += d
	c.mu.Unlock()
}

// catalogueWith is a valid catalogue listing the given nodejs runtimes (newest first).
func catalogueWith(retrieved string, names ...string) string {
	var rows []string
	for i, n := range names {
		succ := ""
		if i > 0 {
			succ = `,"successor":"` + names[0] + `"`
		}
		rows = append(rows, `{"name":"`+n+`","family":"nodejs","os":"al2023","glibc":"2.34","deprecated":"2029-04-30"`+succ+`}`)
	}
	return `{"source":"test catalogue","retrieved":"` + retrieved + `","runtimes":[` + strings.Join(rows, ",") + `]}`
}

// inlineNode is an inline nodejs function on the given runtime: it needs no package reads.
func inlineNode(t *testing.T, runtime string) []byte {
	return eventFrom(t, "inline.json", "NodeFn", map[string]any{"Runtime": runtime, "Handler": "index.handler", "Code": map[string]any{"ZipFile": "exports.handler = async () => 1;"}})
}

// TestCatalogueFromSSM: the hook reads its runtime catalogue from SSM through the real client,
// keeps it for the TTL, picks up a new version after it, and falls back to the built-in one when
// the parameter is missing, denied or invalid.
func TestCatalogueFromSSM(t *testing.T) {
	srv := testenv.StartSSM(t)
	const param = "/bootstrap-guard/runtimes"
	srv.Put(param, catalogueWith("2026-12-01", "nodejs24.x"))
	sc := ssm.New(ssm.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: testCreds})
	loc, _ := remote.ParseLocation("ssm:" + param)
	h, logs := newTestHandler(t, Config{Runtimes: &loc, RuntimesTTL: time.Minute}, Clients{SSM: sc})
	clk := &clock{}
	h.now = clk.now
	ctx := context.Background()

	decide := func(runtime string) hookapi.Response {
		t.Helper()
		r, err := h.Handle(ctx, inlineNode(t, runtime))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	step := func(name, runtime string, status hookapi.HookStatus, unlisted bool, catStatus hookapi.AnnotationStatus, inCat string) {
		t.Run(name, func(t *testing.T) {
			r := decide(runtime)
			if r.HookStatus != status {
				t.Fatalf("status %s, want %s\n%s", r.HookStatus, status, r.Message)
			}
			if a, ok := annotation(r, "runtime-newer-than-catalogue"); (ok && a.Status == hookapi.AnnotationFailed) != unlisted {
				t.Errorf("runtime-newer-than-catalogue %+v, want a warning: %v", a, unlisted)
			}
			a, ok := annotation(r, CatalogueAnnotation)
			if !ok || a.Status != catStatus || !strings.Contains(a.StatusMessage, inCat) {
				t.Errorf("catalogue annotation %+v, want %s with %q", a, catStatus, inCat)
			}
		})
	}
	step("nodejs26.x newer than the SSM catalogue", "nodejs26.x", hookapi.StatusSuccess, true, hookapi.AnnotationPassed, "SSM parameter /bootstrap-guard/runtimes (version 1)")
	step("typo fails", "nodejs26", hookapi.StatusFailed, false, hookapi.AnnotationPassed, "retrieved 2026-12-01")

	srv.Put(param, catalogueWith("2027-06-01", "nodejs26.x", "nodejs24.x"))
	step("within the TTL the old catalogue stays", "nodejs26.x", hookapi.StatusSuccess, true, hookapi.AnnotationPassed, "version 1")
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d GetParameter calls within the TTL, want 1", n)
	}
	clk.advance(time.Minute + time.Second)
	step("after the TTL the new catalogue lists nodejs26.x", "nodejs26.x", hookapi.StatusSuccess, false, hookapi.AnnotationPassed, "version 2")

	srv.Put(param, `{"source":"x","retrieved":"2027-07-01","runtimes":[{"name":"nodejs28.x","family":"nodejs"}]}`)
	clk.advance(time.Minute + time.Second)
	step("invalid catalogue falls back", "nodejs26.x", hookapi.StatusSuccess, true, hookapi.AnnotationFailed, "built-in catalogue, retrieved 2026-12-06")
	if !strings.Contains(logs.String(), `"msg":"runtime catalogue unusable; using the built-in one"`) || !strings.Contains(logs.String(), "nodejs28.x: os") {
		t.Errorf("fallback not logged with its reason:\n%s", logs.String())
	}

	srv.Put(param, catalogueWith("2027-08-01", "nodejs26.x", "nodejs24.x"))
	clk.advance(CatalogueRetry + time.Second) // a failure is retried sooner than the TTL
	step("recovers after the retry interval", "nodejs26.x", hookapi.StatusSuccess, false, hookapi.AnnotationPassed, "retrieved 2027-08-01")

	srv.Deny(param, true)
	clk.advance(time.Minute + time.Second)
	r := decide("nodejs26.x")
	if a, _ := annotation(r, CatalogueAnnotation); a.Status != hookapi.AnnotationFailed || !strings.Contains(a.StatusMessage, "AccessDenied") || !strings.Contains(a.RemediationMessage, "ssm:GetParameter") {
		t.Errorf("denied: %+v", a)
	}
	if !strings.Contains(r.Message, "the built-in one (retrieved 2026-12-06) was") {
		t.Errorf("the message does not say the built-in catalogue was used:\n%s", r.Message)
	}
	srv.Deny(param, false)
	srv.Delete(param)
	clk.advance(time.Minute + time.Second)
	if a, _ := annotation(decide("provided.al2023"), CatalogueAnnotation); a.Status != hookapi.AnnotationFailed || !strings.Contains(a.StatusMessage, "ParameterNotFound") {
		t.Errorf("missing: %+v", a)
	}
}

// TestCatalogueFromS3: the same from an S3 object in MinIO.
func TestCatalogueFromS3(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "platform", false)
	m.Put(t, "platform", "guard/runtimes.json", []byte(catalogueWith("2026-12-01", "nodejs24.x")))
	loc, _ := remote.ParseLocation("s3://platform/guard/runtimes.json")
	h, logs := newTestHandler(t, Config{Runtimes: &loc, RuntimesTTL: 2 * time.Minute}, Clients{S3: m.Client()})
	clk := &clock{}
	h.now = clk.now
	check := func(name string, unlisted bool, catStatus hookapi.AnnotationStatus, inCat string) {
		t.Helper()
		r, err := h.Handle(context.Background(), inlineNode(t, "nodejs26.x"))
		if err != nil {
			t.Fatal(err)
		}
		if r.HookStatus != hookapi.StatusSuccess {
			t.Fatalf("%s: %s %s", name, r.HookStatus, r.Message)
		}
		_, got := annotation(r, "runtime-newer-than-catalogue")
		if a, _ := annotation(r, "runtime-newer-than-catalogue"); got && a.Status != hookapi.AnnotationFailed {
			got = false // a PASSED annotation: evaluated, no finding
		}
		a, _ := annotation(r, CatalogueAnnotation)
		if got != unlisted || a.Status != catStatus || !strings.Contains(a.StatusMessage, inCat) {
			t.Errorf("%s: unlisted %v (want %v), catalogue %+v (want %s with %q)", name, got, unlisted, a, catStatus, inCat)
		}
	}
	check("old catalogue", true, hookapi.AnnotationPassed, "S3 object s3://platform/guard/runtimes.json")
	m.Put(t, "platform", "guard/runtimes.json", []byte(catalogueWith("2027-06-01", "nodejs26.x", "nodejs24.x")))
	check("still cached", true, hookapi.AnnotationPassed, "retrieved 2026-12-01")
	clk.advance(2*time.Minute + time.Second)
	check("new catalogue after the TTL", false, hookapi.AnnotationPassed, "retrieved 2027-06-01")
	m.Put(t, "platform", "guard/runtimes.json", []byte("<Error>not json</Error>"))
	clk.advance(2*time.Minute + time.Second)
	check("garbage falls back", true, hookapi.AnnotationFailed, "built-in catalogue")
	if !bytes.Contains(logs.Bytes(), []byte("runtime catalogue unusable")) {
		t.Error("fallback not logged")
	}
}

func TestConfigPolicy(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cfg, err := ConfigFromEnv(env(map[string]string{EnvExemptions: "rules-only", EnvRuntimes: "ssm:/guard/runtimes", EnvRuntimesTTL: "90"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Exemptions != exemptions.RulesOnly || cfg.Runtimes == nil || cfg.Runtimes.String() != "ssm:/guard/runtimes" || cfg.RuntimesTTL != 90*time.Second {
		t.Errorf("got %+v", cfg)
	}
	cfg, err = ConfigFromEnv(env(map[string]string{EnvRuntimes: "s3://b/k.json", EnvRuntimesTTL: "10m"}))
	if err != nil || cfg.Runtimes.Kind != remote.KindS3 || cfg.RuntimesTTL != 10*time.Minute || cfg.Exemptions != exemptions.Any {
		t.Errorf("got %+v, %v", cfg, err)
	}
	// A runtime newer than the built-in catalogue may be denied; a typo may not.
	if cfg, err := ConfigFromEnv(env(map[string]string{EnvDenyRuntimes: "nodejs26.x"})); err != nil || len(cfg.Deny) != 1 {
		t.Errorf("deny nodejs26.x: %+v, %v", cfg.Deny, err)
	}
	for k, v := range map[string]string{EnvExemptions: "sometimes", EnvRuntimes: "https://example.com/c.json", EnvRuntimesTTL: "0s", EnvDenyRuntimes: "nodejs26"} {
		if _, err := ConfigFromEnv(env(map[string]string{k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: err %v, want one naming the variable", k, v, err)
		}
	}
}
