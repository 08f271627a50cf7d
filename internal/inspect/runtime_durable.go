package inspect

import (
	"fmt"

	"github.com/bootstrap-guard/bootstrap-guard/internal/handler"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// durableSDK is where each runtime family that does not bundle the durable execution SDK finds
// it, as a handler string its own resolver looks up: "Lambda Java and .NET runtimes do not include
// the durable execution SDK, so it must be included in your deployment package"
// (https://docs.aws.amazon.com/lambda/latest/dg/durable-supported-runtimes.html). Node.js and
// Python runtimes include it, so they are not checked.
//   - Java: the SDK's DurableContext class (Maven software.amazon.lambda.durable:
//     aws-durable-execution-sdk-java; package software.amazon.lambda.durable, and
//     com.amazonaws.lambda.durable in its early releases: aws/aws-durable-execution-sdk-java
//     sdk/src/main/java) on the runtime's class path: the task root, lib/*.jar, /opt/java/lib/*.jar
//     (the Java resolver models the runtime's CustomerClassLoader).
//   - .NET: the NuGet package Amazon.Lambda.DurableExecution's assembly in the task root, where
//     the runtime loads a class library's assemblies from (the assembly name is taken to be the
//     package ID: inferred; a runtime package store in a layer is not searched).
var durableSDK = map[runtimes.Family][]string{
	runtimes.FamilyJava:   {"software.amazon.lambda.durable.DurableContext", "com.amazonaws.lambda.durable.DurableContext"},
	runtimes.FamilyDotnet: {"Amazon.Lambda.DurableExecution::Amazon.Lambda.DurableExecution.DurableContext::Handler"},
}

// durableRule applies durable-sdk-missing to a durable function (DurableConfig) on a Java or .NET
// runtime: Lambda accepts the deployment, and every durable invoke then fails.
func (k *check) durableRule() error {
	lookups, ok := durableSDK[k.rt.Family]
	if !k.fn.Durable || !ok || k.view.task == nil || k.view.task.opaque || k.view.task.inline {
		return nil
	}
	k.evaluated(result.DurableSDKMissing)
	rt := handler.Runtime{Name: k.rt.Name, Family: k.rt.Family, Arch: k.fn.Architecture, Env: k.fn.Env}
	var tried []string
	for _, h := range lookups {
		res, err := handler.Resolve(viewFS{&k.view}, rt, h)
		if err != nil {
			return fmt.Errorf("look up the durable execution SDK: %w", err)
		}
		switch res.Verdict {
		case handler.Found:
			return nil
		case handler.Undecided:
			return nil // a layer not inspected, or the JAR budget spent: not a finding
		}
		tried = append(tried, res.Module)
	}
	what := "the durable execution SDK (Maven software.amazon.lambda.durable:aws-durable-execution-sdk-java)"
	fix := "Add the aws-durable-execution-sdk-java dependency and package it into the .zip (a shaded JAR's classes at the root, or the JAR under lib/), or put it in a layer under java/lib/."
	if k.rt.Family == runtimes.FamilyDotnet {
		what = "the durable execution SDK (NuGet Amazon.Lambda.DurableExecution)"
		fix = "Add the Amazon.Lambda.DurableExecution package and publish it with the function (dotnet lambda package puts Amazon.Lambda.DurableExecution.dll at the zip root)."
	}
	k.add(result.DurableSDKMissing, result.Error, "",
		fmt.Sprintf("The function is durable (DurableConfig) on %s, whose runtime does not include %s, and the package and layers do not have it (looked for %v). Lambda accepts the deployment; every durable invoke then fails.", k.rt.Name, what, tried),
		fix)
	return nil
}
