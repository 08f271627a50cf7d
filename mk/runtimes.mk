# The runtime data the AWS CDK ships, for the test that compares the built-in runtime catalogue
# with it (internal/runtimes TestCatalogueMatchesCDK): aws-cdk-lib's aws-lambda/lib/runtime.js (the
# Runtime list) and runtime.d.ts (its @deprecated flags). Downloaded once with npm pack into
# .cache/cdk-runtimes/ (ignored by git) and reused; the stamp names the pinned version, so a bump
# downloads again and the test names every new difference.
CDK_RUNTIMES_CACHE   := .cache/cdk-runtimes
CDK_RUNTIMES_VERSION := 2.278.0
CDK_RUNTIMES_STAMP   := $(CDK_RUNTIMES_CACHE)/.aws-cdk-lib-$(CDK_RUNTIMES_VERSION)

.PHONY: cdk-runtimes-cache
cdk-runtimes-cache: $(CDK_RUNTIMES_STAMP)
$(CDK_RUNTIMES_STAMP):
	@set -e; mkdir -p $(CDK_RUNTIMES_CACHE); tmp=$$(mktemp -d); \
	  (cd $$tmp && npm pack --silent aws-cdk-lib@$(CDK_RUNTIMES_VERSION) >/dev/null); \
	  rm -rf $(CDK_RUNTIMES_CACHE)/aws-cdk-lib; mkdir -p $(CDK_RUNTIMES_CACHE)/aws-cdk-lib; \
	  tar -xzf $$tmp/aws-cdk-lib-$(CDK_RUNTIMES_VERSION).tgz -C $(CDK_RUNTIMES_CACHE)/aws-cdk-lib --strip-components=1 \
	    package/package.json package/aws-lambda/lib/runtime.js package/aws-lambda/lib/runtime.d.ts; \
	  rm -rf $$tmp
	@touch $@

TEST_DEPS += cdk-runtimes-cache

# Fuzz target of the Lambda Core answer parser (internal/cmr), run by make fuzz.
EXTRA_FUZZ_TARGETS += ./internal/cmr:FuzzDecodeAlias
