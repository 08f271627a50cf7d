// Package lib is not package main: go build -o of it writes an archive, not an executable.
package lib

// Answer exists so the package has content.
func Answer() int { return 42 }
