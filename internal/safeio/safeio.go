// Package safeio opens the files named on a command line, in a template or in an assembly without
// trusting what they are: only a regular file is read (a named pipe, a device or a socket is
// refused, and a directory where a file is expected), the open never blocks (a FIFO is opened
// with O_NONBLOCK, then refused on what fstat says, so a FIFO nobody writes to cannot hang the
// check), and a read stops at a size cap decided from the file's size before reading.
package safeio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// ErrNotRegular is matched by an error about a path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is matched by an error about a file over its size cap.
var ErrTooLarge = errors.New("too large")

// kind names what a non-regular file is, for messages.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a regular file"
}

// notRegular is the error for path, which is of mode m.
func notRegular(path string, m fs.FileMode) error {
	return &fs.PathError{Op: "open", Path: path, Err: fmt.Errorf("%w: it is %s", ErrNotRegular, kind(m))}
}

// Open opens a regular file for reading. The open itself cannot block: O_NONBLOCK makes opening
// a FIFO return at once (open(2)), and the file is then refused on its fstat. It has no effect on
// reading a regular file (Linux ignores O_NONBLOCK for regular files).
func Open(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, notRegular(path, st.Mode())
	}
	return f, st, nil
}

// ReadFile reads a regular file of at most max bytes. A larger file is refused from its size
// before any byte is read, and a file that grows while being read is cut at max+1 bytes and
// refused too.
func ReadFile(path string, max int64) ([]byte, error) {
	f, st, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > max {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: %d bytes, at most %d are read", ErrTooLarge, st.Size(), max)}
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if int64(len(b)) > max {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)}
	}
	return b, nil
}

// Stat follows path and refuses anything but a regular file or a directory: what a package
// or layer path may be.
func Stat(path string) (fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() && !st.IsDir() {
		return nil, notRegular(path, st.Mode())
	}
	return st, nil
}
