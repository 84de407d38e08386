package install

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// An index of exactly maxIndex bytes is read; one byte more is refused as
// too large before it is decoded.
func TestGetJSONReadsAtMostMaxIndex(t *testing.T) {
	var size int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// A valid document at any size: {} and spaces.
		_, _ = w.Write([]byte("{}" + strings.Repeat(" ", size-2)))
	}))
	t.Cleanup(srv.Close)
	r := Releases{HTTPClient: srv.Client()}

	size = maxIndex
	var v map[string]any
	if err := r.getJSON(context.Background(), srv.URL, &v); err != nil {
		t.Fatalf("an index of exactly %d bytes: %v", maxIndex, err)
	}
	size = maxIndex + 1
	err := r.getJSON(context.Background(), srv.URL, &v)
	if err == nil || err.Error() != "the index is larger than 64 MiB" {
		t.Fatalf("an index of %d bytes: got %v, want it refused as larger than 64 MiB", size, err)
	}
}

// The client given is the one used; without one, a client of lockstep's
// own, not http.DefaultClient.
func TestHTTPClientIsTheOneGiven(t *testing.T) {
	given := &http.Client{}
	if got := (Releases{HTTPClient: given}).httpClient(); got != given {
		t.Fatalf("httpClient() = %p, want the given client %p", got, given)
	}
	if got := (Releases{}).httpClient(); got == nil || got == http.DefaultClient {
		t.Fatalf("httpClient() without one = %v, want a client of its own", got)
	}
}
