package image

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/image/imagetest"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

func TestECRAuth(t *testing.T) {
	tr := imagetest.StartRegistry(t)
	tr.Push(t, "cdk-hnb659fds-container-assets-123456789012-us-east-1:abc", imagetest.LambdaImage(t, "arm64"))
	tr.RequireBasic("s3cr3t")
	fe := imagetest.StartECR(t, "s3cr3t")
	auth := NewECRAuth(fe.Client())
	ref := tr.Host + "/cdk-hnb659fds-container-assets-123456789012-us-east-1:abc"

	t.Run("without credentials the registry refuses", func(t *testing.T) {
		f, _ := NewRegistry(ref, RegistryOptions{Insecure: true})
		_, err := Check(context.Background(), f, Function{Target: "Fn", Architecture: result.ArchARM})
		if !errors.Is(err, ErrAccessDenied) {
			t.Fatalf("err = %v, want access denied", err)
		}
	})
	t.Run("with the ECR token it reads", func(t *testing.T) {
		for range 2 {
			a, err := auth.Authenticator(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			f, _ := NewRegistry(ref, RegistryOptions{Insecure: true, Auth: a})
			res, err := Check(context.Background(), f, Function{Target: "Fn", Architecture: result.ArchARM})
			if err != nil || res.Status != result.Pass {
				t.Fatalf("Check: %v %+v", err, res)
			}
		}
		if n := fe.Calls(); n != 1 {
			t.Errorf("GetAuthorizationToken called %d times for two checks, want 1 (cached)", n)
		}
	})
	t.Run("expired token is renewed", func(t *testing.T) {
		auth.now = func() time.Time { return time.Now().Add(12 * time.Hour) }
		defer func() { auth.now = time.Now }()
		if _, err := auth.Authenticator(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := fe.Calls(); n != 2 {
			t.Errorf("calls = %d, want 2", n)
		}
	})
	t.Run("GetAuthorizationToken denied", func(t *testing.T) {
		fe.Deny(true)
		defer fe.Deny(false)
		_, err := NewECRAuth(fe.Client()).Authenticator(context.Background())
		if !errors.Is(err, ErrAccessDenied) || !IsReadError(err) || !strings.Contains(err.Error(), "ecr:GetAuthorizationToken") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestECRHost(t *testing.T) {
	tests := []struct {
		host            string
		account, region string
		ok              bool
	}{
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com", "123456789012", "eu-west-1", true},
		{"123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "123456789012", "us-gov-west-1", true},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "123456789012", "cn-north-1", true},
		{"public.ecr.aws", "", "", false},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example", "", "", false},
		{"12345.dkr.ecr.eu-west-1.amazonaws.com", "", "", false},
		{"ghcr.io", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			a, r, ok := ECRHost(tc.host)
			if a != tc.account || r != tc.region || ok != tc.ok {
				t.Errorf("ECRHost = %q %q %v", a, r, ok)
			}
		})
	}
}
