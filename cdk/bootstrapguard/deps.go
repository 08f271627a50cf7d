package bootstrapguard

// The hook is built at synth time by its package path (BuildHook), from the module graph of the
// module that runs the synth. The go command builds only packages whose modules have go.sum
// entries there, and `go mod tidy` in a user's CDK app keeps entries only for what the app
// imports. Importing the hook's own dependencies here keeps them in every module that imports this
// construct, so `go get github.com/bootstrap-guard/bootstrap-guard` plus `go mod tidy` is enough.
// (A main package cannot be imported itself; these are exactly what hook/main.go imports.)
import (
	_ "github.com/aws/aws-lambda-go/lambda"

	_ "github.com/bootstrap-guard/bootstrap-guard/internal/guard"
)
