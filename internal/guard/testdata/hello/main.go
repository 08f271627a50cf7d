// Command hello is a minimal program built by the tests as a bootstrap for each OS and CPU.
package main

import "fmt"

func main() { fmt.Println("hello") }
