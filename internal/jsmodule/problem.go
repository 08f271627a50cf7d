package jsmodule

// Kind is a reason a handler whose file exists still cannot run.
type Kind int

// Kinds.
const (
	// Syntax: a module of the handler's graph does not parse (Runtime.UserCodeSyntaxError at init).
	Syntax Kind = iota
	// Format: a module is loaded in a format its code cannot run in (module syntax compiled as
	// CommonJS, CommonJS variables in an ES module, require() of an ES module with top-level await).
	Format
	// Callback: the exported handler takes a callback, which the Node.js 24 client refuses at init.
	Callback
	// ContextMethods: the handler calls context.succeed, fail or done, which the Node.js 24 client
	// no longer provides (a TypeError when the call is reached).
	ContextMethods
	// TypeScript: a module the handler imports is TypeScript the runtime's Node cannot load.
	TypeScript
	// Bounded: the check stopped reading (file or byte budget); nothing was decided past it.
	Bounded
)

// Problem is one reason, located in a file (a Lambda path) and, for syntax errors, a position.
type Problem struct {
	Kind         Kind
	File         string
	Line, Column int
	// ErrorType and Message are what Lambda reports (the init error's errorType, or the invoke
	// error's for AtInvoke).
	ErrorType, Message string
	// Why explains the decision (the module format and what decided it, the function's length).
	Why string
	// AtInvoke: the function starts and fails when the code is reached.
	AtInvoke bool
}
