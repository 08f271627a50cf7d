package handler

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/zipread"
)

// The Java resolver follows aws/aws-lambda-java-libs · aws-lambda-java-runtime-interface-client ·
// src/main/java/com/amazonaws/services/lambda/runtime/api/client/ (commit c4dcbab):
//   - HandlerInfo.java: the class is the text before the *last* "::" (all of it when there is none);
//     an empty class or method raises InvalidHandlerException; the class is loaded with
//     Class.forName, so a nested class is Outer$Inner.
//   - CustomerClassLoader.java: the class path is the task root, then every name ending ".jar" in
//     /var/task/lib, then in /opt/java/lib, each folder's JARs in lexical order.
//   - A class that is not found does not stop init: every invoke answers
//     java.lang.ClassNotFoundException "Class not found: ..." (handler-resolution.md [JV]).
// Whether the class implements RequestHandler, and whether the method exists, needs the class
// file's bytecode and is not checked.

// JAR reading is bounded: opening a deflated JAR inside the package means inflating it to its end.
const (
	javaMaxJars     = 64
	javaMaxJarBytes = 8 << 20 // in total, over the JARs opened: ~1 s over S3 at worst
)

func resolveJava(fsys FS, rt Runtime, h string) (Resolution, error) {
	cls := h
	method := ""
	hasMethod := false
	if i := strings.LastIndex(h, "::"); i >= 0 {
		cls, method, hasMethod = h[:i], h[i+2:], true
	}
	if cls == "" || (hasMethod && method == "") {
		return Resolution{Verdict: Malformed, ErrorType: "InvalidHandlerException", InitOK: true,
			Message: "the handler must be package.Class::method or package.Class"}, nil
	}
	entry := strings.ReplaceAll(cls, ".", "/") + ".class"
	r := Resolution{Module: cls, File: join(TaskRoot, entry)}
	r.Tried = append(r.Tried, r.File)
	ok, err := isFile(fsys, r.File)
	if err != nil {
		return finish(r, err)
	}
	if ok {
		r.Verdict = Found
		return r, nil
	}
	// The class loader searches the JARs in order, but whether the class exists at all only needs
	// any JAR to hold it, so the JARs are opened smallest first (a function's own JAR is usually
	// far smaller than its dependencies) until the read bound.
	type jarFile struct {
		path string
		size int64
	}
	var jars []jarFile
	for _, dir := range []string{TaskRoot + "/lib", OptRoot + "/java/lib"} {
		names, complete, err := fsys.ReadDir(dir)
		if err != nil {
			return finish(r, err)
		}
		if !complete {
			return finish(r, errUndecided)
		}
		sort.Strings(names)
		for _, n := range names {
			if !strings.HasSuffix(n, ".jar") {
				continue
			}
			p := join(dir, n)
			r.Tried = append(r.Tried, p+"!/"+entry)
			if k, err := stat(fsys, p); err != nil || k != File {
				if err != nil {
					return finish(r, err)
				}
				continue
			}
			if len(jars) == javaMaxJars {
				return undecidedJava(r, fmt.Sprintf("more than %d JARs on the class path; not all were opened", javaMaxJars)), nil
			}
			_, size, done, err := fsys.Open(p)
			if err != nil {
				return finish(r, err)
			}
			done()
			jars = append(jars, jarFile{p, size})
		}
	}
	sort.SliceStable(jars, func(i, j int) bool { return jars[i].size < jars[j].size })
	budget := int64(javaMaxJarBytes)
	for _, j := range jars {
		found, err := jarHas(fsys, j.path, entry, &budget)
		if err != nil {
			if errors.Is(err, errBudget) {
				return undecidedJava(r, fmt.Sprintf("the JARs on the class path exceed the %d MiB this check reads", javaMaxJarBytes>>20)), nil
			}
			return finish(r, err)
		}
		if found {
			r.Verdict, r.File = Found, j.path
			return r, nil
		}
	}
	r.Verdict, r.InitOK = NotFound, true
	r.ErrorType = "java.lang.ClassNotFoundException"
	r.Message = "Class not found: " + cls
	if strings.Contains(cls, "/") {
		r.Hint = "a Java handler names a class with dots (com.example.Handler), not a path"
	}
	return r, nil
}

var errBudget = errors.New("JAR budget spent")

// undecidedJava is a resolution that stopped at the read bound: never a failure.
func undecidedJava(r Resolution, why string) Resolution {
	r.Verdict, r.Hint, r.Bounded = Undecided, why, true
	return r
}

// jarHas reports whether the JAR at p holds entry, reading only its central directory. A JAR
// that is not a readable zip holds nothing (the class loader skips it the same way).
func jarHas(fsys FS, p, entry string, budget *int64) (bool, error) {
	r, size, done, err := fsys.Open(p)
	if err != nil {
		return false, err
	}
	defer done()
	if size > *budget {
		return false, errBudget
	}
	*budget -= size
	zr, err := zipread.NewReader(r, size)
	if err != nil {
		if errors.Is(err, zipread.ErrFormat) {
			return false, nil
		}
		return false, err
	}
	for i := range zr.File {
		if zr.File[i].Name == entry {
			return true, nil
		}
	}
	return false, nil
}
