package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/elfinfo"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/zipread"
)

// exeRuleSet names the rules applied to an executable Lambda starts: the bootstrap (and go1.x
// handler) under bootstrap-*, the exec wrapper under exec-wrapper-*. The checks are the same.
type exeRuleSet struct {
	BrokenSymlink, NotExecutable, NotLinux, ArchMismatch, Interpreter, Glibc, ScriptCRLF result.RuleID
}

var (
	bootstrapExe = exeRuleSet{result.BootstrapBrokenSymlink, result.BootstrapNotExecutable, result.BootstrapNotLinux,
		result.BootstrapArchMismatch, result.BootstrapInterpreter, result.BootstrapGlibc, result.BootstrapScriptCRLF}
	// A wrapper link that does not resolve is a wrapper that "does not exist" to the runtime's
	// bootstrap ([ -f ] follows links).
	wrapperExe = exeRuleSet{result.ExecWrapperMissing, result.ExecWrapperNotExecutable, result.ExecWrapperNotLinux,
		result.ExecWrapperArchMismatch, result.ExecWrapperInterpreter, result.ExecWrapperGlibc, result.ExecWrapperScriptCRLF}
)

func (rs exeRuleSet) ids() []result.RuleID {
	return []result.RuleID{rs.BrokenSymlink, rs.NotExecutable, rs.NotLinux, rs.ArchMismatch, rs.Interpreter, rs.Glibc, rs.ScriptCRLF}
}

// exeRules is the rule set of the executable being checked (bootstrap unless set).
func (k *check) exeRules() exeRuleSet {
	if k.exe == nil {
		return bootstrapExe
	}
	return *k.exe
}

// executableAs checks an executable under another rule set.
func (k *check) executableAs(n *node, label string, rs exeRuleSet) error {
	prev := k.exe
	k.exe = &rs
	defer func() { k.exe = prev }()
	return k.executable(n, label)
}

// bootstrapRules finds the bootstrap Lambda will run for an OS-only runtime and checks it.
func (k *check) bootstrapRules() error {
	k.evaluated(result.BootstrapMissing, result.BootstrapNested)
	if k.view.task.inline {
		k.add(result.BootstrapMissing, result.Error, "",
			"Inline code (Code.ZipFile) cannot carry a bootstrap executable; OS-only runtimes need one at /var/task/bootstrap or /opt/bootstrap.",
			"Package the compiled bootstrap in a zip (zip -j function.zip bootstrap) and reference it with Code.S3Bucket/S3Key or a CDK asset.")
		return nil
	}
	// Lambda runs /var/task/bootstrap if it exists, else /opt/bootstrap.
	if n := k.view.lookup(taskRoot + "/bootstrap"); n != nil {
		return k.executable(n, "bootstrap")
	}
	if n := k.view.lookup(optRoot + "/bootstrap"); n != nil {
		return k.executable(n, "bootstrap")
	}
	for _, l := range k.view.layers {
		if l.opaque {
			k.add(result.BootstrapMissing, result.Warning, "",
				fmt.Sprintf("No bootstrap at the root of the function package; layer %s could not be inspected here and must provide /opt/bootstrap.", l.src.Name),
				"Make sure the layer zip has bootstrap at its root, or put bootstrap at the root of the function zip (zip -j).")
			return nil
		}
	}
	if nested := k.nestedBootstraps(); len(nested) > 0 {
		n := nested[0]
		where := "the function package"
		if n.t.root == optRoot {
			where = "layer " + n.t.src.Name
		}
		msg := fmt.Sprintf("bootstrap is at %s in %s, not at the zip root. Lambda looks only at /var/task/bootstrap and /opt/bootstrap and fails every invoke with Runtime.InvalidEntrypoint (\"Couldn't find valid bootstrap(s)\").", n.name, where)
		if strings.Contains(n.name, `\`) {
			msg += ` The name contains backslashes, written by a Windows tool: Lambda takes them literally, so this is a file called "` + n.name + `", not a path.`
		}
		if len(nested) > 1 {
			msg += fmt.Sprintf(" (%d other nested bootstraps found.)", len(nested)-1)
		}
		k.add(result.BootstrapNested, result.Error, n.name, msg,
			fmt.Sprintf("Zip the file without its directories: zip -j function.zip %s. The Handler value is ignored by OS-only runtimes and cannot point Lambda at a path.", slashPath(n.name)))
		return nil
	}
	msg := "There is no bootstrap at the root of the function package"
	if len(k.view.layers) > 0 {
		msg += " or of any layer"
	}
	msg += ". Lambda fails every invoke with Runtime.InvalidEntrypoint (\"Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]\")."
	fix := "Build the executable as bootstrap (go build -tags lambda.norpc -o bootstrap) and put it at the zip root: zip -j function.zip bootstrap."
	if hint := k.bootstrapHint(); hint != "" {
		msg += " " + hint
	}
	k.add(result.BootstrapMissing, result.Error, "", msg, fix)
	return nil
}

// slashPath turns a Windows-style name into the path its author meant.
func slashPath(name string) string { return strings.ReplaceAll(name, `\`, "/") }

// nestedBootstraps returns entries named bootstrap below the root of the function or a layer.
func (k *check) nestedBootstraps() []*node {
	var out []*node
	for _, t := range append([]*tree{k.view.task}, k.view.layers...) {
		for _, n := range t.nodes {
			if n.dir {
				continue
			}
			base := path.Base(slashPath(n.name))
			if base == "bootstrap" && n.name != "bootstrap" {
				out = append(out, n)
			}
		}
	}
	return out
}

// bootstrapHint explains the likely cause of a missing bootstrap: a wrong case, a .exe, or a
// go1.x-style binary with its own name.
func (k *check) bootstrapHint() string {
	var exes []string
	for _, n := range k.view.task.nodes {
		if n.dir || strings.Contains(n.name, "/") {
			continue
		}
		lower := strings.ToLower(n.name)
		switch {
		case lower == "bootstrap":
			return fmt.Sprintf("Found %q: names are case-sensitive; it must be exactly bootstrap.", n.name)
		case strings.HasPrefix(lower, "bootstrap."):
			return fmt.Sprintf("Found %q: the file must be called exactly bootstrap, with no extension.", n.name)
		case n.hasMode && n.mode&0o111 != 0 && n.mode.IsRegular():
			exes = append(exes, n.name)
		}
	}
	if len(exes) == 1 {
		return fmt.Sprintf("The package has an executable %q at its root: a go1.x-style binary named after its handler. OS-only runtimes need it named bootstrap.", exes[0])
	}
	return ""
}

// goHandlerRules checks a go1.x function: the handler names the executable in the package.
func (k *check) goHandlerRules() error {
	k.evaluated(result.HandlerMissing)
	h := strings.TrimPrefix(k.fn.Handler, "./")
	if h == "" {
		k.add(result.HandlerMissing, result.Error, "", "go1.x functions need a Handler naming the executable in the package.", "Set Handler to the binary's file name, or better, move to provided.al2023 with a bootstrap.")
		return nil
	}
	n := k.view.lookup(taskRoot + "/" + h)
	if n == nil || n.dir {
		k.add(result.HandlerMissing, result.Error, h,
			fmt.Sprintf("Handler %q names no file in the package: the go1.x runtime cannot start the function.", h),
			fmt.Sprintf("Build the binary as %s (go build -o %s) at that path in the zip, or move to provided.al2023 with bootstrap at the zip root.", h, h))
		return nil
	}
	return k.executable(n, h)
}

// executable checks the file Lambda will exec: it resolves symlinks, then checks type, mode and
// content. label is how messages name it.
func (k *check) executable(n *node, label string) error {
	rs := k.exeRules()
	k.evaluated(rs.ids()...)
	where := n.lambdaPath()
	if n.symlink() {
		var chain []string
		target, err := k.view.resolve(where, &chain)
		if err != nil {
			if IsSourceError(err) {
				return err
			}
			if !errors.Is(err, zipread.ErrFormat) && !errors.Is(err, errLinkLoop) && !errors.Is(err, errLinkOutside) && !errors.Is(err, errLinkMissing) {
				return err
			}
			k.add(rs.BrokenSymlink, result.Error, n.name,
				fmt.Sprintf("%s is a symbolic link that does not resolve (%s): %v. Lambda fails with \"fork/exec %s: no such file or directory\".", label, strings.Join(chain, ", "), err, where),
				"Point the link at a relative path inside the package (ln -s bin/app bootstrap, then zip --symlinks), or put the executable itself at the root as bootstrap.")
			return nil
		}
		n = target
		where = n.lambdaPath()
	}
	k.traversableRule(n, label)
	modeStr := func() string { return fmt.Sprintf("%04o", uint32(n.mode.Perm())) }
	switch {
	case !n.hasMode:
		k.add(rs.NotExecutable, result.Error, n.name,
			fmt.Sprintf("%s was stored without Unix permissions (the zip was made on Windows or by a tool that records none), so Lambda extracts it without the execute bit: \"fork/exec %s: permission denied\".", label, where),
			"Create the zip on Linux or macOS (chmod 755 bootstrap && zip -j function.zip bootstrap), or on Windows with aws-lambda-go's build-lambda-zip, which records the mode.")
		return nil
	case n.dir || n.mode.IsDir():
		k.add(rs.NotExecutable, result.Error, n.name,
			fmt.Sprintf("%s is a directory, not an executable file.", label),
			"Zip the executable itself as bootstrap: zip -j function.zip path/to/bootstrap.")
		return nil
	case !n.mode.IsRegular():
		k.add(rs.NotExecutable, result.Error, n.name,
			fmt.Sprintf("%s is not a regular file (mode %s).", label, n.mode),
			"Zip the executable itself as bootstrap.")
		return nil
	case n.mode&0o001 == 0:
		k.add(rs.NotExecutable, result.Error, n.name,
			fmt.Sprintf("%s has mode %s: not executable by others. Lambda runs the function as a user that is neither the file's owner nor in its group, so it fails with \"fork/exec %s: permission denied\".", label, modeStr(), where),
			fmt.Sprintf("chmod 755 %s before zipping (zip keeps the mode).", n.name))
		return nil
	}
	k.foreignHostRule(n, label, "executable")
	r, size, done, err := n.t.open(n)
	if err != nil {
		return k.contentErr(n, label, err)
	}
	defer done()
	head := make([]byte, min(size, 256))
	if got, err := r.ReadAt(head, 0); got < len(head) {
		if err == nil || errors.Is(err, io.EOF) {
			err = &zipread.FormatError{Msg: fmt.Sprintf("%s is shorter than its declared %d bytes", n.name, size)}
		}
		return k.contentErr(n, label, err)
	}
	switch {
	case size == 0:
		k.add(rs.NotLinux, result.Error, n.name,
			fmt.Sprintf("%s is empty (0 bytes): \"fork/exec %s: exec format error\".", label, where),
			"Check the build step that writes it; go build -o bootstrap should produce a multi-megabyte file.")
	case elfinfo.IsELF(head):
		return k.elfRules(n, label, where, r, size)
	case bytes.HasPrefix(head, []byte("#!")):
		k.scriptRules(n, label, head)
	default:
		k.add(rs.NotLinux, result.Error, n.name,
			fmt.Sprintf("%s is %s, not a Linux executable: \"fork/exec %s: exec format error\".", label, describeFormat(head), where),
			notLinuxFix(head))
	}
	return nil
}

// contentErr separates "could not read" (returned) from corrupt bytes (a finding).
func (k *check) contentErr(n *node, label string, err error) error {
	if IsSourceError(err) || !errors.Is(err, zipread.ErrFormat) {
		return fmt.Errorf("read %s: %w", label, err)
	}
	k.add(result.PackageUnreadable, result.Error, n.name,
		fmt.Sprintf("%s cannot be extracted: %v.", label, err),
		"Rebuild the zip with a standard tool (zip -j function.zip bootstrap); only stored and deflated, unencrypted entries can be extracted by Lambda.")
	return nil
}

// describeFormat names what a non-ELF, non-script file is, from its first bytes.
func describeFormat(b []byte) string {
	if _, what := elfinfo.Sniff(b); what != "" {
		return what
	}
	switch {
	case bytes.HasPrefix(b, []byte("\xca\xfe\xba\xbe")):
		return "a Java class file"
	case bytes.HasPrefix(b, []byte("!<arch>\n")):
		return "an ar archive (a Go package archive: go build of a package that is not package main, or -buildmode=archive)"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "a zip archive (a zip inside the zip)"
	case isText(b):
		return "a text file without a #! line"
	}
	return fmt.Sprintf("an unknown format (first bytes % x)", b[:min(len(b), 8)])
}

func notLinuxFix(b []byte) string {
	if f, _ := elfinfo.Sniff(b); f == elfinfo.MachO || f == elfinfo.PE {
		return "Cross-compile for Linux: GOOS=linux GOARCH=arm64 (or amd64, matching Architectures) CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap."
	}
	switch d := describeFormat(b); {
	case strings.Contains(d, "Go package archive"):
		return "Build the package that has func main (package main), e.g. go build -o bootstrap ./cmd/yourfunction."
	case strings.Contains(d, "text file"):
		return "Start the script with an interpreter line such as #!/bin/sh, or build a binary."
	}
	return "Put a Linux ELF executable or a #! script at the zip root as bootstrap."
}

func isText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 0x09 || (c > 0x0d && c < 0x20) || c == 0x7f {
			return false
		}
	}
	return true
}

// modeIsReadableByOthers reports o+r, needed for anything Lambda's user must read.
func modeIsReadableByOthers(m fs.FileMode) bool { return m&0o004 != 0 }
