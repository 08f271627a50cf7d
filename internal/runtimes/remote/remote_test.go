package remote

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
	"github.com/bootstrap-guard/bootstrap-guard/internal/testenv"
)

// Newer is a catalogue from the future: it lists nodejs26.x.
const Newer = `{"source":"test: AWS Lambda runtimes page","retrieved":"2027-06-01","runtimes":[
 {"name":"nodejs26.x","family":"nodejs","os":"al2023","glibc":"2.34","deprecated":"2029-04-30","createBlocked":"2029-06-01","updateBlocked":"2029-07-01"},
 {"name":"provided.al2023","family":"provided","os":"al2023","glibc":"2.34","deprecated":"2029-06-30"}]}`

func TestParseLocation(t *testing.T) {
	good := map[string]Location{
		"ssm:/bootstrap-guard/runtimes":                               {Kind: KindSSM, Parameter: "/bootstrap-guard/runtimes"},
		"ssm:guard-runtimes":                                          {Kind: KindSSM, Parameter: "guard-runtimes"},
		"arn:aws:ssm:eu-west-1:123456789012:parameter/guard/runtimes": {Kind: KindSSM, Parameter: "arn:aws:ssm:eu-west-1:123456789012:parameter/guard/runtimes"},
		"s3://platform-config/guard/runtimes.json":                    {Kind: KindS3, Bucket: "platform-config", Key: "guard/runtimes.json"},
	}
	for in, want := range good {
		got, err := ParseLocation(in)
		if err != nil || got != want {
			t.Errorf("ParseLocation(%q) = %+v, %v; want %+v", in, got, err, want)
		}
		if got.String() != in {
			t.Errorf("String() = %q, want %q", got.String(), in)
		}
	}
	for _, bad := range []string{"", "/guard/runtimes", "ssm:", "ssm:has space", "s3://bucket", "s3:///key", "https://example.com/c.json",
		"arn:aws:s3:::bucket/key", "arn:aws:ssm:eu-west-1:123456789012:document/x", "file:///etc/passwd"} {
		if _, err := ParseLocation(bad); err == nil {
			t.Errorf("ParseLocation(%q): want an error", bad)
		}
	}
}

func ssmClient(url string) *ssm.Client {
	return ssm.New(ssm.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
}

// TestFetchSSM reads parameters through the real SSM client and its JSON 1.1 wire protocol.
func TestFetchSSM(t *testing.T) {
	srv := testenv.StartSSM(t)
	srv.Put("/guard/runtimes", Newer)
	srv.Put("/guard/broken", `{"source":"x","retrieved":"2027-06-01","runtimes":[{"name":"nodejs26.x","family":"nodejs"}]}`)
	srv.Put("/guard/denied", Newer)
	srv.Deny("/guard/denied", true)
	c := Clients{SSM: ssmClient(srv.URL)}
	ctx := context.Background()

	cat, err := Fetch(ctx, c, Location{Kind: KindSSM, Parameter: "/guard/runtimes"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cat.Lookup("nodejs26.x"); !ok || cat.Retrieved != "2027-06-01" || cat.Origin != "SSM parameter /guard/runtimes (version 1)" {
		t.Errorf("got origin %q retrieved %q", cat.Origin, cat.Retrieved)
	}
	if _, err := Fetch(ctx, c, Location{Kind: KindSSM, Parameter: "arn:aws:ssm:us-east-1:123456789012:parameter/guard/runtimes"}); err != nil {
		t.Errorf("by ARN: %v", err)
	}
	tests := []struct {
		name, param string
		unavailable bool   // ErrUnavailable, else runtimes.ErrCatalogue
		inErr       string // what the error says
	}{
		{"missing", "/guard/none", true, "ParameterNotFound"},
		{"denied", "/guard/denied", true, "AccessDeniedException"},
		{"invalid", "/guard/broken", false, "nodejs26.x: os"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Fetch(ctx, c, Location{Kind: KindSSM, Parameter: tc.param})
			if err == nil || errors.Is(err, ErrUnavailable) != tc.unavailable || errors.Is(err, runtimes.ErrCatalogue) == tc.unavailable {
				t.Fatalf("err = %v; want unavailable=%v", err, tc.unavailable)
			}
			if !strings.Contains(err.Error(), tc.inErr) || !strings.Contains(err.Error(), tc.param) {
				t.Errorf("error %q lacks %q or the parameter name", err, tc.inErr)
			}
		})
	}
	if _, err := Fetch(ctx, Clients{}, Location{Kind: KindSSM, Parameter: "/x"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("no client: %v", err)
	}
}

// TestFetchS3 reads objects from MinIO through the real S3 client.
func TestFetchS3(t *testing.T) {
	m := testenv.StartMinIO(t)
	m.Bucket(t, "platform", true)
	v := m.Put(t, "platform", "guard/runtimes.json", []byte(Newer))
	m.Put(t, "platform", "guard/garbage.json", []byte("<html>not a catalogue</html>"))
	m.Put(t, "platform", "guard/huge.json", []byte(`{"source":"`+strings.Repeat("x", runtimes.MaxSize)+`"}`))
	c := Clients{S3: m.Client()}
	ctx := context.Background()

	cat, err := Fetch(ctx, c, Location{Kind: KindS3, Bucket: "platform", Key: "guard/runtimes.json"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cat.Lookup("nodejs26.x"); !ok || cat.Origin != "S3 object s3://platform/guard/runtimes.json (version "+v+")" {
		t.Errorf("origin %q", cat.Origin)
	}
	for key, unavailable := range map[string]bool{"guard/missing.json": true, "guard/garbage.json": false, "guard/huge.json": false} {
		_, err := Fetch(ctx, c, Location{Kind: KindS3, Bucket: "platform", Key: key})
		if err == nil || errors.Is(err, ErrUnavailable) != unavailable || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: err = %v; want unavailable=%v, naming the key", key, err, unavailable)
		}
	}
	denied := Clients{S3: m.ClientAs(m.AccessKey, "wrong")}
	if _, err := Fetch(ctx, denied, Location{Kind: KindS3, Bucket: "platform", Key: "guard/runtimes.json"}); !errors.Is(err, ErrUnavailable) {
		t.Errorf("wrong credentials: %v", err)
	}
}
