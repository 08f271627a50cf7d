# Deployment tools whose output the project tests read (internal/project, internal/cli): the
# Serverless Framework v3 (serverless package runs offline with dummy credentials) and a
# TypeScript CDK app's toolchain (aws-cdk-lib, constructs, the aws-cdk CLI, typescript), from npm.
# Installed once into .cache/ (ignored by git) and reused; the stamp records a complete install.
SLS_CACHE   := .cache/serverless
SLS_STAMP   := $(SLS_CACHE)/.complete-v1
SLS_VERSION := 3.40.0
CDKTS_CACHE := .cache/cdk-ts
CDKTS_STAMP := $(CDKTS_CACHE)/.complete-v1
CDKTS_NPM   := aws-cdk-lib@2.278.0 constructs@10.8.1 aws-cdk@2.1149.0 typescript@5.9.3

.PHONY: serverless-cache cdk-ts-cache
serverless-cache: $(SLS_STAMP)
$(SLS_STAMP):
	@mkdir -p $(SLS_CACHE)
	npm install --silent --no-audit --no-fund --prefix $(SLS_CACHE) serverless@$(SLS_VERSION)
	@touch $@
cdk-ts-cache: $(CDKTS_STAMP)
$(CDKTS_STAMP):
	@mkdir -p $(CDKTS_CACHE)
	npm install --silent --no-audit --no-fund --prefix $(CDKTS_CACHE) $(CDKTS_NPM)
	@touch $@

TEST_DEPS += serverless-cache cdk-ts-cache

# The reader of serverless package output (serverless-state.json, the template, serverless.yml).
EXTRA_FUZZ_TARGETS += ./internal/project:FuzzServerless
