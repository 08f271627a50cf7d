// Package textdist measures how far apart two short strings are, for "did you mean" suggestions
// (a runtime name, a rule ID in an exemption tag).
package textdist

// maxLen bounds the work on hostile input: names and tag values are far shorter (a tag value is at
// most 256 characters), so only input nobody typed is cut.
const maxLen = 256

// Levenshtein returns the number of single-byte insertions, deletions and substitutions that turn
// a into b, looking at no more than the first 256 bytes of each.
func Levenshtein(a, b string) int {
	if len(a) > maxLen {
		a = a[:maxLen]
	}
	if len(b) > maxLen {
		b = b[:maxLen]
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
