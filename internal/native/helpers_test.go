package native_test

import (
	"os"

	"github.com/bootstrap-guard/bootstrap-guard/internal/elfinfo"
)

func writeFile(name string, data []byte) error { return os.WriteFile(name, data, 0o644) }

// versionLess compares glibc versions; "" is below everything.
func versionLess(a, b string) bool {
	if a == "" {
		return b != ""
	}
	va, ok1 := elfinfo.ParseVersion(a)
	vb, ok2 := elfinfo.ParseVersion(b)
	return ok1 && ok2 && va.Less(vb)
}
