//go:build bootstrapguard_testurls

package guard

// Built only into the hook binaries of the RIE tests (hook/main_test.go builds with the
// bootstrapguard_testurls tag): there MinIO on 127.0.0.1 serves the presigned payload and layer
// URLs over plain HTTP. Release builds (make hook, the CDK asset) never carry the tag, so their
// URL policy stays HTTPS on AWS S3 hosts only, with no setting that could open it.
func init() { testLoopbackURLs = true }
