package fakegithub

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Documentation URLs as GitHub puts them in error bodies. go-github tells a
// secondary rate limit apart by the suffix of documentation_url.
const (
	docsREST               = "https://docs.github.com/rest"
	docsPrimaryRateLimit   = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit"
	docsSecondaryRateLimit = "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)

// MaxCommentLength is GitHub's limit on a comment body, in characters.
const MaxCommentLength = 65536

const (
	defaultPerPage = 30
	maxPerPage     = 100
)

// timeFormat is how GitHub renders timestamps.
const timeFormat = "2006-01-02T15:04:05Z"

func ts(t time.Time) string { return t.UTC().Format(timeFormat) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"message":%q}`, err.Error()))
	}
	_, _ = w.Write(b)
}

// writeError answers with GitHub's error shape.
func writeError(w http.ResponseWriter, status int, message, doc string) {
	writeJSON(w, status, map[string]any{"message": message, "documentation_url": doc})
}

// fieldError is one entry of a 422's "errors" array.
type fieldError struct {
	Resource string `json:"resource"`
	Code     string `json:"code"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message,omitempty"`
}

// writeValidation answers 422 "Validation Failed" with field errors.
func writeValidation(w http.ResponseWriter, doc string, errs ...fieldError) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message":           "Validation Failed",
		"errors":            errs,
		"documentation_url": doc,
	})
}

func writeNotFound(w http.ResponseWriter, doc string) {
	writeError(w, http.StatusNotFound, "Not Found", doc)
}

func writePrimaryRateLimit(w http.ResponseWriter, limit int, reset time.Time) {
	setRateHeaders(w.Header(), limit, 0, reset)
	writeError(w, http.StatusForbidden,
		"API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID 0000:FAKE.",
		docsPrimaryRateLimit)
}

// decodeBody decodes a JSON request body, answering 400 "Problems parsing
// JSON" like GitHub when it is not valid. It reports whether to go on.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 {
		return true
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON", docsREST)
		return false
	}
	return true
}

// pageParams reads per_page (default 30, at most 100) and page (from 1).
func pageParams(r *http.Request) (page, perPage int) {
	q := r.URL.Query()
	perPage = defaultPerPage
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		perPage = min(v, maxPerPage)
	}
	page = 1
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	return page, perPage
}

// paginate returns the requested page of items and sets the Link header
// (first, prev, next, last) the way GitHub does.
func paginate[T any](w http.ResponseWriter, r *http.Request, items []T) []T {
	page, perPage := pageParams(r)
	last := max(1, (len(items)+perPage-1)/perPage)

	var links []string
	link := func(p int, rel string) {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath}
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		u.RawQuery = q.Encode()
		links = append(links, fmt.Sprintf("<%s>; rel=%q", u.String(), rel))
	}
	if page > 1 {
		link(min(page-1, last), "prev")
	}
	if page < last {
		link(page+1, "next")
		link(last, "last")
	}
	if page > 1 {
		link(1, "first")
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}

	start := (page - 1) * perPage
	if start >= len(items) {
		return []T{}
	}
	return items[start:min(start+perPage, len(items))]
}

// intParam parses a numeric path parameter; ok is false when it is not a
// positive number, which callers answer with 404 as GitHub does.
func intParam(p params, name string) (int64, bool) {
	v, err := strconv.ParseInt(p[name], 10, 64)
	return v, err == nil && v > 0
}
