package native

// nodeRuntime is what a Node.js runtime's loader matches prebuilt addons against.
type nodeRuntime struct {
	Modules int // process.versions.modules, NODE_MODULE_VERSION
	NAPI    int // process.versions.napi, the highest Node-API version it implements
}

// nodeRuntimes holds, per Lambda Node.js runtime, the NODE_MODULE_VERSION of its Node.js major
// (nodejs/node doc/abi_version_registry.json: 18.0.0=108, 20.0.0=115, 22.0.0=127, 24.0.0=137;
// 16=93) and the Node-API version of its current release (nodejs.org/api/n-api.html, "Node-API
// version matrix": 8 in 16.x, 9 from 18.17/20.3, 10 from 22.14/24.0). TestNodeABIData checks the
// 20, 22 and 24 rows against process.versions of the official builds in .cache/node.
var nodeRuntimes = map[string]nodeRuntime{
	"nodejs16.x": {Modules: 93, NAPI: 8},
	"nodejs18.x": {Modules: 108, NAPI: 9},
	"nodejs20.x": {Modules: 115, NAPI: 9},
	"nodejs22.x": {Modules: 127, NAPI: 10},
	"nodejs24.x": {Modules: 137, NAPI: 10},
}

// NodeRuntimeABI returns the NODE_MODULE_VERSION and Node-API version of a Lambda Node.js
// runtime; ok is false for a runtime the table does not know.
func NodeRuntimeABI(runtime string) (modules, napi int, ok bool) {
	r, ok := nodeRuntimes[runtime]
	return r.Modules, r.NAPI, ok
}

// nodeLoaderLibraries are npm packages whose exported function finds and loads a package's
// addon; a call of one is a native load. Sources: prebuild/node-gyp-build (node-gyp-build.js
// load()), kriszyp/node-gyp-build-optional-packages (same API, also tries
// @scope/<name>-<platform>-<arch> packages), TooTallNate/node-bindings (bindings.js),
// mapbox/node-pre-gyp (lib/pre-binding.js find()), holepunchto/require-addon (sodium-native 5).
var nodeLoaderLibraries = map[string]bool{
	"node-gyp-build": true, "node-gyp-build-optional-packages": true, "bindings": true,
	"@mapbox/node-pre-gyp": true, "node-pre-gyp": true, "@datadog/node-gyp-build": true,
	"require-addon": true, "load-addon": true, "node-addon-api": false,
}
