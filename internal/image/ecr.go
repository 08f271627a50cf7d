package image

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
)

// ecrHost matches a private ECR registry host: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]
// and the isolated partitions. The same pattern as awslabs/amazon-ecr-credential-helper
// (ecr-login/api/client.go). Lambda pulls images only from ECR
// (https://docs.aws.amazon.com/lambda/latest/dg/images-create.html).
var ecrHost = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(-fips)?\.([a-zA-Z0-9][a-zA-Z0-9-_]*)\.(amazonaws\.com(\.cn)?|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$`)

// ECRHost reports whether host is a private ECR registry, and its account and region.
func ECRHost(host string) (account, region string, ok bool) {
	m := ecrHost.FindStringSubmatch(host)
	if m == nil {
		return "", "", false
	}
	return m[1], m[3], true
}

// ECRTokenAPI is the ECR call the auth makes; *ecr.Client satisfies it.
type ECRTokenAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, opts ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// ECRAuth turns ecr:GetAuthorizationToken into registry credentials. The token is a base64
// "AWS:password" pair valid for 12 hours for every ECR registry the caller's IAM principal may
// read ("The returned authorization token can be used to access any Amazon ECR registry that the
// IAM principal has access to", API_GetAuthorizationToken), so one cached token serves every image
// until shortly before it expires. Safe for concurrent use.
type ECRAuth struct {
	api ECRTokenAPI
	now func() time.Time

	mu      sync.Mutex
	basic   *authn.Basic
	expires time.Time
	calls   int
}

// NewECRAuth returns an ECRAuth calling api.
func NewECRAuth(api ECRTokenAPI) *ECRAuth { return &ECRAuth{api: api, now: time.Now} }

// renewBefore is how long before expiry a cached token is replaced: a check must not start with
// a token that lapses mid-way.
const renewBefore = 5 * time.Minute

// Authenticator returns credentials for any ECR registry, calling GetAuthorizationToken when no
// cached token is valid. Failures are *ReadError wrapping ErrAccessDenied or the SDK's error.
func (a *ECRAuth) Authenticator(ctx context.Context) (authn.Authenticator, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.basic != nil && a.now().Before(a.expires.Add(-renewBefore)) {
		return a.basic, nil
	}
	a.calls++
	out, err := a.api.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, readError("ECR", fmt.Errorf("ecr:GetAuthorizationToken: %w", classifyAWS(err)))
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return nil, readError("ECR", errors.New("ecr:GetAuthorizationToken: no authorization data in the answer"))
	}
	d := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(*d.AuthorizationToken)
	if err != nil {
		return nil, readError("ECR", fmt.Errorf("ecr:GetAuthorizationToken: token is not base64: %w", err))
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok || user == "" || pass == "" {
		return nil, readError("ECR", errors.New("ecr:GetAuthorizationToken: token is not a user:password pair"))
	}
	a.basic = &authn.Basic{Username: user, Password: pass}
	a.expires = a.now().Add(12 * time.Hour)
	if d.ExpiresAt != nil {
		a.expires = *d.ExpiresAt
	}
	return a.basic, nil
}

// Calls is how many times GetAuthorizationToken was called (for tests and the bench).
func (a *ECRAuth) Calls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

// classifyAWS marks an access-denied answer so messages can name the permission to grant.
func classifyAWS(err error) error {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDeniedException", "AccessDenied", "UnrecognizedClientException":
			return fmt.Errorf("%w (%w)", ErrAccessDenied, err)
		}
	}
	return err
}
