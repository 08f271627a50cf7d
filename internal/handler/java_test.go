package handler

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/handler/handlertest"
)

// jar builds a JAR (a zip) holding the named entries.
func jar(t *testing.T, names ...string) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("\xca\xfe\xba\xbe"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestJava(t *testing.T) { runCases(t, javaCases(t)) }

// javaCases are checked against the resolver here and against the JVM in TestJavaOracle.
func javaCases(t *testing.T) []resolveCase {
	fn := jar(t, "META-INF/MANIFEST.MF", "example/Handler.class", "example/Outer$Inner.class")
	dep := jar(t, "com/fasterxml/jackson/Mapper.class")
	return []resolveCase{
		{name: "class at the root (Gradle buildZip)", rt: "java21", handler: "example.Handler::handleRequest",
			files: []string{"/var/task/example/Handler.class=x", "/var/task/lib/dep.jar=" + dep}, want: Found, file: "/var/task/example/Handler.class"},
		{name: "class in lib/*.jar (Maven assembly)", rt: "java21", handler: "example.Handler::handleRequest",
			files: []string{"/var/task/lib/a-dep.jar=" + dep, "/var/task/lib/function.jar=" + fn}, want: Found, file: "/var/task/lib/function.jar"},
		{name: "RequestHandler class without a method", rt: "java17", handler: "example.Handler",
			files: []string{"/var/task/lib/function.jar=" + fn}, want: Found, file: "/var/task/lib/function.jar"},
		{name: "nested class needs $", rt: "java21", handler: "example.Outer$Inner::run",
			files: []string{"/var/task/lib/function.jar=" + fn}, want: Found, file: "/var/task/lib/function.jar"},
		{name: "nested class named with a dot is not found", rt: "java21", handler: "example.Outer.Inner::run",
			files: []string{"/var/task/lib/function.jar=" + fn}, want: NotFound, file: "java.lang.ClassNotFoundException"},
		{name: "class in a layer's java/lib", rt: "java21", handler: "example.Handler::handleRequest",
			files: []string{"/var/task/README=x", "/opt/java/lib/function.jar=" + fn}, want: Found, file: "/opt/java/lib/function.jar"},
		{name: "class only under classes/ is not on the class path", rt: "java21", handler: "example.Handler::handleRequest",
			files: []string{"/var/task/classes/example/Handler.class=x"}, want: NotFound, file: "java.lang.ClassNotFoundException"},
		{name: "wrong class name", rt: "java21", handler: "example.Missing::handleRequest",
			files: []string{"/var/task/lib/function.jar=" + fn}, want: NotFound, file: "java.lang.ClassNotFoundException"},
		{name: "a JAR in a nested folder is not on the class path", rt: "java21", handler: "example.Handler::handleRequest",
			files: []string{"/var/task/lib/ext/function.jar=" + fn}, want: NotFound},
		{name: "empty method", rt: "java21", handler: "example.Handler::", files: []string{"/var/task/example/Handler.class=x"}, want: Malformed},
		{name: "unreadable layer", rt: "java21", handler: "example.Handler::handleRequest", opaque: "/opt/", files: []string{"/var/task/README=x"}, want: Undecided},
		{name: "too many bytes of JARs is undecided, never a failure", rt: "java21", handler: "example.Missing::handleRequest",
			files: []string{"/var/task/lib/big.jar=" + strings.Repeat("x", javaMaxJarBytes+1)}, want: Undecided},
		{name: "a corrupt JAR holds nothing", rt: "java21", handler: "example.Handler::handleRequest",
			files: []string{"/var/task/lib/broken.jar=not a zip"}, want: NotFound},
	}
}

// TestJavaOracle loads every Java case's class with the JVM, through a class loader built as the
// runtime interface client builds it (handlertest.RunJava), on the case's files written to disk
// with real class files compiled by javac.
func TestJavaOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("oracle: skipped in -short mode")
	}
	classes, err := handlertest.CompileJava(map[string]string{
		"example/Handler.java": "package example; public class Handler { public String handleRequest(Object in) { return \"ok\"; } }",
		"example/Outer.java":   "package example; public class Outer { public static class Inner { public String run(Object in) { return \"ok\"; } } }",
	})
	if err != nil {
		t.Skipf("oracle: %v", err)
	}
	oracle, err := handlertest.JavaOracle(t.TempDir())
	if err != nil {
		t.Skipf("oracle: %v", err)
	}
	compared := 0
	for _, c := range javaCases(t) {
		if c.opaque != "" || c.want == Undecided {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			toHost := func(p string) string {
				if strings.HasPrefix(p, OptRoot+"/") {
					return filepath.Join(dir, "opt", strings.TrimPrefix(p, OptRoot))
				}
				return filepath.Join(dir, "task", strings.TrimPrefix(p, TaskRoot))
			}
			os.MkdirAll(filepath.Join(dir, "task"), 0o755)
			for _, f := range c.files {
				name, content, _ := strings.Cut(f, "=")
				b := []byte(content)
				switch {
				case strings.HasSuffix(name, ".jar"):
					b = withRealClasses(t, b, classes)
				case strings.HasSuffix(name, ".class"):
					rel := name[strings.LastIndex(name, "example/"):]
					if real, ok := classes[rel]; ok {
						b = real
					}
				}
				hp := toHost(name)
				os.MkdirAll(filepath.Dir(hp), 0o755)
				if err := os.WriteFile(hp, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := handlertest.RunJava(oracle, filepath.Join(dir, "task"), filepath.Join(dir, "opt", "java"), c.handler)
			if err != nil {
				t.Fatalf("oracle: %v", err)
			}
			r, err := Resolve(newFS(c.files...), Runtime{Name: c.rt, Family: "java"}, c.handler)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case got.OK != (r.Verdict == Found):
				t.Errorf("JVM ok=%v %s %s; resolver says %v %s", got.OK, got.Name, got.Result, r.Verdict, r.File)
			case got.OK && !strings.HasPrefix(got.Result, toHost(r.File)) && !strings.HasSuffix(toHost(r.File), ".class"):
				t.Errorf("JVM loads the class from %s; resolver says %s", got.Result, r.File)
			case !got.OK && got.Name != "java.lang.ClassNotFoundException" && got.Name != r.ErrorType:
				t.Errorf("JVM fails with %s; resolver says %s", got.Name, r.ErrorType)
			}
		})
		compared++
	}
	if compared < 8 {
		t.Fatalf("only %d cases compared with the JVM", compared)
	}
}

// withRealClasses rewrites a JAR, replacing its class entries by compiled ones of the same name.
func withRealClasses(t *testing.T, jarBytes []byte, classes map[string][]byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(jarBytes), int64(len(jarBytes)))
	if err != nil {
		return jarBytes // not a zip: the broken-JAR case stays broken
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if real, ok := classes[f.Name]; ok {
			w.Write(real)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, rc)
		rc.Close()
	}
	zw.Close()
	return buf.Bytes()
}
