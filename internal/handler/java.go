package handler

func resolveJava(fsys FS, rt Runtime, h string) (Resolution, error) {
	return Resolution{Verdict: Unchecked}, nil
}
