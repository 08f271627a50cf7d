package cmr

import (
	"context"
	"errors"
	"sync"
	"time"
)

// DefaultTTL is how long a runtime alias read is reused. A publisher changes an alias's
// lifecycle rarely, and Lambda enforces its dates by the day, so five minutes per execution
// environment costs nothing in accuracy and saves a call per function in a stack.
const DefaultTTL = 5 * time.Minute

// failureTTL is how long a failed read is remembered, so a stack of many functions on one
// runtime the hook may not read waits for one failure, not one per function.
const failureTTL = 30 * time.Second

// Cache keeps runtime alias reads for a TTL (the hook keeps one per execution environment).
// Concurrent reads of the same alias share one call. It is safe for concurrent use.
type Cache struct {
	r   Reader
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[[2]string]*entry
	calls   int
}

type entry struct {
	done  chan struct{}
	alias *Alias
	err   error
	until time.Time
}

// NewCache wraps r; ttl <= 0 means DefaultTTL.
func NewCache(r Reader, ttl time.Duration) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Cache{r: r, ttl: ttl, now: time.Now, entries: map[[2]string]*entry{}}
}

// Calls is how many reads went to the underlying Reader.
func (c *Cache) Calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// GetRuntimeAlias returns the kept read of runtimeArn's alias, or reads it.
func (c *Cache) GetRuntimeAlias(ctx context.Context, runtimeArn, alias string) (*Alias, error) {
	key := [2]string{runtimeArn, alias}
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok {
		select {
		case <-e.done:
			if c.now().Before(e.until) {
				c.mu.Unlock()
				return e.alias, e.err
			}
			ok = false
		default: // a read in flight: wait for it below
		}
	}
	if !ok {
		e = &entry{done: make(chan struct{})}
		c.entries[key] = e
		c.calls++
		c.mu.Unlock()
		e.alias, e.err = c.r.GetRuntimeAlias(ctx, runtimeArn, alias)
		ttl := c.ttl
		switch {
		case e.err != nil && (errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)):
			ttl = 0 // this caller's deadline, not the runtime's answer: the next caller reads again
		case e.err != nil:
			ttl = min(ttl, failureTTL)
		}
		e.until = c.now().Add(ttl)
		close(e.done)
		return e.alias, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.alias, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
