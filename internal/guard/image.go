package guard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
)

// decideImage checks a PackageType: Image function from its image's manifest and config blob:
// with the ECR token for an ECR registry, three requests to the registry plus its /v2/ ping, and
// never a layer. Lambda resolves a tag when the function is created; the verdict names the
// digest read, and a tag that moves during the check is a read error, not a verdict.
func (h *Handler) decideImage(ctx context.Context, d *decision, fn inspect.Function) {
	p := &d.props
	ifn := image.Function{
		Target:       fn.Target,
		Architecture: fn.Architecture,
		ImageConfig: image.Overrides{
			EntryPoint:       p.ImageConfig.EntryPoint,
			Command:          p.ImageConfig.Command,
			WorkingDirectory: string(p.ImageConfig.WorkingDirectory),
		},
	}
	uri := strings.TrimSpace(string(p.Code.ImageURI))
	if uri == "" {
		res := image.Unusable(ifn, "", "The function has PackageType: Image but no Code.ImageUri, so there is no image to start.",
			"Set Code.ImageUri to the image in ECR (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or @sha256:…).")
		d.res = &res
		return
	}
	ref, err := name.ParseReference(uri, name.StrictValidation)
	if err != nil {
		res := image.Unusable(ifn, uri, fmt.Sprintf("Code.ImageUri %q is not an image reference: %v.", uri, err),
			"Set Code.ImageUri to ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG or REPO@sha256:DIGEST.")
		d.res = &res
		return
	}
	host := ref.Context().RegistryStr()
	account, region, isECR := image.ECRHost(host)
	insecure := slices.Contains(h.cfg.InsecureRegistries, host)
	fail := func(err error) {
		d.err = &readError{source: "docker://" + uri, image: true, notECR: !isECR && !insecure, repo: ref.Context().RepositoryStr(), account: account, region: region, err: err}
	}
	opts := image.RegistryOptions{Insecure: insecure}
	if h.clients.HTTP != nil {
		opts.Transport = h.clients.HTTP.Transport
	}
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport
	}
	// The ECR token goes only to ECR hosts, and to registries the configuration names as
	// standing in for ECR (tests): never to a registry an ImageUri merely mentions.
	if isECR || insecure {
		if h.ecrAuth == nil {
			fail(errors.New("no ECR client configured"))
			return
		}
		a, err := h.ecrAuth.Authenticator(ctx)
		if err != nil {
			fail(err)
			return
		}
		opts.Auth = a
	}
	f, err := image.NewRegistry(uri, opts)
	if err != nil {
		fail(err)
		return
	}
	res, err := image.Check(ctx, f, ifn)
	d.requests, d.bytes = f.Stats()
	if err != nil {
		fail(err)
		return
	}
	customRuntimeImage(&res, fn) // cmr.go
	d.res = &res
}

// imageGrant says what to do when an image could not be read.
func imageGrant(re *readError) string {
	repoARN := fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", orStar(re.region), orStar(re.account), re.repo)
	switch {
	case errors.Is(re.err, image.ErrMoved):
		return "retry the operation, and pin Code.ImageUri to a digest (REPO@sha256:…) so the image cannot change between the check and the deployment"
	case errors.Is(re.err, image.ErrNotFound):
		return fmt.Sprintf("check that the image was pushed to %s before the stack operation (cdk deploy pushes image assets first; a pipeline that pushes later cannot be checked)", re.source)
	case re.notECR:
		return "Lambda pulls images only from Amazon ECR: push the image to an ECR repository in the function's Region and set Code.ImageUri to it"
	}
	return fmt.Sprintf("grant the hook's execution role ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on %s and ecr:GetAuthorizationToken on * (the construct's imageRepositories lists the repositories it may read; a repository in another account must also allow the role in its repository policy)", repoARN)
}

func orStar(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

// whyImage turns an image read error into words, "" when it is not one of the known kinds.
func whyImage(err error) string {
	switch {
	case errors.Is(err, image.ErrMoved):
		return "the tag was pushed again while it was being checked"
	case errors.Is(err, image.ErrNotFound):
		return "image not found"
	case errors.Is(err, image.ErrAccessDenied):
		return "access denied"
	case errors.Is(err, image.ErrDigest):
		return "the registry returned content that does not match its digest"
	case errors.Is(err, image.ErrTooLarge):
		return "the manifest or config is larger than any real image's"
	}
	return ""
}
