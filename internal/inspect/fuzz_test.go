package inspect

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// FuzzCheck runs the whole engine on arbitrary package bytes. It must not panic, must not return
// an error (the bytes are in memory, so everything is readable), and must give a consistent
// verdict: FAIL exactly when there is an error finding.
func FuzzCheck(f *testing.F) {
	zips, _ := filepath.Glob("../zipread/testdata/*.zip")
	for _, name := range zips {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b, "provided.al2023", "x86_64")
		}
	}
	f.Add(mkzip(f, entry{name: "bootstrap", data: []byte("l"), mode: fs.ModeSymlink | 0o777}, entry{name: "l", data: []byte("#!/bin/sh\r\n"), mode: 0o755}), "provided.al2", "arm64")
	f.Add(mkzip(f, entry{name: "app.py", data: []byte("x"), mode: 0o644}), "python3.13", "x86_64")
	f.Fuzz(func(t *testing.T, b []byte, runtime, arch string) {
		res, err := checker().Check(context.Background(), Function{Target: "fuzz", Runtime: runtime, Architecture: arch, Handler: "app.handler", Code: zipSource("fuzz.zip", b)})
		if err != nil {
			t.Fatalf("Check returned an error for in-memory bytes: %v", err)
		}
		if (res.Status == result.Fail) != res.HasErrors() {
			t.Fatalf("status %s disagrees with findings %+v", res.Status, res.Findings)
		}
	})
}

// FuzzExecutable puts arbitrary bytes at the zip root as bootstrap: the script, ELF and format
// detection must classify anything without panicking.
func FuzzExecutable(f *testing.F) {
	for _, s := range []string{"#!/bin/sh\necho\n", "#!/bin/sh\r\n", "#!", "#! \n", "#!/opt/bin/node\n", "MZ\x90\x00", "\xcf\xfa\xed\xfe", "!<arch>\n", "\x7fELF", ""} {
		f.Add([]byte(s))
	}
	for _, name := range []string{"../elfinfo/testdata/dynamic-x86_64", "../elfinfo/testdata/static-x86_64"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		z := mkzip(t, entry{name: "bootstrap", data: content, mode: 0o755})
		res, err := checker().Check(context.Background(), Function{Target: "fuzz", Runtime: "provided.al2023", Code: zipSource("fuzz.zip", z)})
		if err != nil {
			t.Fatalf("Check: %v", err)
		}
		if res.Status == result.Pass && !bytes.HasPrefix(content, []byte("#!")) && !bytes.HasPrefix(content, []byte("\x7fELF")) {
			t.Fatalf("bootstrap starting %q passed: %+v", content[:min(len(content), 8)], res.Findings)
		}
	})
}
