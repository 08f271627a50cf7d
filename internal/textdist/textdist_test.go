package textdist

import (
	"strings"
	"testing"
)

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"nodejs22.x", "nodejs22.x", 0},
		{"nodejs22", "nodejs22.x", 2},
		{"bootstrap-nestd", "bootstrap-nested", 1},
		{"python3.12.x", "python3.12", 2},
		{"go1.23", "go1.x", 2},
		{"kitten", "sitting", 3},
		{"abc", "", 3},
		{"", "abc", 3},
		// Only the first 256 bytes count: a hostile value cannot make the work grow further.
		{strings.Repeat("a", 10000), strings.Repeat("a", 256), 0},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := Levenshtein(tt.a, tt.b); got != tt.want {
				t.Errorf("Levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
