package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// SARIF writes a SARIF 2.1.0 log for code-scanning upload: one run, every rule in the driver, one
// result per finding located at the input file.
type SARIF struct{ Version string }

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	informURI    = "https://github.com/bootstrap-guard/bootstrap-guard"
	sarifVersion = "2.1.0"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	HelpURI              string         `json:"helpUri"`
	DefaultConfiguration map[string]any `json:"defaultConfiguration"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      sarifText          `json:"message"`
	Locations    []sarifLocation    `json:"locations"`
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
	// Properties is the result's property bag (SARIF 2.1.0 §3.8, §3.27.31): whether the
	// function's package was inspected, and if not why (a read error in words).
	Properties *sarifProperties `json:"properties,omitempty"`
}

type sarifProperties struct {
	PackageInspected bool   `json:"packageInspected"`
	PackageSource    string `json:"packageSource,omitempty"`
	PackageReason    string `json:"packageReason,omitempty"`
	PackageDetail    string `json:"packageDetail,omitempty"`
}

// sarifSuppression is SARIF 2.1.0's suppression object (§3.35; result.suppressions is §3.27.23,
// https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/sarif-v2.1.0-os.html): kind is required,
// "inSource" because the exemption is a tag written on the resource in the template itself;
// status "accepted" because the tag is the decision, not a request for review; the justification
// is the tag's reason. Code scanning shows such results as dismissed rather than open.
type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region *sarifRegion `json:"region,omitempty"`
	} `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

// sarifRegion is where in the artifact a result is: for a template, the function's logical ID
// (SARIF 2.1.0 §3.30; lines and columns are 1-based).
type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

func level(s result.Severity) string {
	switch s {
	case result.Error:
		return "error"
	case result.Warning:
		return "warning"
	}
	return "note"
}

// ruleName turns bootstrap-not-linux into BootstrapNotLinux, SARIF's convention for names.
func ruleName(id result.RuleID) string {
	parts := strings.Split(string(id), "-")
	for i, p := range parts {
		if p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// Output implements Outputter.
func (s SARIF) Output(w io.Writer, results []result.Result) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "bootstrap-guard", Version: s.Version, InformationURI: informURI}}, Results: []sarifResult{}}
	index := map[result.RuleID]int{}
	for i, r := range result.Rules {
		index[r.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: string(r.ID), Name: ruleName(r.ID),
			ShortDescription:     sarifText{r.Title},
			FullDescription:      sarifText{r.Title + ". Without this check Lambda reports: " + r.LambdaError},
			Help:                 sarifText{"Lambda error prevented: " + r.LambdaError + ". See " + r.Help},
			HelpURI:              r.Help,
			DefaultConfiguration: map[string]any{"level": level(r.Severity)},
		})
	}
	for _, r := range results {
		uri := r.Source
		if uri == "" {
			uri = r.Target
		}
		var region *sarifRegion
		if r.Location != nil {
			uri = r.Location.File
			if r.Location.Line > 0 {
				region = &sarifRegion{StartLine: r.Location.Line, StartColumn: r.Location.Column}
			}
		}
		// What the user edits beats the generated template (git-ignored, so code scanning cannot
		// show it): the function in serverless.yml, the folder a CDK asset was staged from.
		var asset string
		if o := r.Origin; o != nil {
			switch {
			case o.AssetSource != "":
				asset, region = o.AssetSource, nil
			case o.Config != nil && o.Config.File != "":
				uri, region = o.Config.File, nil
				if o.Config.Line > 0 {
					region = &sarifRegion{StartLine: o.Config.Line}
				}
			}
		}
		uri = filepath.ToSlash(uri)
		var props *sarifProperties
		if p := r.Package; p != nil {
			props = &sarifProperties{PackageInspected: p.Inspected, PackageSource: p.Source, PackageReason: string(p.Reason), PackageDetail: p.Detail}
		}
		for _, f := range r.Findings {
			msg := r.Target + ": " + f.Message
			if r.Image != "" {
				msg = r.Target + " (" + r.Image + "): " + f.Message // the digest the finding is about
			}
			if f.Remediation != "" {
				msg += " Fix: " + f.Remediation
			}
			loc := sarifLocation{}
			loc.PhysicalLocation.ArtifactLocation.URI = uri
			if asset != "" {
				// The staged asset is a copy of its source: a path inside the package is the
				// same path inside the source folder.
				loc.PhysicalLocation.ArtifactLocation.URI = filepath.ToSlash(filepath.Join(asset, f.Path))
			}
			loc.PhysicalLocation.Region = region
			name := r.Target
			if f.Path != "" {
				name += "!/" + f.Path
			}
			loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: name, Kind: "module"}}
			if o := r.Origin; o != nil && o.ConstructPath != "" {
				loc.LogicalLocations = append(loc.LogicalLocations, sarifLogical{FullyQualifiedName: o.ConstructPath, Kind: "resource"})
			}
			if o := r.Origin; o != nil && o.Function != "" {
				loc.LogicalLocations = append(loc.LogicalLocations, sarifLogical{FullyQualifiedName: "functions." + o.Function, Kind: "function"})
			}
			sr := sarifResult{
				RuleID: string(f.Rule), RuleIndex: index[f.Rule], Level: level(f.Severity),
				Message: sarifText{msg}, Locations: []sarifLocation{loc}, Properties: props,
			}
			if f.Exempted != nil {
				sr.Suppressions = []sarifSuppression{{Kind: "inSource", Status: "accepted",
					Justification: f.Exempted.Reason + " (tag " + f.Exempted.Tag + ")"}}
			}
			run.Results = append(run.Results, sr)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	return nil
}
