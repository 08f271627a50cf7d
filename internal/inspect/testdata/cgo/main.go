// Command cgo links the C library dynamically, so it carries glibc version requirements.
package main

/*
#include <stdio.h>
static void hello(void) { puts("hello from C"); }
*/
import "C"

func main() { C.hello() }
