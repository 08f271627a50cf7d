package inspect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/elfinfo"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
)

// Program interpreters Amazon Linux provides, per architecture: glibc's dynamic loader.
var loaders = map[string][]string{
	result.ArchX86: {"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-x86-64.so.2", "/usr/lib64/ld-linux-x86-64.so.2"},
	result.ArchARM: {"/lib/ld-linux-aarch64.so.1", "/lib64/ld-linux-aarch64.so.1", "/usr/lib64/ld-linux-aarch64.so.1"},
}

// Script interpreters present on every Amazon Linux runtime image.
var shells = map[string]bool{
	"/bin/sh": true, "/bin/bash": true, "/usr/bin/sh": true, "/usr/bin/bash": true,
	"/usr/bin/env": true, "/bin/env": true,
}

// elfRules checks an ELF executable against the function's architecture and runtime.
func (k *check) elfRules(n *node, label, where string, r io.ReaderAt, size int64) error {
	info, err := elfinfo.Parse(r, size)
	if err != nil {
		if !errors.Is(err, elfinfo.ErrFormat) {
			return k.contentErr(n, label, err)
		}
		k.add(k.exeRules().NotLinux, result.Error, n.name,
			fmt.Sprintf("%s is a malformed ELF file (%v); the kernel refuses it: \"fork/exec %s: exec format error\".", label, err, where),
			"Rebuild the binary; check nothing post-processes or truncates it after the build.")
		return nil
	}
	switch {
	case info.Type == elfinfo.TypeRel:
		k.add(k.exeRules().NotLinux, result.Error, n.name,
			fmt.Sprintf("%s is an ELF relocatable object (.o), not an executable: \"exec format error\".", label),
			"Link it into an executable; with Go, build package main: go build -o bootstrap.")
		return nil
	case info.Type != elfinfo.TypeExec && info.Type != elfinfo.TypeDyn:
		k.add(k.exeRules().NotLinux, result.Error, n.name,
			fmt.Sprintf("%s is an ELF file of type %d, not an executable.", label, info.Type),
			"Put an executable at the zip root as bootstrap.")
		return nil
	case info.OSABI != elfinfo.OSABISysV && info.OSABI != elfinfo.OSABIGNU:
		k.add(k.exeRules().NotLinux, result.Error, n.name,
			fmt.Sprintf("%s is an ELF executable for another operating system (OS ABI %d%s), not Linux.", label, info.OSABI, osabiName(info.OSABI)),
			"Cross-compile for Linux: GOOS=linux CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap.")
		return nil
	}
	arch := k.fn.Architecture
	if k.rt.Family == runtimes.FamilyGo {
		arch = result.ArchX86 // go1.x ran on x86_64 only
	}
	wantMachine := map[string]uint16{result.ArchX86: elfinfo.EMX86_64, result.ArchARM: elfinfo.EMAARCH64}[arch]
	if info.Machine != wantMachine || info.Class != 64 || info.BigEndian {
		got := info.MachineName()
		if info.BigEndian {
			got += " big-endian"
		}
		goarch := map[string]string{result.ArchX86: "amd64", result.ArchARM: "arm64"}[arch]
		fix := fmt.Sprintf("Build for the function's architecture: GOOS=linux GOARCH=%s go build -o bootstrap", goarch)
		if got == result.ArchX86 || got == result.ArchARM {
			fix += fmt.Sprintf(", or set the function's Architectures to [%s].", got)
		} else {
			fix += "."
		}
		k.add(k.exeRules().ArchMismatch, result.Error, n.name,
			fmt.Sprintf("%s is built for %s but the function runs on %s: every invoke fails with \"fork/exec %s: exec format error\".", label, got, arch, where),
			fix)
		return nil
	}
	if info.Static() {
		return nil
	}
	if err := k.interpRule(n, label, info, arch); err != nil {
		return err
	}
	k.glibcRule(n, label, info)
	return nil
}

func osabiName(b byte) string {
	switch b {
	case 6:
		return ", Solaris"
	case 9:
		return ", FreeBSD"
	case 2:
		return ", NetBSD"
	case 12:
		return ", OpenBSD"
	}
	return ""
}

func (k *check) interpRule(n *node, label string, info *elfinfo.Info, arch string) error {
	interp := info.Interp
	for _, l := range loaders[arch] {
		if interp == l {
			return nil
		}
	}
	if underRoots(interp) {
		// A loader shipped in the package or a layer (patchelf --set-interpreter /opt/lib/ld.so).
		if _, err := k.view.resolve(interp, nil); err == nil {
			return nil
		} else if IsSourceError(err) {
			return err
		}
		k.add(k.exeRules().Interpreter, result.Error, n.name,
			fmt.Sprintf("%s needs the program interpreter %s, which is not in the package or its layers: \"fork/exec: no such file or directory\".", label, interp),
			"Ship the interpreter at that path, or link statically.")
		return nil
	}
	what := "which Amazon Linux does not have"
	fix := "Link statically (Go: CGO_ENABLED=0; Rust: --target x86_64-unknown-linux-musl or aarch64-unknown-linux-musl produces a static binary), or build against glibc on Amazon Linux."
	if strings.Contains(interp, "musl") {
		what = "the musl C library's loader (built on Alpine?); Amazon Linux uses glibc and has no musl"
	}
	k.add(k.exeRules().Interpreter, result.Error, n.name,
		fmt.Sprintf("%s needs the program interpreter %s, %s. Lambda fails with \"fork/exec /var/task/bootstrap: no such file or directory\".", label, interp, what),
		fix)
	return nil
}

func (k *check) glibcRule(n *node, label string, info *elfinfo.Info) {
	need, ok := info.MaxGlibc()
	if !ok {
		return
	}
	have, ok := elfinfo.ParseVersion(k.rt.Glibc)
	if !ok || !have.Less(need) {
		return
	}
	fix := fmt.Sprintf("Build against glibc %s or older (build on %s, e.g. in the public.ecr.aws/lambda/%s image), or link statically (Go: CGO_ENABLED=0).", have, k.rt.OS, k.rt.Name)
	if al2023, ok := k.cat.Lookup("provided.al2023"); ok && k.rt.OSOnly() && k.rt.Name != al2023.Name {
		if v, ok := elfinfo.ParseVersion(al2023.Glibc); ok && !v.Less(need) {
			fix += " Or move to provided.al2023 (glibc " + al2023.Glibc + "), which has what it needs."
		}
	}
	libs := ""
	if len(info.Needed) > 0 {
		libs = " (links " + strings.Join(info.Needed[:min(len(info.Needed), 4)], ", ") + ")"
	}
	k.add(k.exeRules().Glibc, result.Error, n.name,
		fmt.Sprintf("%s is dynamically linked%s and needs GLIBC_%s, but %s has glibc %s: it fails at start with \"/lib64/libc.so.6: version `GLIBC_%s' not found\".", label, libs, need, k.rt.Name, have, need),
		fix)
}

// scriptRules checks a #! script's interpreter line.
func (k *check) scriptRules(n *node, label string, head []byte) {
	if !modeIsReadableByOthers(n.mode) {
		k.add(k.exeRules().NotExecutable, result.Error, n.name,
			fmt.Sprintf("%s is a script with mode %04o: its interpreter runs as Lambda's user and must read it (o+r).", label, uint32(n.mode.Perm())),
			fmt.Sprintf("chmod 755 %s before zipping.", n.name))
	}
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if bytes.HasSuffix(line, []byte("\r")) {
		interp := strings.Fields(string(line[2:]))
		name := "/bin/sh"
		if len(interp) > 0 {
			name = strings.TrimSuffix(interp[0], "\r")
		}
		k.add(k.exeRules().ScriptCRLF, result.Error, n.name,
			fmt.Sprintf("%s has Windows (CRLF) line endings: the kernel looks for an interpreter called %q and fails with \"%s^M: bad interpreter\".", label, name+"\r", name),
			fmt.Sprintf("Convert to LF line endings (dos2unix %s, or set your editor / .gitattributes to eol=lf) and zip again.", n.name))
		return
	}
	fields := strings.Fields(string(line[2:]))
	if len(fields) == 0 {
		k.add(k.exeRules().Interpreter, result.Error, n.name,
			fmt.Sprintf("%s starts with #! but names no interpreter.", label),
			"Write the interpreter's absolute path after #!, e.g. #!/bin/sh.")
		return
	}
	interp := fields[0]
	switch {
	case shells[interp]:
	case underRoots(interp):
		if _, err := k.view.resolve(interp, nil); err != nil {
			k.add(k.exeRules().Interpreter, result.Error, n.name,
				fmt.Sprintf("%s names the interpreter %s, which is not in the package or its layers.", label, interp),
				"Ship the interpreter at that path or use #!/bin/sh.")
		}
	default:
		k.add(k.exeRules().Interpreter, result.Warning, n.name,
			fmt.Sprintf("%s names the interpreter %s, which the %s image may not have (OS-only runtimes ship a minimal Amazon Linux with /bin/sh and bash).", label, interp, k.rt.Name),
			"Use #!/bin/sh, or ship the interpreter in a layer and name it by its /opt path.")
	}
}
