package handler

import (
	"fmt"
	"strings"
)

// The .NET resolver follows aws/aws-lambda-dotnet (commit 8314921):
//   - Libraries/src/Amazon.Lambda.RuntimeSupport/bootstrap.sh and bootstrap.net8.sh: a handler
//     without ":" is an executable assembly, /var/task/<HANDLER> (".dll" appended when missing)
//     run with dotnet exec, else a plain file /var/task/<HANDLER>; neither ends the bootstrap with
//     exit 104 (Runtime.ExitError).
//   - Libraries/src/Amazon.Lambda.RuntimeSupport/Helpers/HandlerInfo.cs: a class-library handler is
//     split on "::" into at most three parts (the method may itself contain "::"), each trimmed and
//     non-empty; messages from ExceptionHandling/Errors.cs (Errors.HandlerInfo).
//   - Libraries/src/Amazon.Lambda.RuntimeSupport/Bootstrap/UserCodeLoader.cs: the assembly is loaded
//     from the task root; a missing one raises LambdaValidationException "Could not find the
//     specified handler assembly with the file name '...'. The assembly should be located in the
//     root of your uploaded .zip file." Type and method live inside the assembly and are not read.

func resolveDotnet(fsys FS, rt Runtime, h string) (Resolution, error) {
	if !strings.Contains(h, ":") {
		// Executable assembly.
		cands := []string{join(TaskRoot, h)}
		if !strings.HasSuffix(h, ".dll") {
			cands = []string{join(TaskRoot, h+".dll"), join(TaskRoot, h)}
		}
		r := Resolution{Module: h, File: cands[0], Tried: cands}
		for _, c := range cands {
			ok, err := isFile(fsys, c)
			if err != nil {
				return finish(r, err)
			}
			if ok {
				r.Verdict, r.File = Found, c
				return r, nil
			}
		}
		r.Verdict, r.ErrorType = NotFound, "Runtime.ExitError"
		r.Message = fmt.Sprintf("the runtime's bootstrap finds neither %s nor %s and exits (status 104)", cands[0], cands[len(cands)-1])
		r.Hint = "a class-library handler has the form Assembly::Namespace.Type::Method"
		return r, nil
	}
	parts := strings.SplitN(h, "::", 3)
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if len(parts) != 3 {
		return Resolution{Verdict: Malformed, ErrorType: "LambdaValidationException",
			Message: fmt.Sprintf("Invalid lambda function handler: '%s'. The valid format is 'ASSEMBLY::TYPE::METHOD'.", h)}, nil
	}
	for i, what := range []string{"assembly", "type", "method"} {
		if parts[i] == "" {
			return Resolution{Verdict: Malformed, ErrorType: "LambdaValidationException",
				Message: fmt.Sprintf("Invalid lambda function handler: '%s', the %s is missing. The valid format is 'ASSEMBLY::TYPE::METHOD'.", h, what)}, nil
		}
	}
	// new AssemblyName(text): the simple name is the text before any ", Version=..." part.
	asm, _, _ := strings.Cut(parts[0], ",")
	asm = strings.TrimSpace(asm)
	dll := join(TaskRoot, asm+".dll")
	r := Resolution{Module: asm, File: dll, Tried: []string{dll}}
	ok, err := isFile(fsys, dll)
	if err != nil {
		return finish(r, err)
	}
	if ok {
		r.Verdict = Found
		return r, nil
	}
	r.Verdict, r.ErrorType = NotFound, "LambdaValidationException"
	r.Message = fmt.Sprintf("Could not find the specified handler assembly with the file name '%s, Culture=neutral, PublicKeyToken=null'. The assembly should be located in the root of your uploaded .zip file.", asm)
	return r, nil
}
