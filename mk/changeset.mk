# CHANGE_SET targets (internal/changeset): the fuzz target of the payload decoder, and the
# `make bench` row of a 200-function change set checked by the hook against MinIO.

EXTRA_FUZZ_TARGETS += ./internal/changeset:FuzzDecode
