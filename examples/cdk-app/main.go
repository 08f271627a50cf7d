// Command cdk-app is an example CDK app in a module of its own, as a platform team's app would be:
// it requires github.com/bootstrap-guard/bootstrap-guard (go get), puts the guard in one stack with
// default props, and checks every function of the app at synth time with the package check.
//
// Its Service stack has two functions built from ./hello for linux/arm64: Hello, whose asset is the
// function's own build directory (bootstrap at the root), and Nested, whose asset is the whole
// build directory, so bootstrap ends up in hello/bootstrap: Lambda would fail every invoke with
// Runtime.InvalidEntrypoint, and `cdk synth` fails with a bootstrap-nested error on Nested.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/bootstrap-guard/bootstrap-guard/cdk/bootstrapguard"
)

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	newApp(app, ".build")
	app.Synth(nil)
}

// Stacks of the example app.
type Stacks struct {
	Guard, Service awscdk.Stack
	Hello, Nested  awslambda.Function
}

// newApp adds the example's stacks to app, building the functions into buildDir.
func newApp(app awscdk.App, buildDir string) *Stacks {
	s := &Stacks{}
	s.Guard = awscdk.NewStack(app, jsii.String("Guard"), nil)
	bootstrapguard.NewBootstrapGuard(s.Guard, jsii.String("Guard"), nil)

	s.Service = awscdk.NewStack(app, jsii.String("Service"), nil)
	buildHello(filepath.Join(buildDir, "hello"))
	props := func(asset string) *awslambda.FunctionProps {
		return &awslambda.FunctionProps{
			Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
			Architecture: awslambda.Architecture_ARM_64(),
			Handler:      jsii.String("bootstrap"),
			Code:         awslambda.Code_FromAsset(jsii.String(asset), nil),
		}
	}
	s.Hello = awslambda.NewFunction(s.Service, jsii.String("Hello"), props(filepath.Join(buildDir, "hello")))
	s.Nested = awslambda.NewFunction(s.Service, jsii.String("Nested"), props(buildDir))

	awscdk.Aspects_Of(app).Add(bootstrapguard.NewPackageCheck(nil), nil)
	return s
}

// buildHello builds ./hello as dir/bootstrap, the way a team's build script would.
func buildHello(dir string) {
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags=-s -w", "-o", filepath.Join(dir, "bootstrap"), "./hello")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		panic(fmt.Sprintf("build ./hello: %v\n%s", err, out))
	}
}
