package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lockstep-ci/lockstep/pkg/actions"
)

// Whatever a renderer let through, a request body sent to GitHub holds no
// registered secret, raw or JSON-escaped.
func TestRedactingClientRedactsRequestBodies(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, string(b))
		assert.Equal(t, int64(len(b)), r.ContentLength)
	}))
	defer srv.Close()
	m := actions.NewMasker()
	m.Add("hunter2-secret", "multi\nline-secret")
	c := redactingClient(srv.Client(), m.Redact)

	resp, err := c.Post(srv.URL, "application/json", strings.NewReader(`{"description":"failed: hunter2-secret","payload":"multi\nline-secret"}`))
	require.NoError(t, err)
	resp.Body.Close()
	resp, err = c.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()

	assert.Equal(t, []string{`{"description":"failed: ***","payload":"***"}`, ""}, got)
}
