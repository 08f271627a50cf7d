# Handler resolution (internal/handler): its fuzz target.
EXTRA_FUZZ_TARGETS += ./internal/handler:FuzzResolve
