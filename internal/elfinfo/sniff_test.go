package elfinfo

import (
	"encoding/binary"
	"testing"
)

func TestSniff(t *testing.T) {
	pe := make([]byte, 0x80)
	copy(pe, "MZ")
	binary.LittleEndian.PutUint32(pe[0x3c:], 0x40)
	copy(pe[0x40:], "PE\x00\x00")
	tests := []struct {
		name string
		head []byte
		want Foreign
	}{
		{"Mach-O 64 little-endian", []byte{0xcf, 0xfa, 0xed, 0xfe, 0x0c, 0, 0, 1}, MachO},
		{"Mach-O 32 big-endian", []byte{0xfe, 0xed, 0xfa, 0xce, 0, 0, 0, 7}, MachO},
		{"fat Mach-O", []byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2}, MachO},
		{"Java class", []byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 61}, NotForeign},
		{"PE", pe, PE},
		{"MZ without PE header", []byte("MZ\x90\x00"), PE},
		{"wasm", []byte("\x00asm\x01\x00\x00\x00"), Wasm},
		{"ELF", []byte("\x7fELF\x02\x01\x01"), NotForeign},
		{"script", []byte("#!/bin/sh\n"), NotForeign},
		{"short", []byte{0xcf}, NotForeign},
		{"empty", nil, NotForeign},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, what := Sniff(tc.head)
			if f != tc.want || (f == NotForeign) != (what == "") {
				t.Errorf("Sniff = %v %q, want %v", f, what, tc.want)
			}
		})
	}
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte("MZ"))
	f.Add([]byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		if g, what := Sniff(b); (g == NotForeign) != (what == "") {
			t.Fatalf("Sniff(%x) = %v %q", b, g, what)
		}
	})
}
