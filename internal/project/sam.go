package project

import (
	"path/filepath"
	"strings"
)

// SAM CLI's build layout (aws/aws-sam-cli): `sam build` writes into .aws-sam/build
// (samcli/commands/_utils/constants.py DEFAULT_BUILD_DIR, DEFAULT_BUILT_TEMPLATE_PATH), the
// template of each stack as <build dir>/<stack path>/template.yaml
// (samcli/lib/providers/provider.py Stack.get_output_template_path), each function's package as
// the folder <build dir>/<stack path>/<function logical ID> (provider.py _get_build_dir), the
// build graph as .aws-sam/build.toml (samcli/lib/build/build_graph.py), and rewrites CodeUri to
// that folder relative to the written template (samcli/lib/build/app_builder.py update_template,
// samcli/commands/_utils/template.py move_template).
var (
	SAMBuildDir      = filepath.Join(".aws-sam", "build")
	SAMBuiltTemplate = filepath.Join(".aws-sam", "build", "template.yaml")
	// SAMTemplates are the names sam looks for a project's template under, in its order
	// (samcli/commands/_utils/options.py get_or_default_template_file_name).
	SAMTemplates = []string{"template.yaml", "template.yml", "template.json"}
)

// IsSAMBuildTemplate reports whether a template is `sam build` output: it is template.yaml in a
// build folder, which sam marks with build.toml in the folder's parent (build_graph.py).
func IsSAMBuildTemplate(path string) bool {
	if filepath.Base(path) != "template.yaml" {
		return false
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	// <build dir>/template.yaml, or <build dir>/<nested stack path>/template.yaml.
	for d := filepath.Dir(abs); d != filepath.Dir(d); d = filepath.Dir(d) {
		if exists(filepath.Join(filepath.Dir(d), "build.toml")) || filepath.Base(d) == "build" && filepath.Base(filepath.Dir(d)) == ".aws-sam" {
			return true
		}
		if exists(filepath.Join(d, "samconfig.toml")) || exists(filepath.Join(d, ".git")) {
			return false
		}
	}
	return false
}

// isSAM reports whether a template uses the SAM transform.
func isSAM(path string) bool {
	b, err := readFile(path)
	return err == nil && strings.Contains(string(b), "AWS::Serverless")
}
