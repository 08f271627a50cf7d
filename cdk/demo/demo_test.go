package demo

import (
	"archive/zip"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestDemoStack(t *testing.T) {
	dir := t.TempDir()
	for _, s := range Samples {
		f, _ := os.Create(filepath.Join(dir, s.Name+".zip"))
		zw := zip.NewWriter(f)
		w, _ := zw.Create("bootstrap")
		w.Write([]byte(s.Name))
		zw.Close()
		f.Close()
	}
	app := awscdk.NewApp(nil)
	stack := NewDemoStack(app, "Demo", &DemoStackProps{Dir: dir})
	tmpl := assertions.Template_FromStack(stack, nil)
	tmpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(len(Samples)))
	for _, s := range Samples {
		arch := "x86_64"
		if s.ARM {
			arch = "arm64"
		}
		tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), &map[string]any{
			"Runtime": s.Runtime, "Handler": s.Handler, "Architectures": []any{arch},
			"Description": "Bootstrap Guard sample: " + s.Name,
		})
	}
}

func TestDemoStackNeedsZips(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("want a panic telling to run make zip")
		}
	}()
	NewDemoStack(awscdk.NewApp(nil), "Demo", &DemoStackProps{Dir: t.TempDir()})
}
