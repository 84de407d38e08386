package cli

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// redactingTransport replaces every registered secret in the bodies of the
// requests lockstep sends to GitHub (comments, deployment payloads and
// descriptions, dispatch inputs): the renderers already leave secrets out,
// and this is the last line of defence behind them, as the masker is for
// the log.
type redactingTransport struct {
	next   http.RoundTripper
	redact func(string) string
}

func (t *redactingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return t.next.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the body of %s %s to redact it: %w", req.Method, req.URL.Path, err)
	}
	redacted := t.redact(string(body))
	req = req.Clone(req.Context())
	req.ContentLength = int64(len(redacted))
	req.Body = io.NopCloser(strings.NewReader(redacted))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader([]byte(redacted))), nil }
	return t.next.RoundTrip(req)
}

// redactingClient returns a copy of c whose requests are redacted.
func redactingClient(c *http.Client, redact func(string) string) *http.Client {
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	out := *c
	out.Transport = &redactingTransport{next: next, redact: redact}
	return &out
}
