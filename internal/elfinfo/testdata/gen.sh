#!/usr/bin/env bash
# Regenerates the small ELF fixtures with the system C compiler (Debian 12: glibc 2.36).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/hello.c" <<'C'
#include <stdio.h>
#include <pthread.h>
static void *run(void *p) { puts("hello"); return p; }
int main(void) { pthread_t t; pthread_create(&t, 0, run, 0); pthread_join(t, 0); return 0; }
C
cat > "$work/tiny.c" <<'C'
void _start(void) { for (;;) __asm__ volatile("mov $60, %eax; xor %edi, %edi; syscall"); }
C
gcc -O2 -s -o dynamic-x86_64 "$work/hello.c"
gcc -O2 -s -static -nostdlib -o static-x86_64 "$work/tiny.c"
gcc -O2 -c -o object-x86_64.o "$work/tiny.c"
