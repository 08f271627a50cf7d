package inspect

import (
	"context"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// TestDurableSDK: a durable function on Java or .NET needs the durable execution SDK in its
// package (or, for Java, a layer's java/lib); Node.js and Python runtimes bundle it.
func TestDurableSDK(t *testing.T) {
	handlerClass := entry{name: "example/Handler.class", data: []byte("\xca\xfe\xba\xbe"), mode: 0o644}
	sdkJar := entry{name: "lib/aws-durable-execution-sdk-java-1.2.0.jar", data: jarBytes("software/amazon/lambda/durable/DurableContext.class"), mode: 0o644}
	oldJar := entry{name: "lib/aws-durable-execution-sdk-java-0.9.0.jar", data: jarBytes("com/amazonaws/lambda/durable/DurableContext.class"), mode: 0o644}
	otherJar := entry{name: "lib/jackson-databind-2.17.jar", data: jarBytes("com/fasterxml/jackson/databind/ObjectMapper.class"), mode: 0o644}
	shaded := entry{name: "software/amazon/lambda/durable/DurableContext.class", data: []byte("\xca\xfe\xba\xbe"), mode: 0o644}
	dotnetMain := entry{name: "Orders.dll", data: []byte("MZ"), mode: 0o644}
	dotnetSDK := entry{name: "Amazon.Lambda.DurableExecution.dll", data: []byte("MZ"), mode: 0o644}
	pyMain := entry{name: "app.py", data: []byte("def handler(e, c):\n    return 1\n"), mode: 0o644}
	javaH, dotnetH := "example.Handler::handleRequest", "Orders::Orders.Function::Handler"
	tests := []struct {
		name, runtime, handler string
		durable                bool
		entries                []entry
		fires                  bool
	}{
		{"java, SDK jar in lib", "java21", javaH, true, []entry{handlerClass, otherJar, sdkJar}, false},
		{"java, early SDK package", "java17", javaH, true, []entry{handlerClass, oldJar}, false},
		{"java, shaded", "java25", javaH, true, []entry{handlerClass, shaded}, false},
		{"java, no SDK", "java21", javaH, true, []entry{handlerClass, otherJar}, true},
		{"java, not durable", "java21", javaH, false, []entry{handlerClass}, false},
		{"dotnet, SDK", "dotnet8", dotnetH, true, []entry{dotnetMain, dotnetSDK}, false},
		{"dotnet, no SDK", "dotnet10", dotnetH, true, []entry{dotnetMain}, true},
		{"python bundles it", "python3.13", "app.handler", true, []entry{pyMain}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fn := Function{Target: "f", Runtime: tc.runtime, Handler: tc.handler, Durable: tc.durable, Code: zipSource("fn.zip", mkzip(t, tc.entries...))}
			res, err := New(Options{WarnWindow: -1}).Check(context.Background(), fn)
			if err != nil {
				t.Fatal(err)
			}
			got := res.FindingsFor(result.DurableSDKMissing)
			if tc.fires != (len(got) == 1) {
				t.Fatalf("durable-sdk-missing: %+v (all: %+v)", got, res.Findings)
			}
			if tc.fires && (got[0].Severity != result.Error || !strings.Contains(got[0].Message, "every durable invoke then fails")) {
				t.Errorf("finding %+v", got[0])
			}
		})
	}
}
