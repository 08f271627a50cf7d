package inspect

import (
	"fmt"
	"io"

	"github.com/bootstrap-guard/bootstrap-guard/internal/safeio"
)

// OpenPath makes a Source of a local path: a zip file (opened; close it with the returned Closer)
// or an unpacked directory. Anything else (a FIFO, a device) is refused without blocking.
func OpenPath(path string) (Source, io.Closer, error) {
	st, err := safeio.Stat(path)
	if err != nil {
		return Source{}, nil, fmt.Errorf("open %s: %w", path, err)
	}
	if st.IsDir() {
		return Source{Name: path, Dir: path}, io.NopCloser(nil), nil
	}
	f, st, err := safeio.Open(path)
	if err != nil {
		return Source{}, nil, fmt.Errorf("open %s: %w", path, err)
	}
	return Source{Name: path, ReaderAt: f, Size: st.Size()}, f, nil
}
