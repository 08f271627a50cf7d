package s3read

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/bootstrap-guard/bootstrap-guard/internal/rangeread"
)

// TestIsS3Host: the documented S3 endpoint forms pass, path-style and virtual-hosted; hosts of
// other AWS services whose labels their customers choose do not, however S3-like the labels.
func TestIsS3Host(t *testing.T) {
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		// Regular, dual-stack, FIPS and FIPS dual-stack endpoints, path-style and virtual-hosted.
		{"s3.us-east-1.amazonaws.com", true},
		{"bucket.s3.us-east-1.amazonaws.com", true},
		{"awslambda-us-east-1-layers.s3.us-east-1.amazonaws.com", true},
		{"prod-iad-c1-djusa-layers.s3.us-east-1.amazonaws.com", true},
		{"s3.dualstack.eu-west-1.amazonaws.com", true},
		{"bucket.s3.dualstack.ap-southeast-2.amazonaws.com", true},
		{"s3-fips.us-east-2.amazonaws.com", true},
		{"bucket.s3-fips.dualstack.us-west-2.amazonaws.com", true},
		{"my.dotted.bucket.s3.eu-central-1.amazonaws.com", true},
		{"s3.il-central-1.amazonaws.com", true},
		{"s3.mx-central-1.amazonaws.com", true},
		// Legacy: dash-Region and the global endpoints.
		{"s3-us-west-2.amazonaws.com", true},
		{"bucket.s3-eu-west-1.amazonaws.com", true},
		{"s3.amazonaws.com", true},
		{"prod-04-2014-layers.s3.amazonaws.com", true},
		{"s3-external-1.amazonaws.com", true},
		// Other partitions.
		{"s3.cn-north-1.amazonaws.com.cn", true},
		{"bucket.s3.cn-northwest-1.amazonaws.com.cn", true},
		{"s3.us-gov-west-1.amazonaws.com", true},
		{"bucket.s3-fips.us-gov-east-1.amazonaws.com", true},
		{"s3.eusc-de-east-1.amazonaws.eu", true},

		// Names other services build from their customers' choices.
		{"s3-x-123.us-east-1.elb.amazonaws.com", false},
		{"s3.abc.us-east-1.rds.amazonaws.com", false},
		{"s3-us-east-1.elb.amazonaws.com", false},
		{"s3.us-east-1.elb.amazonaws.com", false},
		{"s3-fips.us-east-1.elb.amazonaws.com", false},
		{"bucket.s3.us-east-1.amazonaws.com.evil.example", false},
		{"s3.dualstack.us-east-1.execute-api.us-east-1.amazonaws.com", false},
		{"abc123.execute-api.us-east-1.amazonaws.com", false},
		{"ec2-54-1-2-3.compute-1.amazonaws.com", false},
		{"s3.compute-1.amazonaws.com", false},
		{"s3-1-2-3-4.compute-1.amazonaws.com", false},
		{"mydb.s3.cluster-abc.us-east-1.rds.amazonaws.com", false},
		// Not S3 endpoints, or not of a known partition.
		{"bucket.s3-website-us-east-1.amazonaws.com", false},
		{"bucket.s3-website.eu-west-1.amazonaws.com", false},
		{"ap-111122223333.s3-accesspoint.us-east-1.amazonaws.com", false},
		{"s3.us-east-1.amazonaws.com.cn", false},
		{"s3.cn-north-1.amazonaws.com", false},
		{"s3.xx-east-1.amazonaws.com", false},
		{"s3.us-east.amazonaws.com", false},
		{"s3.dualstack.amazonaws.com", false},
		{"lambda.us-east-1.amazonaws.com", false},
		{"amazonaws.com", false},
		{".s3.us-east-1.amazonaws.com", false},
		{"-bucket.s3.us-east-1.amazonaws.com", false},
		{"b_d.s3.us-east-1.amazonaws.com", false},
		{"ab.s3.us-east-1.amazonaws.com", false},
		{strings.Repeat("a", 64) + ".s3.us-east-1.amazonaws.com", false},
		{"s3.us-east-1.amazonaws.com.", false},
	} {
		if got := IsS3Host(tc.host); got != tc.ok {
			t.Errorf("IsS3Host(%q) = %v, want %v", tc.host, got, tc.ok)
		}
	}
}

// TestNonS3HostsNeverContacted: a payload URL, a layer location or a redirect to a non-S3 AWS
// host is refused before any connection: the client's transport counts dials.
func TestNonS3HostsNeverContacted(t *testing.T) {
	var dials atomic.Int32
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		dials.Add(1)
		return nil, errors.New("dialled " + r.URL.Host)
	})}
	for _, u := range []string{
		"https://s3-x-123.us-east-1.elb.amazonaws.com/p.json",
		"https://s3.abc.us-east-1.rds.amazonaws.com/p.json",
	} {
		if _, err := Fetch(context.Background(), client, u, "the payload", URLPolicy{}, 1024); !errors.Is(err, ErrURL) {
			t.Errorf("Fetch %s: %v, want ErrURL", u, err)
		}
		if _, err := OpenURL(context.Background(), client, u, "arn:layer", URLPolicy{}, rangeread.Options{}); !errors.Is(err, ErrURL) {
			t.Errorf("OpenURL %s: %v, want ErrURL", u, err)
		}
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("%d requests made", n)
	}
	// A redirect from an allowed server to an ELB-shaped name is refused too.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://s3-x-123.us-east-1.elb.amazonaws.com/p.json", http.StatusFound)
	}))
	defer srv.Close()
	if _, err := Fetch(context.Background(), srv.Client(), srv.URL+"/p.json", "the payload", URLPolicy{AllowLoopbackHTTP: true}, 1024); !errors.Is(err, ErrURL) {
		t.Errorf("redirect to an ELB name: %v, want ErrURL", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
