# The CDK app (cdk/, cdk.json). Synthesis needs Node.js (jsii) and builds the hook itself.
# deploy and destroy use the aws-cdk CLI from npm at a pinned version, with your AWS credentials.
CDK_CLI     := npx --yes aws-cdk@2.1148.1
CDK_OUT     := cdk.out
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1

.PHONY: synth deploy destroy test-cdk test-example bench-cdk publish-org
synth: zip
	@rm -rf $(CDK_OUT) && mkdir -p build
	@echo "synthesizing the CDK app (go run ./cdk) into $(CDK_OUT)/; log in build/synth.log"
	@CDK_OUTDIR=$(CDK_OUT) CDK_CONTEXT_JSON='{"demo":"true"}' $(GO) run ./cdk > build/synth.log 2>&1 || { cat build/synth.log; exit 1; }

# One account and region: the guard only (the demo stack is opt-in, -c demo=true, for make demo).
deploy:
	$(CDK_CLI) deploy BootstrapGuard $(CDK_ARGS)
destroy:
	$(CDK_CLI) destroy BootstrapGuard $(CDK_ARGS)

# Organization: synthesize with the org context (CDK_ARGS='-c orgUnits=... -c orgRegions=...
# -c orgId=... -c codeBucketPrefix=...'), then upload the hook package the synth put into
# cdk.out/bootstrap-guard-org/ to every PREFIX-REGION bucket under the key BootstrapGuardOrg's
# CodeKey output names (bootstrap-guard/<file name>), then deploy the stack set.
ORG_REGIONS ?=
CODE_BUCKET_PREFIX ?=
publish-org:
	@test -n "$(ORG_REGIONS)" -a -n "$(CODE_BUCKET_PREFIX)" || { echo "set ORG_REGIONS and CODE_BUCKET_PREFIX"; exit 2; }
	@set -e; zips=$$(ls $(CDK_OUT)/bootstrap-guard-org/hook-*.zip 2>/dev/null || true); \
	  test $$(echo "$$zips" | grep -c .) -eq 1 || { echo "want exactly one $(CDK_OUT)/bootstrap-guard-org/hook-*.zip: run $(CDK_CLI) synth with the org context first (found: $$zips)"; exit 2; }; \
	  key=bootstrap-guard/$$(basename $$zips); \
	  for r in $(ORG_REGIONS); do aws s3 cp $$zips s3://$(CODE_BUCKET_PREFIX)-$$r/$$key --region $$r; done

# What the package check adds to a synth of this app with the demo stack: medians of 8 pairs of
# synths, without and with the check (BenchmarkSynthDemo in cdk/main_test.go).
bench-cdk: zip
	$(GO) test -run '^$$' -bench BenchmarkSynthDemo -benchtime 8x -count 1 ./cdk 2>&1 | grep -E '^(Benchmark|goos|goarch|cpu|ok|FAIL|---)'

# CDK tests in their own package: compiling awscdk once is slow, the rest of go test stays fast.
test-cdk:
	$(GO) test -count=1 ./cdk/...

# The example app (examples/cdk-app), a module of its own as a user's app is: copied into a
# temporary directory with its replace pointed at this checkout and tidied (what a user's go get +
# go mod tidy does, so a dependency the hook gained since examples/cdk-app/go.sum was written is
# picked up), so it builds the hook from its own module graph, then synthesized by its tests
# (in-process, and with go run . as cdk synth runs it).
test-example:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  cp -R examples/cdk-app/. "$$tmp"/; rm -rf "$$tmp"/.build "$$tmp"/cdk.out; \
	  cd "$$tmp" && $(GO) mod edit -replace github.com/bootstrap-guard/bootstrap-guard=$(CURDIR) && \
	  $(GO) mod tidy && \
	  echo "synthesizing examples/cdk-app in $$tmp" && $(GO) test -count=1 ./...

TEST_DEPS += test-cdk test-example
