# Templates: the intrinsic-function evaluator and the parameters-file reader are parsers of
# untrusted input too (FuzzTemplate, in the Makefile, covers the YAML/JSON template path).
EXTRA_FUZZ_TARGETS += ./internal/intrinsic:FuzzEval ./internal/cfn:FuzzParameters
