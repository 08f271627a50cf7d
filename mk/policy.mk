# Exemption tags and runtime catalogues (internal/exemptions, internal/runtimes): both are read from
# untrusted input (function tags, catalogue files and SSM/S3 objects), so both are fuzzed.
EXTRA_FUZZ_TARGETS += ./internal/exemptions:FuzzParse ./internal/runtimes:FuzzParseCatalogue
