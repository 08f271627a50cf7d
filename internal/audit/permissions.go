package audit

// Permission is an IAM action an audit needs in each audited account, and why.
type Permission struct {
	Action, Why string
}

// Permissions are the IAM actions the audit's calls need in an audited account: the Lambda calls
// of this package and of the hook's evaluator (layers, images). deploy/audit-role.yaml grants
// exactly these (permissions_test.go compares them).
var Permissions = []Permission{
	{"lambda:ListFunctions", "ListFunctions: every function of a Region"},
	{"lambda:GetFunction", "GetFunction: configuration and the presigned code location"},
	{"lambda:ListTags", "GetFunction returns tags, the exemption tag among them, only with it"},
	{"lambda:GetLayerVersion", "GetLayerVersionByArn: a layer's presigned content location"},
	// Inferred action name, as for the hook's role (cdk/bootstrapguard/cmr.go).
	{"lambda:GetRuntimeAlias", "customer-managed runtimes (Runtime: custom): the alias's release lifecycle"},
	{"ecr:GetAuthorizationToken", "image functions: the registry token"},
	{"ecr:BatchGetImage", "image functions: the manifest"},
	{"ecr:GetDownloadUrlForLayer", "image functions: the config blob"},
}
