package inspect

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/elfinfo"
	"github.com/bootstrap-guard/bootstrap-guard/internal/native"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
	"github.com/bootstrap-guard/bootstrap-guard/internal/safeio"
	"github.com/bootstrap-guard/bootstrap-guard/internal/zipread"
)

// The read budget of the native-code checks, per function: with the zip's tail and (for a large
// package) one more read of its central directory, a check stays within 8 requests and 4 MiB.
const (
	NativeReadRequests = 6
	NativeReadBytes    = 3 << 20
)

// nativeRules applies the native-code rules (internal/native) to Python and Node.js functions,
// and the extension rules to every layer's extensions/ folder.
func (k *check) nativeRules() error {
	if k.rt.Name == "" {
		return nil
	}
	if err := k.extensionRules(); err != nil {
		return err
	}
	if k.rt.Family != "python" && k.rt.Family != "nodejs" {
		return nil
	}
	env := native.Env{Arch: k.fn.Architecture, Runtime: k.rt.Name, Family: string(k.rt.Family), Vars: k.fn.Env}
	env.Glibc, _ = elfinfo.ParseVersion(k.rt.Glibc)
	var files []native.File
	var nodes []*node
	add := func(t *tree, source string, layer bool) {
		for _, n := range t.nodes {
			if n.symlink() {
				continue // a link's bytes are its target's name; the target is listed itself
			}
			files = append(files, native.File{Source: source, Layer: layer, Name: n.name, Size: n.size, Dir: n.dir})
			nodes = append(nodes, n)
		}
	}
	add(k.view.task, "the function package", false)
	for _, l := range k.view.layers {
		add(l, "layer "+l.src.Name, true)
	}
	// The budget bounds requests to remote objects (S3 through the hook); a local file is read
	// in full if need be.
	budget := zipread.Budget{Requests: NativeReadRequests, Bytes: NativeReadBytes}
	if _, local := k.fn.Code.ReaderAt.(*os.File); local || k.fn.Code.Dir != "" {
		budget = zipread.Budget{Requests: 1 << 20, Bytes: 1 << 40}
	}
	fetch := func(reqs []native.Request) ([]native.Content, error) {
		out := make([]native.Content, len(reqs))
		trees := append([]*tree{k.view.task}, k.view.layers...)
		for _, t := range trees {
			var idx []int
			var hr []zipread.HeadRequest
			for i, r := range reqs {
				n := nodes[r.File]
				if n.t != t {
					continue
				}
				if n.zf == nil {
					c, err := readLocalHead(n, r.Max)
					if err != nil {
						return nil, err
					}
					out[i] = c
					continue
				}
				idx = append(idx, i)
				hr = append(hr, zipread.HeadRequest{File: n.zf, Max: r.Max, Weight: r.Weight})
			}
			if len(hr) == 0 {
				continue
			}
			heads, err := t.zr.ReadHeads(hr, &budget)
			if err != nil {
				return nil, fmt.Errorf("read native files of %s: %w", t.src.Name, err)
			}
			for j, h := range heads {
				out[idx[j]] = native.Content{Data: h.Data, Complete: h.Complete, Skipped: h.Skipped, Err: h.Err}
			}
		}
		return out, nil
	}
	rep, err := native.Check(env, files, fetch)
	if err != nil {
		return err
	}
	k.evaluated(rep.Evaluated...)
	for _, f := range rep.Findings {
		p := ""
		if f.File >= 0 && f.File < len(nodes) {
			p = nodes[f.File].name
		}
		k.add(f.Rule, f.Severity, p, f.Message, f.Fix)
	}
	return nil
}

// readLocalHead reads the first max bytes of an unpacked file.
func readLocalHead(n *node, max int64) (native.Content, error) {
	f, _, err := safeio.Open(n.osPath)
	if err != nil {
		return native.Content{}, &SourceError{Source: n.osPath, Err: err}
	}
	defer f.Close()
	b := make([]byte, max)
	got, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return native.Content{}, &SourceError{Source: n.osPath, Err: err}
	}
	return native.Content{Data: b[:got], Complete: int64(got) == n.size}, nil
}

// extensionExe is the rule set of an extension: Lambda execs each one as it does a bootstrap
// (aws/aws-lambda-runtime-interface-emulator internal/lambda/agents/agent.go), so the bootstrap
// checks apply under the extension IDs. A dangling link cannot be started (not executable); a
// missing interpreter makes the file one Amazon Linux cannot start (not Linux).
var extensionExe = exeRuleSet{result.ExtensionNotExecutable, result.ExtensionNotExecutable, result.ExtensionNotLinux,
	result.ExtensionArchMismatch, result.ExtensionNotLinux, result.ExtensionGlibc, result.ExtensionScriptCRLF}

// extensionRules checks every file directly in a layer's extensions/ folder: Lambda starts each
// of them (symlinks, empty and non-executable files included; subfolders skipped) during the
// Extension init phase, and a launch failure fails the function's init (Extension.LaunchError):
// awsdocs/aws-lambda-developer-guide doc_source/lambda-extensions.md; RIE agents.go.
func (k *check) extensionRules() error {
	k.evaluated(result.ExtensionNotExecutable, result.ExtensionNotLinux, result.ExtensionArchMismatch,
		result.ExtensionGlibc, result.ExtensionScriptCRLF)
	byName := map[string]*node{}
	for _, l := range k.view.layers { // later layers overwrite earlier ones in /opt
		for _, n := range l.nodes {
			rest, ok := strings.CutPrefix(n.name, "extensions/")
			if !ok || rest == "" || strings.Contains(rest, "/") || n.dir {
				continue
			}
			byName[rest] = n
		}
	}
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		n := byName[name]
		where := "/opt/extensions/" + name
		startF := len(k.res.Findings)
		if err := k.executableAs(n, "extension "+where, extensionExe); err != nil {
			return err
		}
		for i := startF; i < len(k.res.Findings); i++ {
			f := &k.res.Findings[i]
			f.Message = strings.ReplaceAll(f.Message, "/var/task/bootstrap", where)
			if f.Rule == result.ExtensionScriptCRLF {
				// Lambda execs extensions itself, so the shell's "bad interpreter" text never
				// appears: aws-samples/aws-lambda-extensions#54 reports ENOENT.
				f.Message += fmt.Sprintf(" Lambda reports it as \"fork/exec %s: no such file or directory\".", where)
			}
			f.Message += fmt.Sprintf(" Lambda starts every file in /opt/extensions during init, so the function fails to initialise (Extension.LaunchError) whatever its runtime (%s).", k.rt.Name)
			f.Remediation = strings.ReplaceAll(f.Remediation, "-o bootstrap", "-o extensions/"+name)
			f.Remediation = strings.ReplaceAll(f.Remediation, "at the zip root as bootstrap", "in the layer's extensions/ folder")
		}
	}
	return nil
}
