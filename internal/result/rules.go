package result

// RuleID is a stable identifier for a check. IDs never change meaning once released: tools,
// suppressions and SARIF baselines key on them.
type RuleID string

// The rules, in the order a reader should see their findings: what stops a function from starting
// at all comes before what will stop it later.
const (
	PackageUnreadable      RuleID = "package-unreadable"
	PackageTooLarge        RuleID = "package-too-large"
	LayersTooMany          RuleID = "layers-too-many"
	BootstrapMissing       RuleID = "bootstrap-missing"
	BootstrapNested        RuleID = "bootstrap-nested"
	BootstrapBrokenSymlink RuleID = "bootstrap-broken-symlink"
	BootstrapNotExecutable RuleID = "bootstrap-not-executable"
	BootstrapNotLinux      RuleID = "bootstrap-not-linux"
	BootstrapArchMismatch  RuleID = "bootstrap-arch-mismatch"
	BootstrapInterpreter   RuleID = "bootstrap-interpreter"
	BootstrapGlibc         RuleID = "bootstrap-glibc"
	BootstrapScriptCRLF    RuleID = "bootstrap-script-crlf"
	HandlerMissing         RuleID = "handler-missing"
	HandlerNotReadable     RuleID = "handler-not-readable"
	// A Node.js handler found but refused as it loads (internal/jsmodule).
	HandlerSyntaxError     RuleID = "handler-syntax-error"
	HandlerModuleFormat    RuleID = "handler-module-format"
	HandlerCallbackRemoved RuleID = "handler-callback-removed"
	HandlerContextMethods  RuleID = "handler-context-methods-removed"
	HandlerTypeScript      RuleID = "handler-typescript"
	// The exec wrapper (AWS_LAMBDA_EXEC_WRAPPER) is checked as a bootstrap is, under its own IDs.
	ExecWrapperMissing       RuleID = "exec-wrapper-missing"
	ExecWrapperNotExecutable RuleID = "exec-wrapper-not-executable"
	ExecWrapperNotLinux      RuleID = "exec-wrapper-not-linux"
	ExecWrapperArchMismatch  RuleID = "exec-wrapper-arch-mismatch"
	ExecWrapperInterpreter   RuleID = "exec-wrapper-interpreter"
	ExecWrapperGlibc         RuleID = "exec-wrapper-glibc"
	ExecWrapperScriptCRLF    RuleID = "exec-wrapper-script-crlf"
	PathNotTraversable       RuleID = "path-not-traversable"
	ModeForeignHost          RuleID = "mode-foreign-host"
	ArchitectureUnknown      RuleID = "architecture-unknown"
	RuntimeMissing           RuleID = "runtime-missing"
	RuntimeUnknown           RuleID = "runtime-unknown"
	RuntimeUnlisted          RuleID = "runtime-newer-than-catalogue"
	RuntimeDenied            RuleID = "runtime-denied"
	RuntimeDeprecated        RuleID = "runtime-deprecated"
	RuntimeDeprecationSoon   RuleID = "runtime-deprecation-soon"
	PathDuplicate            RuleID = "path-duplicate"
	PathUnsafe               RuleID = "path-unsafe"
	PathBackslash            RuleID = "path-backslash"
	Exempt                   RuleID = "exempt"
	ExemptionIgnored         RuleID = "exemption-ignored"
	// Template rules: what could not be known from a template before deployment.
	PackageNotInspected    RuleID = "package-not-inspected"
	RuntimeUnresolved      RuleID = "runtime-unresolved"
	HandlerUnresolved      RuleID = "handler-unresolved"
	ArchitectureUnresolved RuleID = "architecture-unresolved"
	TemplateTooCostly      RuleID = "template-too-costly"

	// Native code in managed runtimes (internal/native) and Lambda extensions.
	NativeNotLinux         RuleID = "native-not-linux"
	NativeArchMismatch     RuleID = "native-arch-mismatch"
	NativeMusl             RuleID = "native-musl"
	NativeGlibc            RuleID = "native-glibc"
	NativePythonABI        RuleID = "native-python-abi"
	NativePlatformMissing  RuleID = "native-platform-missing"
	NativeUnchecked        RuleID = "native-unchecked"
	ExtensionNotExecutable RuleID = "extension-not-executable"
	ExtensionNotLinux      RuleID = "extension-not-linux"
	ExtensionArchMismatch  RuleID = "extension-arch-mismatch"
	ExtensionGlibc         RuleID = "extension-glibc"
	ExtensionScriptCRLF    RuleID = "extension-script-crlf"
)

// The custom-runtime-* rules apply to functions that use a customer-managed runtime (Runtime:
// custom with RuntimeConfig), or set one half of that; durable-sdk-missing to durable functions
// (DurableConfig). In the table they follow the runtime rules.
const (
	CustomRuntimeConfigMissing  RuleID = "custom-runtime-config-missing"
	CustomRuntimeConfigMismatch RuleID = "custom-runtime-config-mismatch"
	CustomRuntimeConfigInvalid  RuleID = "custom-runtime-config-invalid"
	CustomRuntimeImage          RuleID = "custom-runtime-image"
	CustomRuntimeDeprecated     RuleID = "custom-runtime-deprecated"
	CustomRuntimeArchMismatch   RuleID = "custom-runtime-arch-mismatch"
	CustomRuntimeState          RuleID = "custom-runtime-state"
	CustomRuntimeUnchecked      RuleID = "custom-runtime-unchecked"
	DurableSDKMissing           RuleID = "durable-sdk-missing"
)

// The image-* rules apply to container-image functions (PackageType: Image) in place of the
// package, bootstrap and handler rules. In the table they follow package-too-large: an image that
// cannot be read or used comes first, then what stops its entrypoint from starting.
const (
	ImageUnreadable          RuleID = "image-unreadable"
	ImageManifestUnsupported RuleID = "image-manifest-unsupported"
	ImageNotLinux            RuleID = "image-not-linux"
	ImageArchMismatch        RuleID = "image-arch-mismatch"
	ImageEntrypointMissing   RuleID = "image-entrypoint-missing"
)

// Rule describes a check for people and for SARIF: what it looks for and the Lambda error it
// prevents.
type Rule struct {
	ID       RuleID
	Severity Severity // usual severity; a finding may differ (a handler a layer might provide)
	Title    string
	// LambdaError is what Lambda reports at invoke (or create) time when the rule is ignored.
	LambdaError string
	Help        string // a page that explains the underlying Lambda behaviour
}

const (
	helpCustomRuntime = "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html"
	helpGoPackage     = "https://docs.aws.amazon.com/lambda/latest/dg/golang-package.html"
	helpRuntimes      = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
	helpLimits        = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
	helpZip           = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-function-zip.html"
	helpLayers        = "https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html"
	helpHandler       = "https://docs.aws.amazon.com/lambda/latest/dg/typescript-handler.html"
	helpNodeHandler   = "https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html"
	helpExempt        = "https://github.com/bootstrap-guard/bootstrap-guard/blob/main/docs/hook.md#exemptions"
	helpImages        = "https://docs.aws.amazon.com/lambda/latest/dg/images-create.html"
	helpImageConfig   = "https://docs.aws.amazon.com/lambda/latest/dg/images-create.html#images-parms"
	helpCatalogue     = "https://github.com/bootstrap-guard/bootstrap-guard/blob/main/docs/runtimes.md#runtime-catalogue"
	helpWrapper       = "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html#runtime-wrapper"
	helpDeployment    = "https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-deployment.html"
	helpIntrinsics    = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html"
	helpPythonNative  = "https://docs.aws.amazon.com/lambda/latest/dg/python-package.html"
	helpNodeNative    = "https://docs.aws.amazon.com/lambda/latest/dg/nodejs-package.html"
	helpExtensions    = "https://docs.aws.amazon.com/lambda/latest/dg/lambda-extensions.html"
	helpNative        = "https://github.com/bootstrap-guard/bootstrap-guard/blob/main/docs/native-code.md"
	helpCMR           = "https://docs.aws.amazon.com/lambda/latest/dg/cmr-using.html"
	helpCMRLifecycle  = "https://docs.aws.amazon.com/lambda/latest/dg/cmr-lifecycle.html"
	helpDurable       = "https://docs.aws.amazon.com/lambda/latest/dg/durable-supported-runtimes.html"
)

// Rules lists every rule in display order.
var Rules = []Rule{
	{PackageUnreadable, Error, "Code package is not a readable zip", "Could not unzip uploaded file. Please check your file, then try to upload again.", helpZip},
	{PackageTooLarge, Error, "Function and layers unzip to more than 262,144,000 bytes", "Unzipped size must be smaller than 262144000 bytes", helpLimits},
	// "The image manifest or layer media type for the source image ... is not supported" is the
	// CreateFunction error users report for an index pushed by docker buildx with provenance
	// (repost.aws "does lambda not support multi architecture container images manifests").
	{ImageUnreadable, Error, "Image manifest or config is not a readable container image", "InvalidParameterValueException: The image manifest or layer media type for the source image ... is not supported.", helpImages},
	{ImageManifestUnsupported, Error, "Image is an index / manifest list, an attestation, or a media type Lambda does not take", "InvalidParameterValueException: The image manifest or layer media type for the source image ... is not supported.", helpImages},
	{ImageNotLinux, Error, "Image is not a Linux image", "fork/exec ...: exec format error (Runtime.InvalidEntrypoint)", helpImages},
	{ImageArchMismatch, Error, "Image is built for another CPU than the function's architecture", "fork/exec /lambda-entrypoint.sh: exec format error (Runtime.InvalidEntrypoint)", helpImages},
	{ImageEntrypointMissing, Error, "Image has no ENTRYPOINT or CMD and ImageConfig sets none", "Runtime.InvalidEntrypoint (no process to start)", helpImageConfig},
	{LayersTooMany, Error, "More than 5 layers", "InvalidParameterValueException: Layers: member must have length less than or equal to 5", helpLayers},
	{BootstrapMissing, Error, "No bootstrap at the root of the function or a layer", "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap] (Runtime.InvalidEntrypoint)", helpCustomRuntime},
	{BootstrapNested, Error, "bootstrap exists only in a subdirectory", "Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap] (Runtime.InvalidEntrypoint)", helpGoPackage},
	{BootstrapBrokenSymlink, Error, "bootstrap is a symlink that does not resolve inside the package", "fork/exec /var/task/bootstrap: no such file or directory (Runtime.InvalidEntrypoint)", helpCustomRuntime},
	{BootstrapNotExecutable, Error, "bootstrap is not an executable regular file for Lambda's user", "fork/exec /var/task/bootstrap: permission denied (Runtime.InvalidEntrypoint)", helpZip},
	{BootstrapNotLinux, Error, "bootstrap is neither a Linux ELF executable nor a #! script", "fork/exec /var/task/bootstrap: exec format error (Runtime.InvalidEntrypoint)", helpGoPackage},
	{BootstrapArchMismatch, Error, "bootstrap is built for another CPU than the function's architecture", "fork/exec /var/task/bootstrap: exec format error (Runtime.InvalidEntrypoint)", helpGoPackage},
	{BootstrapInterpreter, Error, "bootstrap needs a program interpreter Amazon Linux does not have", "fork/exec /var/task/bootstrap: no such file or directory (Runtime.InvalidEntrypoint)", helpCustomRuntime},
	{BootstrapGlibc, Error, "bootstrap needs a newer glibc than the runtime provides", "/lib64/libc.so.6: version `GLIBC_2.34' not found (Runtime.ExitError)", helpCustomRuntime},
	{BootstrapScriptCRLF, Error, "bootstrap script has Windows line endings", "/bin/sh^M: bad interpreter: No such file or directory (Runtime.InvalidEntrypoint)", helpCustomRuntime},
	{HandlerMissing, Error, "Handler's file is not in the package or a layer", "Runtime.ImportModuleError / Runtime.HandlerNotFound", helpHandler},
	{HandlerNotReadable, Error, "Handler's file is not readable by Lambda's user", "Runtime.ImportModuleError: [Errno 13] Permission denied", helpZip},
	{HandlerSyntaxError, Error, "The Node.js handler's module, or a package file it imports, does not parse", "Runtime.UserCodeSyntaxError: SyntaxError: Identifier 'S3' has already been declared", helpNodeHandler},
	{HandlerModuleFormat, Error, "Node.js loads the handler's code in a module format (CommonJS or ES module) its code cannot run in", "ReferenceError: require is not defined in ES module scope, you can use import instead / Runtime.UserCodeSyntaxError: SyntaxError: Cannot use import statement outside a module", helpNodeHandler},
	{HandlerCallbackRemoved, Error, "Callback-style handler (three parameters) on Node.js 24 or later", "Runtime.CallbackHandlerDeprecated: ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24.", helpNodeHandler},
	{HandlerContextMethods, Error, "Handler calls context.succeed, context.fail or context.done, which Node.js 24 or later does not provide", "TypeError: context.succeed is not a function", helpNodeHandler},
	{HandlerTypeScript, Error, "The handler imports TypeScript the runtime's Node.js cannot load", "Error [ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING]: Stripping types is currently unsupported for files under node_modules", helpNodeHandler},
	{ExecWrapperMissing, Error, "AWS_LAMBDA_EXEC_WRAPPER names a file that is not in the package or a layer (or a link that does not resolve)", "/opt/wrapper: does not exist (Runtime.ExitError, exit status 127)", helpWrapper},
	{ExecWrapperNotExecutable, Error, "The exec wrapper is not an executable regular file for Lambda's user", "/opt/wrapper: is not an executable (Runtime.ExitError, exit status 126)", helpWrapper},
	{ExecWrapperNotLinux, Error, "The exec wrapper is neither a Linux ELF executable nor a #! script", "cannot execute binary file: Exec format error (Runtime.ExitError)", helpWrapper},
	{ExecWrapperArchMismatch, Error, "The exec wrapper is built for another CPU than the function's architecture", "cannot execute binary file: Exec format error (Runtime.ExitError)", helpWrapper},
	{ExecWrapperInterpreter, Error, "The exec wrapper needs a program interpreter that is not there", "/opt/wrapper: No such file or directory (Runtime.ExitError)", helpWrapper},
	{ExecWrapperGlibc, Error, "The exec wrapper needs a newer glibc than the runtime provides", "/lib64/libc.so.6: version `GLIBC_2.34' not found (Runtime.ExitError)", helpWrapper},
	{ExecWrapperScriptCRLF, Error, "The exec wrapper script has Windows line endings", "/bin/bash^M: bad interpreter: No such file or directory (Runtime.ExitError)", helpWrapper},
	{PathNotTraversable, Error, "A folder above the bootstrap, handler or wrapper lacks execute permission for others", "permission denied (Runtime.InvalidEntrypoint / Runtime.ImportModuleError)", helpDeployment},
	{ModeForeignHost, Warning, "Unix permissions stored under a non-Unix creator (NTFS, VFAT, OS X): extractors disagree", "(Info-ZIP unzip ignores them: executable or unreadable depending on the extractor)", helpZip},
	{ArchitectureUnknown, Error, "Architecture is neither x86_64 nor arm64", "InvalidParameterValueException: Value at 'architectures' failed to satisfy constraint", helpGoPackage},
	{RuntimeMissing, Error, "Zip function without a Runtime", "InvalidParameterValueException: Runtime and Handler are mandatory parameters for functions created with deployment packages.", helpRuntimes},
	{RuntimeUnknown, Error, "Runtime is not a Lambda runtime", "InvalidParameterValueException: Value at 'runtime' failed to satisfy constraint", helpRuntimes},
	{RuntimeUnlisted, Warning, "Runtime is newer than the guard's runtime catalogue", "(none if the runtime exists: Lambda rejects names it does not know with \"Value at 'runtime' failed to satisfy constraint\")", helpCatalogue},
	{RuntimeDenied, Error, "Runtime is not allowed by this account's policy", "(organisation policy)", helpRuntimes},
	{RuntimeDeprecated, Error, "Runtime is deprecated: no more security patches", "InvalidParameterValueException: The runtime parameter of ... is no longer supported (once create/update is blocked)", helpRuntimes},
	{RuntimeDeprecationSoon, Warning, "Runtime will be deprecated soon", "(none yet: plan the upgrade)", helpRuntimes},
	{CustomRuntimeConfigMissing, Error, "Runtime: custom without a complete RuntimeConfig (RuntimeArn and RuntimeAlias)", "InvalidParameterValueException (RuntimeConfig names the customer-managed runtime; both members are required)", helpCMR},
	{CustomRuntimeConfigMismatch, Error, "RuntimeConfig with a Runtime other than custom", "InvalidParameterValueException (RuntimeConfig applies only to Runtime: custom)", helpCMR},
	{CustomRuntimeConfigInvalid, Error, "RuntimeConfig's RuntimeArn or RuntimeAlias breaks the documented pattern or length", "InvalidParameterValueException: Value at 'runtimeConfig.runtimeArn' failed to satisfy constraint", helpCMR},
	{CustomRuntimeImage, Error, "RuntimeConfig on a container-image function", "InvalidParameterValueException (a container image brings its own runtime)", helpCMR},
	{CustomRuntimeDeprecated, Error, "The customer-managed runtime's alias is deprecated (its publisher's release lifecycle)", "(Lambda blocks creates and updates from the alias's FunctionCreateBlockDate / FunctionUpdateBlockDate)", helpCMRLifecycle},
	{CustomRuntimeArchMismatch, Error, "The customer-managed runtime does not support the function's architecture", "(the runtime's image has no build for the function's CPU)", helpCMR},
	{CustomRuntimeState, Error, "The customer-managed runtime's alias is being deleted (or not yet active)", "(a function cannot use an alias that is going away)", helpCMR},
	{CustomRuntimeUnchecked, Warning, "The customer-managed runtime's lifecycle could not be read (no credentials, or the read failed)", "(none: says what was not checked)", helpCMRLifecycle},
	{DurableSDKMissing, Error, "Durable function in Java or .NET whose package lacks the durable execution SDK", "(every durable invoke fails: the Java and .NET runtimes do not include the SDK)", helpDurable},
	{PathDuplicate, Warning, "The same path appears twice in the zip", "(which copy Lambda extracts is undefined)", helpZip},
	{PathUnsafe, Warning, "Entry name is absolute, climbs out with .., or contains NUL", "(extracted somewhere other than intended, or rejected)", helpZip},
	{PathBackslash, Warning, "Entry name contains a backslash", "Couldn't find valid bootstrap(s) when bin\\bootstrap was meant as bin/bootstrap", helpZip},
	{Exempt, Info, "Function is exempt from checks by tag", "(none: the check was skipped on purpose)", helpExempt},
	{ExemptionIgnored, Warning, "The exemption tag names something that is not a rule, or the platform does not honour it", "(none: the function is checked as if untagged)", helpExempt},
	{PackageNotInspected, Warning, "Code package named by the template was not inspected (S3 object, missing local path, unresolved value)", "(any of the package rules above, unchecked)", helpZip},
	{RuntimeUnresolved, Warning, "Runtime depends on a value known only at deployment", "(the runtime rules, unchecked)", helpIntrinsics},
	{HandlerUnresolved, Warning, "Handler depends on a value known only at deployment", "(the handler rules, unchecked)", helpIntrinsics},
	{ArchitectureUnresolved, Warning, "Architectures depends on a value known only at deployment", "(the architecture rules, unchecked)", helpIntrinsics},
	{TemplateTooCostly, Error, "A value of the function needs more evaluation work than one value may take (intrinsics built to exhaust a reader)", "(none: the value is refused here rather than judged)", helpIntrinsics},
	{NativeNotLinux, Error, "Native module or addon is built for macOS, Windows or another OS", "Runtime.ImportModuleError: ... invalid ELF header / No module named ... (Python); Error: ... invalid ELF header (ERR_DLOPEN_FAILED, Node.js)", helpPythonNative},
	{NativeArchMismatch, Error, "Native module or addon is built for another CPU than the function's architecture", "Runtime.ImportModuleError: No module named ... / cannot open shared object file (Python); ERR_DLOPEN_FAILED (Node.js)", helpPythonNative},
	{NativeMusl, Error, "Native module or addon is built against musl (Alpine, musllinux)", "Error loading shared library libc.musl-x86_64.so.1: No such file or directory (Runtime.ImportModuleError / ERR_DLOPEN_FAILED)", helpPythonNative},
	{NativeGlibc, Error, "Native module or addon needs a newer glibc than the runtime's OS", "/lib64/libc.so.6: version `GLIBC_2.28' not found (Runtime.ImportModuleError / ERR_DLOPEN_FAILED)", helpPythonNative},
	{NativePythonABI, Error, "Extension module is built for another Python version than the runtime's", "Runtime.ImportModuleError: No module named ...", helpPythonNative},
	{NativePlatformMissing, Error, "A package that picks a platform build at run time has none for Linux on the function's CPU", "Could not load the \"sharp\" module using the linux-x64 runtime / Cannot find module @rollup/rollup-linux-x64-gnu", helpNodeNative},
	{NativeUnchecked, Warning, "Native files the read budget did not cover", "(none: a note that some native files were not checked)", helpNative},
	{ExtensionNotExecutable, Error, "Lambda extension is not an executable file for Lambda's user", "fork/exec /opt/extensions/NAME: permission denied (Extension.LaunchError)", helpExtensions},
	{ExtensionNotLinux, Error, "Lambda extension is not a Linux executable or script Amazon Linux can start", "fork/exec /opt/extensions/NAME: exec format error / no such file or directory (Extension.LaunchError)", helpExtensions},
	{ExtensionArchMismatch, Error, "Lambda extension is built for another CPU than the function's architecture", "fork/exec /opt/extensions/NAME: exec format error (Extension.LaunchError)", helpExtensions},
	{ExtensionGlibc, Error, "Lambda extension needs a newer glibc than the runtime's OS", "/lib64/libc.so.6: version `GLIBC_2.34' not found (Extension.InitError)", helpExtensions},
	{ExtensionScriptCRLF, Error, "Lambda extension script has Windows line endings", "fork/exec /opt/extensions/NAME: no such file or directory (Extension.LaunchError)", helpExtensions},
}

var ruleIndex = func() map[RuleID]int {
	m := make(map[RuleID]int, len(Rules))
	for i, r := range Rules {
		m[r.ID] = i
	}
	return m
}()

// Lookup returns the rule with the given ID.
func Lookup(id RuleID) (Rule, bool) {
	i, ok := ruleIndex[id]
	if !ok {
		return Rule{}, false
	}
	return Rules[i], true
}

func compareRank(a, b RuleID) int {
	ia, oka := ruleIndex[a]
	ib, okb := ruleIndex[b]
	if !oka {
		ia = len(Rules)
	}
	if !okb {
		ib = len(Rules)
	}
	return ia - ib
}
