package project

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The Serverless Framework v3 (serverless/serverless, tag v3.40.0) writes `serverless package`'s
// output into the service's .serverless folder:
//   - cloudformation-template-update-stack.json, the template deployed
//     (lib/plugins/aws/package/lib/generate-core-template.js, lib/plugins/aws/package/index.js);
//   - serverless-state.json, the service with every function's package settings
//     (lib/plugins/aws/package/lib/save-service-state.js: {service, package: {individually,
//     artifactDirectoryName, artifact}}, where service omits the service-level package and
//     package.artifact is only the base name of the service artifact);
//   - <function>.zip for each function packaged individually and <service>.zip for the rest
//     (lib/plugins/package/lib/package-service.js packageFunction/packageAll,
//     lib/plugins/aws/lib/naming.js getFunctionArtifactName/getServiceArtifactName).
const (
	ServerlessDir      = ".serverless"
	ServerlessTemplate = "cloudformation-template-update-stack.json"
	ServerlessState    = "serverless-state.json"
)

// ServerlessConfigs are the names the Serverless Framework looks for a service's configuration
// under, in its order (lib/cli/resolve-configuration-path.js: supportedExtensions).
var ServerlessConfigs = []string{"serverless.yml", "serverless.yaml", "serverless.json", "serverless.js", "serverless.mjs", "serverless.cjs", "serverless.ts"}

// ErrServerless is matched by errors about a Serverless Framework package folder.
var ErrServerless = errors.New("project: unusable serverless package")

// maxState bounds serverless-state.json and serverless.yml reads; both are a few tens of KB.
const maxState = 16 << 20

// Artifact is the code package one function of a Serverless service deploys.
type Artifact struct {
	// Function is the function's name in serverless.yml (the key under functions).
	Function string
	// LogicalID is the function's resource in the generated template.
	LogicalID string
	// Path is the zip that will be uploaded: a local file, or an s3://bucket/key artifact.
	Path string
	// Why says how Path was decided, in words (package.artifact, package.individually...).
	Why string
	// Config is where the function is declared in the service's configuration (line 0: unknown).
	Config     string
	ConfigLine int
	// Image is set for a function deployed as a container image: it has no zip.
	Image bool
	// Problem, when set, says why Path cannot be trusted: the generated template's S3Key names
	// another file, or the function is missing from the template.
	Problem string
}

// Serverless is what `serverless package` wrote.
type Serverless struct {
	// Dir is the package folder (.serverless), ServiceDir the service's folder (paths in the
	// configuration are relative to it); both absolute.
	Dir, ServiceDir string
	Service         string
	// Template is the template `serverless deploy` will deploy.
	Template string
	// Artifacts maps a function's logical ID to its package.
	Artifacts map[string]Artifact
}

type slsState struct {
	Service struct {
		Service   json.RawMessage `json:"service"`
		Artifact  string          `json:"artifact"`
		Functions map[string]struct {
			Image   json.RawMessage `json:"image"`
			Handler string          `json:"handler"`
			Package struct {
				Artifact     string `json:"artifact"`
				Individually bool   `json:"individually"`
				Disable      bool   `json:"disable"`
			} `json:"package"`
		} `json:"functions"`
	} `json:"service"`
	Package struct {
		Individually bool   `json:"individually"`
		Artifact     string `json:"artifact"`
	} `json:"package"`
}

// IsServerlessPackage reports whether dir holds `serverless package` output.
func IsServerlessPackage(dir string) bool {
	return exists(filepath.Join(dir, ServerlessTemplate)) && exists(filepath.Join(dir, ServerlessState))
}

// ServerlessConfig returns the service configuration file in dir, or "".
func ServerlessConfig(dir string) string {
	for _, n := range ServerlessConfigs {
		if p := filepath.Join(dir, n); exists(p) {
			return p
		}
	}
	return ""
}

// LogicalID is the template resource of a Serverless function: the name with "-" spelt Dash and
// "_" Underscore, its first letter upper-cased, then "LambdaFunction"
// (lib/plugins/aws/lib/naming.js: getLambdaLogicalId, getNormalizedResourceName, normalizeName).
func LogicalID(function string) string {
	n := strings.ReplaceAll(strings.ReplaceAll(function, "-", "Dash"), "_", "Underscore")
	if n != "" {
		// lodash upperFirst upper-cases the first UTF-16 unit; names are ASCII in practice.
		n = strings.ToUpper(n[:1]) + n[1:]
	}
	return n + "LambdaFunction"
}

// ReadServerless reads a .serverless folder and maps every function to the zip it deploys.
func ReadServerless(dir string) (*Serverless, error) {
	statePath := filepath.Join(dir, ServerlessState)
	b, err := readFile(statePath)
	if err != nil {
		return nil, err
	}
	tmpl, err := readFile(filepath.Join(dir, ServerlessTemplate))
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrServerless, dir, err)
	}
	cfg := slsConfig{lines: map[string]int{}}
	if p := ServerlessConfig(filepath.Dir(abs)); p != "" {
		cfg.file = p
		switch filepath.Ext(p) {
		case ".yml", ".yaml", ".json": // JavaScript and TypeScript configurations are not read
			if c, err := readFile(p); err == nil {
				cfg.parse(c)
			}
		}
	}
	return parseServerless(abs, b, tmpl, cfg)
}

// parseServerless maps the functions of a state file (read from dir, absolute) to their zips.
func parseServerless(dir string, b, tmpl []byte, cfg slsConfig) (*Serverless, error) {
	statePath := filepath.Join(dir, ServerlessState)
	var st slsState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrServerless, statePath, err)
	}
	s := &Serverless{Dir: dir, ServiceDir: filepath.Dir(dir), Template: filepath.Join(dir, ServerlessTemplate),
		Artifacts: map[string]Artifact{}}
	s.Service = serviceName(st.Service.Service)
	if s.Service == "" {
		return nil, fmt.Errorf("%w: %s names no service", ErrServerless, statePath)
	}
	names := make([]string, 0, len(st.Service.Functions))
	for n := range st.Service.Functions {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		fn := st.Service.Functions[name]
		a := Artifact{Function: name, LogicalID: LogicalID(name), Config: cfg.file, ConfigLine: cfg.lines[name]}
		if len(fn.Image) > 0 && string(fn.Image) != "null" {
			a.Image = true
			s.Artifacts[a.LogicalID] = a
			continue
		}
		a.Path, a.Why = s.artifactOf(name, fn.Package.Artifact, fn.Package.Individually, st, cfg)
		s.Artifacts[a.LogicalID] = a
	}
	if err := s.crossCheck(tmpl); err != nil {
		return nil, err
	}
	return s, nil
}

// crossCheck compares each artifact with the generated template: the function's Code.S3Key is
// artifactDirectoryName + "/" + the artifact's base name (compile/functions.js), so a different
// base name means the mapping is not the one serverless deploy will upload.
func (s *Serverless) crossCheck(b []byte) error {
	var t struct {
		Resources map[string]struct {
			Type       string `json:"Type"`
			Properties struct {
				Code struct {
					S3Key json.RawMessage `json:"S3Key"`
				} `json:"Code"`
			} `json:"Properties"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrServerless, s.Template, err)
	}
	for id, a := range s.Artifacts {
		r, ok := t.Resources[id]
		switch {
		case a.Image:
			continue
		case !ok || r.Type != "AWS::Lambda::Function":
			a.Problem = fmt.Sprintf("function %s is not in %s as %s", a.Function, s.Template, id)
		default:
			var key string
			if json.Unmarshal(r.Properties.Code.S3Key, &key) == nil && a.Path != "" && pathBase(key) != pathBase(a.Path) {
				a.Problem = fmt.Sprintf("the template uploads %s, not %s", pathBase(key), pathBase(a.Path))
			}
		}
		s.Artifacts[id] = a
	}
	return nil
}

// pathBase is the last element of a slash- or OS-separated path or S3 key.
func pathBase(p string) string {
	if i := strings.LastIndexAny(p, "/"+string(filepath.Separator)); i >= 0 {
		return p[i+1:]
	}
	return p
}

// artifactOf decides the zip a function deploys as `serverless deploy` does
// (lib/plugins/aws/deploy/lib/upload-artifacts.js getFunctionArtifactFilePaths, after
// lib/plugins/aws/deploy/lib/extended-validate.js has restored the state): the function's
// package.artifact, else the service's package.artifact, unless neither is set (or the service
// artifact is the one serverless made and the function has none): then <function>.zip when
// packaged individually (the service's or the function's package.individually), else
// <service>.zip, in the package folder.
func (s *Serverless) artifactOf(name, fnArtifact string, fnIndividually bool, st slsState, cfg slsConfig) (string, string) {
	serviceArtifact := ""
	switch {
	case st.Package.Artifact != "" && st.Service.Artifact != "":
		// Made by serverless (packageAll): extended-validate.js restores it from the package folder.
		serviceArtifact = filepath.Join(s.Dir, st.Package.Artifact)
	case cfg.artifact != "":
		serviceArtifact = cfg.artifact
	case st.Package.Artifact != "":
		// The state keeps only the base name of a service artifact the configuration names;
		// the configuration could not be read for the rest (a JavaScript serverless.js).
		if fnArtifact == "" {
			return "", "package.artifact " + st.Package.Artifact + " is set in a configuration that could not be read"
		}
	}
	artifact, why := fnArtifact, "functions."+name+".package.artifact"
	if artifact == "" {
		artifact, why = serviceArtifact, "package.artifact"
	}
	if artifact == "" || st.Service.Artifact != "" && fnArtifact == "" {
		if st.Package.Individually || fnIndividually {
			return filepath.Join(s.Dir, name+".zip"), "packaged individually by serverless package"
		}
		return filepath.Join(s.Dir, s.Service+".zip"), "the service package made by serverless package"
	}
	if strings.HasPrefix(artifact, "s3://") {
		// lib/plugins/aws/package/compile/functions.js downloadPackageArtifact fetches it.
		return artifact, why
	}
	if !filepath.IsAbs(artifact) {
		// package-service.js resolves artifact paths against the service directory.
		return filepath.Join(s.ServiceDir, artifact), why
	}
	if !exists(artifact) {
		// An absolute path recorded on another machine (the folder was built in CI and
		// copied): the template's S3Key names only the base name
		// (compile/functions.js: artifactDirectoryName + "/" + basename), and serverless
		// package wrote it into the package folder.
		if moved := filepath.Join(s.Dir, filepath.Base(artifact)); exists(moved) {
			return moved, why + " (" + artifact + ", found in " + s.Dir + ")"
		}
	}
	return artifact, why
}

// serviceName reads service: a name, or (older configurations) {name: ...}.
func serviceName(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Name
	}
	return ""
}

// slsConfig is what is read from serverless.yml: where each function is declared, and the
// service-level package.artifact, which serverless-state.json leaves out.
type slsConfig struct {
	file     string
	lines    map[string]int
	artifact string
}

// parse reads serverless.yml (or .yaml; the JSON form is read by the same parser). Problems
// leave the fields empty: the state file is what decides.
func (cfg *slsConfig) parse(b []byte) {
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return
	}
	root := doc.Content[0]
	if fns := mapValue(root, "functions"); fns != nil && fns.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(fns.Content); i += 2 {
			cfg.lines[fns.Content[i].Value] = fns.Content[i].Line
		}
	}
	if a := mapValue(mapValue(root, "package"), "artifact"); a != nil && a.Kind == yaml.ScalarNode && !strings.Contains(a.Value, "${") {
		cfg.artifact = a.Value
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func readFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxState+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if len(b) > maxState {
		return nil, fmt.Errorf("read %s: larger than %d bytes", p, maxState)
	}
	return b, nil
}
