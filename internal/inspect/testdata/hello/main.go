// Command hello is a minimal program the tests compile for several platforms.
package main

import "os"

func main() { os.Stdout.WriteString("hello\n") }
