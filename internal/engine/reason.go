package engine

import (
	"context"
	"errors"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// Why turns a read error into the words every front-end's message uses ("access denied", "not
// found"), or the error's own text with any URL's query string redacted.
func Why(err error) string {
	switch {
	case errors.Is(err, image.ErrMoved):
		return "the tag was pushed again while it was being checked"
	case errors.Is(err, image.ErrNotFound):
		return "image not found"
	case errors.Is(err, image.ErrAccessDenied), errors.Is(err, s3read.ErrAccessDenied):
		return "access denied"
	case errors.Is(err, image.ErrDigest):
		return "the registry returned content that does not match its digest"
	case errors.Is(err, image.ErrTooLarge):
		return "the manifest or config is larger than any real image's"
	case errors.Is(err, s3read.ErrNotFound):
		return "not found"
	case errors.Is(err, s3read.ErrChanged):
		return "the object was replaced while it was being read"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, s3read.ErrURL):
		return "its URL is not HTTPS on an AWS S3 host, so the hook will not fetch it"
	}
	return Redact(err.Error())
}

// Redact drops the query string of any URL in s: presigned URLs carry credentials.
func Redact(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := strings.IndexAny(s[i:], " \t\n\"'")
		if end < 0 {
			end = len(s) - i
		}
		u := s[:i+end]
		if q := strings.IndexByte(u[i:], '?'); q >= 0 {
			u = u[:i+q] + "?REDACTED"
		}
		b.WriteString(u)
		s = s[i+end:]
	}
}
