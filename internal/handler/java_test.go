package handler

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
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

func TestJava(t *testing.T) {
	fn := jar(t, "META-INF/MANIFEST.MF", "example/Handler.class", "example/Outer$Inner.class")
	dep := jar(t, "com/fasterxml/jackson/Mapper.class")
	runCases(t, []resolveCase{
		{name: "class at the root (Gradle buildZip)", rt: "java21", handler: "example.Handler::handleRequest",
			files: []string{"/var/task/example/Handler.class=x", "/var/task/lib/dep.jar=" + dep}, want: Found, file: "/var/task/example/Handler.class"},
		{name: "class in lib/*.jar (Maven assembly)", rt: "java21", handler: "example.Handler::handleRequest",
			files: []string{"/var/task/lib/a-dep.jar=" + dep, "/var/task/lib/function.jar=" + fn}, want: Found, file: "/var/task/lib/function.jar"},
		{name: "RequestHandler class without a method", rt: "java17", handler: "example.Handler",
			files: []string{"/var/task/lib/function.jar=" + fn}, want: Found, file: "/var/task/lib/function.jar"},
		{name: "nested class needs $", rt: "java21", handler: "example.Outer$Inner::run",
			files: []string{"/var/task/lib/function.jar=" + fn}, want: Found, file: "/var/task/lib/function.jar"},
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
	})
}
