// Package report renders check results for people and tools: text, JSON and SARIF 2.1.0. Every
// format reads the same []result.Result; none decides anything.
package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// Outputter writes results in one format.
type Outputter interface {
	Output(w io.Writer, results []result.Result) error
}

// Formats lists the names New accepts.
var Formats = []string{"text", "json", "sarif"}

// Options tune the outputters.
type Options struct {
	Color   bool   // ANSI colour in text output
	Version string // tool version, for SARIF
}

// New returns the outputter for a format name.
func New(format string, opts Options) (Outputter, error) {
	switch format {
	case "text":
		return Text{Color: opts.Color}, nil
	case "json":
		return JSON{}, nil
	case "sarif":
		return SARIF{Version: opts.Version}, nil
	}
	return nil, fmt.Errorf("unknown format %q (want text, json or sarif)", format)
}

// JSON writes {"results":[...]} with the fields of result.Result.
type JSON struct{}

// Output implements Outputter.
func (JSON) Output(w io.Writer, results []result.Result) error {
	if results == nil {
		results = []result.Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Results []result.Result `json:"results"`
	}{results}); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
