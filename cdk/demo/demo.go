// Package demo is a stack of the sample functions in functions/, good and broken, deployed as CDK
// assets exactly as built (a .zip asset is uploaded byte for byte), so the synthesized cloud
// assembly carries the same packages the hook would see at deploy time.
package demo

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Sample is one function of functions/ and the settings it is meant for.
type Sample struct {
	Name, Runtime, Handler string
	ARM                    bool
}

// Samples are the functions built by mk/functions.mk.
var Samples = []Sample{
	{"hello", "provided.al2023", "bootstrap", true},
	{"nested", "provided.al2023", "bootstrap", true},
	{"legacy", "go1.x", "hello", false},
	{"noexec", "provided.al2023", "bootstrap", true},
	{"wrongarch", "provided.al2023", "bootstrap", true},
	{"darwin", "provided.al2023", "bootstrap", true},
	{"cgo", "provided.al2", "bootstrap", false},
	{"crlf", "provided.al2023", "bootstrap", false},
}

// DemoStackProps configure the demo stack; nil means defaults.
type DemoStackProps struct {
	awscdk.StackProps
	// Dir holds NAME.zip for every sample (functions/bin after make zip).
	Dir string
}

// NewDemoStack adds the demo stack. It panics, naming the fix, when a sample zip is missing.
func NewDemoStack(scope constructs.Construct, id string, props *DemoStackProps) awscdk.Stack {
	var sp awscdk.StackProps
	dir := filepath.Join("functions", "bin")
	if props != nil {
		sp = props.StackProps
		if props.Dir != "" {
			dir = props.Dir
		}
	}
	sp.Description = jsii.String("Bootstrap Guard demo: sample functions, good and deliberately broken")
	stack := awscdk.NewStack(scope, &id, &sp)
	for _, s := range Samples {
		zip := filepath.Join(dir, s.Name+".zip")
		if _, err := os.Stat(zip); err != nil {
			panic(fmt.Sprintf("demo stack: %s is missing: run `make zip` first", zip))
		}
		arch := awslambda.Architecture_X86_64()
		if s.ARM {
			arch = awslambda.Architecture_ARM_64()
		}
		awslambda.NewFunction(stack, jsii.String(logicalName(s.Name)), &awslambda.FunctionProps{
			Runtime:      awslambda.NewRuntime(jsii.String(s.Runtime), awslambda.RuntimeFamily_OTHER, nil),
			Handler:      jsii.String(s.Handler),
			Architecture: arch,
			Code:         awslambda.Code_FromAsset(jsii.String(zip), nil),
			Description:  jsii.String("Bootstrap Guard sample: " + s.Name),
		})
	}
	return stack
}

func logicalName(name string) string {
	return string(name[0]-'a'+'A') + name[1:] + "Function"
}
