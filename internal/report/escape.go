package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Escape makes text from templates, events and packages safe to print on a terminal: control
// characters (C0 including NUL and ESC, DEL, C1), the Unicode bidirectional overrides and
// isolates that reorder what is displayed (U+202A-U+202E, U+2066-U+2069), line and paragraph
// separators, and bytes that are not UTF-8 are written as Go escapes (\x1b, \u202e), so a logical
// ID cannot recolour the output, move the cursor, or forge a line. JSON and SARIF escape these
// themselves (encoding/json).
func Escape(s string) string { return escape(s, false) }

// escapeText is Escape for prose, keeping tabs and newlines (wrap turns them into spaces).
func escapeText(s string) string { return escape(s, true) }

func escape(s string, keepSpace bool) string {
	if clean(s, keepSpace) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r, keepSpace) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r, keepSpace):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func clean(s string, keepSpace bool) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafeRune(r, keepSpace) {
			return false
		}
		i += size
	}
	return true
}

func unsafeRune(r rune, keepSpace bool) bool {
	switch {
	case keepSpace && (r == '\t' || r == '\n'):
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x2028, r == 0x2029:
		return true
	}
	return false
}
