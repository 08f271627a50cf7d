package guard

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bootstrap-guard/bootstrap-guard/internal/engine"
	"github.com/bootstrap-guard/bootstrap-guard/internal/hookapi"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes"
	"github.com/bootstrap-guard/bootstrap-guard/internal/runtimes/remote"
)

// CatalogueTimeout bounds one read of the catalogue from SSM or S3: a slow read falls back to
// the built-in catalogue rather than eating the decision's budget.
const CatalogueTimeout = 2 * time.Second

// CatalogueRetry is how soon a catalogue that could not be loaded is tried again (or the TTL,
// when shorter): a transient SSM or S3 error costs minutes of the built-in catalogue, not a TTL.
const CatalogueRetry = 30 * time.Second

// CatalogueAnnotation names the annotation that says which runtime catalogue a decision used.
// It is present only when a catalogue location is configured.
const CatalogueAnnotation = "runtime-catalogue"

// catalogueState is the catalogue one decision uses, with what to tell about it.
type catalogueState struct {
	engine   *engine.Engine
	cat      *runtimes.Catalogue
	loc      *remote.Location // configured location; nil when none
	err      error            // why the configured catalogue is not in use (built-in fallback)
	loadedAt time.Time
}

// catalogueCache keeps the loaded catalogue for the life of the execution environment: Lambda
// reuses an environment for many invocations, so one read serves them all until the TTL ends.
type catalogueCache struct {
	mu    sync.Mutex
	state catalogueState
	until time.Time
}

// catalogue returns the catalogue to decide with: the configured one while fresh, read again
// when its TTL has passed, or the built-in one (logged, and said in the answer) when the
// configured one cannot be read or is invalid.
func (h *Handler) catalogue(ctx context.Context) catalogueState {
	if h.cfg.Runtimes == nil {
		return catalogueState{engine: h.engine, cat: h.builtin}
	}
	c := &h.cats
	c.mu.Lock()
	defer c.mu.Unlock()
	now := h.now()
	if c.state.engine != nil && now.Before(c.until) {
		return c.state
	}
	ttl := h.cfg.RuntimesTTL
	if ttl <= 0 {
		ttl = DefaultRuntimesTTL
	}
	loc := *h.cfg.Runtimes
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), CatalogueTimeout)
	defer cancel()
	cat, err := remote.Fetch(fctx, remote.Clients{SSM: h.clients.SSM, S3: h.clients.S3}, loc)
	if err != nil {
		h.log.WarnContext(ctx, "runtime catalogue unusable; using the built-in one",
			"location", loc.String(), "error", redact(err.Error()), "builtinRetrieved", h.builtin.Retrieved,
			"retryIn", min(ttl, CatalogueRetry).String())
		c.state = catalogueState{engine: h.engine, cat: h.builtin, loc: &loc, err: err, loadedAt: now}
		c.until = now.Add(min(ttl, CatalogueRetry))
		return c.state
	}
	h.log.InfoContext(ctx, "runtime catalogue loaded", "location", loc.String(), "origin", cat.Origin,
		"source", cat.Source, "retrieved", cat.Retrieved, "runtimes", len(cat.Runtimes), "ttl", ttl.String())
	c.state = catalogueState{engine: h.engine.WithCatalogue(cat), cat: cat, loc: &loc, loadedAt: now}
	c.until = now.Add(ttl)
	return c.state
}

// annotate adds the catalogue annotation (and, on fallback, a sentence in the message) to an
// answer rendered from a result.
func (s catalogueState) annotate(resp *hookapi.Response) {
	if s.loc == nil {
		return
	}
	a := hookapi.Annotation{AnnotationName: CatalogueAnnotation, RemediationLink: "https://github.com/bootstrap-guard/bootstrap-guard/blob/main/docs/runtimes.md#runtime-catalogue"}
	if s.err == nil {
		a.Status, a.SeverityLevel = hookapi.AnnotationPassed, hookapi.SeverityInformational
		a.StatusMessage = truncate(fmt.Sprintf("Runtime catalogue from %s: %s, retrieved %s.", s.cat.Origin, s.cat.Source, s.cat.Retrieved), maxAnnotationText)
	} else {
		a.Status, a.SeverityLevel = hookapi.AnnotationFailed, hookapi.SeverityMedium
		a.StatusMessage = truncate(fmt.Sprintf("The runtime catalogue at %s could not be used (%s); the built-in catalogue, retrieved %s, was used instead.", s.loc, redact(s.err.Error()), s.cat.Retrieved), maxAnnotationText)
		a.RemediationMessage = truncate(fmt.Sprintf("Check that %s exists and holds a valid catalogue (bootstrap-guard runtimes --check FILE), and that the hook's role may read it (ssm:GetParameter on the parameter, or s3:GetObject on the object).", s.loc), maxAnnotationText)
		resp.Message = truncate(resp.Message+fmt.Sprintf(" Note: the runtime catalogue at %s could not be used; the built-in one (retrieved %s) was.", s.loc, s.cat.Retrieved), hookapi.MaxMessage)
	}
	resp.Annotations = append(resp.Annotations, a)
}

// describe names the catalogue in use for the decision log.
func (s catalogueState) describe() string {
	if s.cat == nil {
		return ""
	}
	d := s.cat.Origin + ", retrieved " + s.cat.Retrieved
	if s.err != nil {
		d += " (fallback: " + s.loc.String() + " unusable)"
	}
	return d
}
