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
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
	} `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
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
		uri = filepath.ToSlash(uri)
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
			name := r.Target
			if f.Path != "" {
				name += "!/" + f.Path
			}
			loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: name, Kind: "module"}}
			run.Results = append(run.Results, sarifResult{
				RuleID: string(f.Rule), RuleIndex: index[f.Rule], Level: level(f.Severity),
				Message: sarifText{msg}, Locations: []sarifLocation{loc},
			})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	return nil
}
