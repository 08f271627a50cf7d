package guard

import (
	"errors"
	"fmt"

	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/source"
)

// imageGrant says what to do when an image could not be read.
func imageGrant(re *source.Error) string {
	repoARN := fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", orStar(re.Region), orStar(re.Account), re.Repo)
	switch {
	case errors.Is(re.Err, image.ErrMoved):
		return "retry the operation, and pin Code.ImageUri to a digest (REPO@sha256:…) so the image cannot change between the check and the deployment"
	case errors.Is(re.Err, image.ErrNotFound):
		return fmt.Sprintf("check that the image was pushed to %s before the stack operation (cdk deploy pushes image assets first; a pipeline that pushes later cannot be checked)", re.Source)
	case re.NotECR:
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
