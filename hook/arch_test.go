package main

import "runtime"

// hostArch is the CPU the emulator runs on: the local bootstrap is built for it.
func hostArch() string { return runtime.GOARCH }
