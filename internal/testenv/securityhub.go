package testenv

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
)

// SecurityHub serves BatchImportFindings (POST /findings/import) and GetFindings (POST /findings)
// over Security Hub's restJson1 wire protocol (Security Hub API reference), keeping findings by Id
// as Security Hub does: importing an Id again replaces the finding. GetFindings honours EQUALS
// string filters on GeneratorId, AwsAccountId, Region and RecordState, two findings a page.
// Security Hub has no local server; the real SDK client talks to this one.
type SecurityHub struct {
	URL      string
	mu       sync.Mutex
	findings map[string]map[string]any
	imports  int
}

// StartSecurityHub starts the server; it stops with the test.
func StartSecurityHub(t testing.TB) *SecurityHub {
	t.Helper()
	s := &SecurityHub{findings: map[string]map[string]any{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Findings returns every finding held, by Id.
func (s *SecurityHub) Findings() map[string]map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]map[string]any, len(s.findings))
	for k, v := range s.findings {
		out[k] = v
	}
	return out
}

// Imports counts BatchImportFindings requests.
func (s *SecurityHub) Imports() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.imports
}

func (s *SecurityHub) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost {
		w.Header().Set("X-Amzn-ErrorType", "InvalidInputException")
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	switch r.URL.Path {
	case "/findings/import":
		var in struct{ Findings []map[string]any }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || len(in.Findings) == 0 || len(in.Findings) > 100 {
			w.Header().Set("X-Amzn-ErrorType", "InvalidInputException")
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"Message": "Findings: 1 to 100 findings"})
			return
		}
		var failed []map[string]string
		s.mu.Lock()
		s.imports++
		for _, f := range in.Findings {
			id, _ := f["Id"].(string)
			// The required ASFF attributes (Security Hub User Guide, "Required top-level attributes in ASFF").
			missing := ""
			for _, k := range []string{"AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "Resources", "SchemaVersion", "Severity", "Title", "Types", "UpdatedAt"} {
				if _, ok := f[k]; !ok {
					missing = k
				}
			}
			if missing != "" {
				failed = append(failed, map[string]string{"Id": id, "ErrorCode": "InvalidInput", "ErrorMessage": "missing " + missing})
				continue
			}
			s.findings[id] = f
		}
		s.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"FailedCount": len(failed), "SuccessCount": len(in.Findings) - len(failed), "FailedFindings": failed})
	case "/findings":
		var in struct {
			Filters   map[string][]struct{ Value, Comparison string }
			NextToken string
		}
		json.NewDecoder(r.Body).Decode(&in)
		s.mu.Lock()
		var ids []string
		for id, f := range s.findings {
			match := true
			for key, filters := range in.Filters {
				for _, flt := range filters {
					if v, _ := f[key].(string); flt.Comparison != "EQUALS" || v != flt.Value {
						match = false
					}
				}
			}
			if match {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		start, _ := strconv.Atoi(in.NextToken)
		page := []map[string]any{}
		for i := start; i < len(ids) && i < start+2; i++ {
			page = append(page, s.findings[ids[i]])
		}
		s.mu.Unlock()
		out := map[string]any{"Findings": page}
		if start+2 < len(ids) {
			out["NextToken"] = strconv.Itoa(start + 2)
		}
		json.NewEncoder(w).Encode(out)
	default:
		w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
	}
}
