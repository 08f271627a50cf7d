// Package remote loads a runtime catalogue from outside the binary: an SSM parameter or an S3
// object, so a platform team can publish a newer catalogue without redeploying the hook. What it
// loads passes the same validation as the built-in catalogue (runtimes.Parse).
package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
	"github.com/bootstrap-guard/bootstrap-guard/internal/s3read"
)

// Kinds of location.
const (
	KindSSM = "ssm"
	KindS3  = "s3"
)

// Location names a catalogue: an SSM parameter (by name or ARN) or an S3 object.
type Location struct {
	Kind      string
	Parameter string // SSM parameter name (/guard/runtimes) or ARN
	Bucket    string
	Key       string
}

// String writes the location the way ParseLocation reads it.
func (l Location) String() string {
	switch l.Kind {
	case KindSSM:
		if strings.HasPrefix(l.Parameter, "arn:") {
			return l.Parameter
		}
		return "ssm:" + l.Parameter
	case KindS3:
		return "s3://" + l.Bucket + "/" + l.Key
	}
	return ""
}

// ParseLocation reads "ssm:NAME" (NAME as in /guard/runtimes), an SSM parameter ARN
// (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME), or "s3://BUCKET/KEY".
func ParseLocation(s string) (Location, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "s3://"):
		b, k, err := s3read.ParseURL(s)
		if err != nil {
			return Location{}, err
		}
		return Location{Kind: KindS3, Bucket: b, Key: k}, nil
	case strings.HasPrefix(s, "ssm:"):
		name := strings.TrimPrefix(s, "ssm:")
		if !validParameterName(name) {
			return Location{}, fmt.Errorf("%q: want ssm:NAME with an SSM parameter name (letters, digits, _.-/ , e.g. ssm:/bootstrap-guard/runtimes)", s)
		}
		return Location{Kind: KindSSM, Parameter: name}, nil
	case strings.HasPrefix(s, "arn:"):
		// arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME
		p := strings.SplitN(s, ":", 6)
		if len(p) != 6 || p[2] != "ssm" || !strings.HasPrefix(p[5], "parameter/") || !validParameterName(strings.TrimPrefix(p[5], "parameter")) {
			return Location{}, fmt.Errorf("%q: want an SSM parameter ARN (arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)", s)
		}
		return Location{Kind: KindSSM, Parameter: s}, nil
	}
	return Location{}, fmt.Errorf("%q: want ssm:PARAMETER-NAME, an SSM parameter ARN, or s3://BUCKET/KEY", s)
}

// validParameterName follows PutParameter's naming constraints: a-zA-Z0-9_.- and / for hierarchy,
// at most 1011 characters (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html).
func validParameterName(s string) bool {
	if s == "" || len(s) > 1011 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '/') {
			return false
		}
	}
	return true
}

// GetParameterAPI is the SSM call this package makes; *ssm.Client satisfies it.
type GetParameterAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// Clients are what Fetch may call: SSM for a parameter, S3 for an object.
type Clients struct {
	SSM GetParameterAPI
	S3  s3read.GetObjectAPI
}

// ErrUnavailable wraps every failure to get the bytes (as opposed to bytes that are not a valid
// catalogue, which wrap runtimes.ErrCatalogue).
var ErrUnavailable = errors.New("runtime catalogue unavailable")

// Fetch reads and validates the catalogue at loc. The result's Origin names loc and, when the
// service says, the version read.
func Fetch(ctx context.Context, c Clients, loc Location) (*runtimes.Catalogue, error) {
	var b []byte
	var origin string
	switch loc.Kind {
	case KindSSM:
		if c.SSM == nil {
			return nil, fmt.Errorf("%w: %s: no SSM client", ErrUnavailable, loc)
		}
		// A String parameter: the catalogue is public data, not a secret, so no KMS grant is
		// needed. Values are at most 4 KB (standard tier) or 8 KB (advanced tier): a catalogue
		// trimmed to the runtimes in use fits; the full built-in one (8.5 KB) needs S3.
		out, err := c.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(loc.Parameter)})
		if err != nil {
			return nil, fmt.Errorf("%w: get SSM parameter %s: %w", ErrUnavailable, loc.Parameter, err)
		}
		if out.Parameter == nil || out.Parameter.Value == nil {
			return nil, fmt.Errorf("%w: SSM parameter %s: no value in the answer", ErrUnavailable, loc.Parameter)
		}
		b = []byte(aws.ToString(out.Parameter.Value))
		origin = fmt.Sprintf("SSM parameter %s (version %d)", loc.Parameter, out.Parameter.Version)
	case KindS3:
		if c.S3 == nil {
			return nil, fmt.Errorf("%w: %s: no S3 client", ErrUnavailable, loc)
		}
		out, err := c.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loc.Bucket), Key: aws.String(loc.Key)})
		if err != nil {
			return nil, fmt.Errorf("%w: get %s: %w", ErrUnavailable, loc, err)
		}
		defer out.Body.Close()
		b, err = io.ReadAll(io.LimitReader(out.Body, runtimes.MaxSize+1))
		if err != nil {
			return nil, fmt.Errorf("%w: read %s: %w", ErrUnavailable, loc, err)
		}
		origin = "S3 object " + loc.String()
		if v := aws.ToString(out.VersionId); v != "" && v != "null" {
			origin += " (version " + v + ")"
		}
	default:
		return nil, fmt.Errorf("%w: no location", ErrUnavailable)
	}
	cat, err := runtimes.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc, err)
	}
	cat.Origin = origin
	return cat, nil
}
