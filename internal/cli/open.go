package cli

import (
	"fmt"
	"io/fs"

	"github.com/bootstrap-guard/bootstrap-guard/internal/report"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
	"github.com/bootstrap-guard/bootstrap-guard/internal/safeio"
)

// maxEvent bounds a hook event file: Lambda's synchronous invocation payload is at most 6 MB
// (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), so no hook event
// CloudFormation sends is larger.
const maxEvent = 6 << 20

// readEvent reads a hook event file: a regular file of at most maxEvent bytes. A FIFO, a device
// (/dev/zero) or a directory is refused at once, and a larger file from its size, unread.
func readEvent(path string) ([]byte, error) {
	return safeio.ReadFile(path, maxEvent)
}

// readCatalogue reads a runtime catalogue file (--runtimes FILE, runtimes --check FILE) with the
// same care, at most runtimes.MaxSize bytes.
func readCatalogue(path string) ([]byte, error) {
	return safeio.ReadFile(path, runtimes.MaxSize)
}

// loadCatalogueFile loads a catalogue file as runtimes.Load does, through readCatalogue.
func loadCatalogueFile(path string) (*runtimes.Catalogue, error) {
	b, err := readCatalogue(path)
	if err != nil {
		return nil, fmt.Errorf("open runtime catalogue: %w", err)
	}
	c, err := runtimes.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("runtime catalogue %s: %w", path, err)
	}
	c.Origin = "file " + path
	return c, nil
}

// notATemplateDir refuses a directory whose name is a template's (template.yaml/): it is not
// checked as a code package, which is what a directory PATH otherwise is.
func notATemplateDir(path string, st fs.FileInfo) error {
	if st.IsDir() && isTemplate(path) {
		return fmt.Errorf("%s is a directory, where a template file is expected (a directory PATH is a code package or a cdk.out with manifest.json)", path)
	}
	return nil
}

// escapedError prints its error with control characters escaped (report.Escape) and still
// unwraps to it.
type escapedError struct{ err error }

func (e escapedError) Error() string { return report.Escape(e.err.Error()) }
func (e escapedError) Unwrap() error { return e.err }
