package handler

import (
	"fmt"
	"strings"
)

// The Ruby resolver follows aws/aws-lambda-ruby-runtime-interface-client (commit 70a2045):
// lib/aws_lambda_ric/lambda_handler.rb splits the handler on "." into FILE.METHOD or
// FILE.CONST.METHOD (CONST may be Module::Class; any other count raises ArgumentError at init),
// and lib/aws_lambda_ric.rb puts the task root first on $LOAD_PATH and runs `require FILE`. Only
// the require happens at init; a missing method or constant fails each invoke (NoMethodError,
// NameError), which a file check cannot see.
//
// Kernel#require (https://ruby-doc.org/core/Kernel.html#method-i-require) tries FILE.rb then
// FILE.so in each $LOAD_PATH folder; an absolute or ./-relative FILE is taken as a path.
// $LOAD_PATH holds /var/task, RUBYLIB (layers: /opt/ruby/lib, per
// https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html), and RubyGems' require also
// finds files in the lib folders of installed gems (GEM_PATH: vendor/bundle in the package,
// /opt/ruby/gems in layers).

func rubyLoadPath(rt Runtime) []string {
	out := []string{TaskRoot}
	for _, p := range strings.Split(rt.Env["RUBYLIB"], ":") {
		if p != "" {
			out = append(out, nodeResolve(TaskRoot, p))
		}
	}
	return append(out, "/opt/ruby/lib")
}

func resolveRuby(fsys FS, rt Runtime, h string) (Resolution, error) {
	parts := strings.Split(h, ".")
	if len(parts) != 2 && len(parts) != 3 {
		return Resolution{Verdict: Malformed, ErrorType: "Init<ArgumentError>",
			Message: fmt.Sprintf("Invalid handler %q, must be of form FILENAME.METHOD or FILENAME.CLASS.METHOD where FILENAME corresponds with an existing Ruby source file FILENAME.rb, CLASS is an optional module/class namespace and METHOD is a callable method. If using CLASS, METHOD must be a class-level method.", parts)}, nil
	}
	file := parts[0]
	r := Resolution{Module: file, File: join(TaskRoot, file+".rb")}
	var dirs []string
	if strings.HasPrefix(file, "/") || strings.HasPrefix(file, "./") || strings.HasPrefix(file, "../") {
		dirs = []string{""}
	} else {
		dirs = rubyLoadPath(rt)
	}
	exts := []string{".rb", ".so"}
	if strings.HasSuffix(file, ".rb") || strings.HasSuffix(file, ".so") {
		exts = []string{""}
	}
	for _, d := range dirs {
		for _, e := range exts {
			p := nodeResolve(d, file+e)
			if d == "" {
				p = nodeResolve(TaskRoot, file+e)
			}
			r.Tried = append(r.Tried, p)
			ok, err := isFile(fsys, p)
			if err != nil {
				return finish(r, err)
			}
			if ok {
				r.Verdict, r.File = Found, p
				return r, nil
			}
		}
	}
	if file != "" && dirs[0] != "" {
		// RubyGems' require: the lib folder of any installed gem.
		for _, gemRoot := range []string{"/var/task/vendor/bundle/ruby", "/opt/ruby/gems"} {
			p, err := findGemFile(fsys, gemRoot, file)
			if err != nil {
				return finish(r, err)
			}
			if p != "" {
				r.Verdict, r.File = Found, p
				return r, nil
			}
		}
	}
	r.Verdict, r.ErrorType = NotFound, "Init<LoadError>"
	r.Message = "cannot load such file -- " + file
	return r, nil
}

// findGemFile looks for FILE.rb in <root>/<ruby version>/gems/<gem>/lib.
func findGemFile(fsys FS, root, file string) (string, error) {
	vers, complete, err := fsys.ReadDir(root)
	if err != nil {
		return "", err
	}
	if !complete {
		return "", errUndecided
	}
	// /opt/ruby/gems/3.3.0/gems/x-1.0/lib, /var/task/vendor/bundle/ruby/3.3.0/gems/x-1.0/lib
	for _, v := range vers {
		gemsDir := join(join(root, v), "gems")
		gems, complete, err := fsys.ReadDir(gemsDir)
		if err != nil {
			return "", err
		}
		if !complete {
			return "", errUndecided
		}
		for _, g := range gems {
			p := join(join(gemsDir, g), "lib/"+file+".rb")
			if ok, err := isFile(fsys, p); err != nil || ok {
				return ifTrue(ok, p), err
			}
		}
	}
	return "", nil
}
