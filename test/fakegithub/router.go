package fakegithub

import (
	"net/http"
	"net/url"
	"strings"
)

// handler serves one route. It runs with s.mu held.
type handler func(w http.ResponseWriter, r *http.Request, p params)

// params are a route's wildcard values, path-unescaped.
type params map[string]string

type route struct {
	method string
	segs   []string
	h      handler
}

// handle registers a route. pattern is a path relative to the API base whose
// "{name}" segments match any one segment. Routes are tried in registration
// order, so register a literal segment ("issues/comments/{id}") before a
// wildcard that would also match it ("issues/{n}/comments").
func (s *Server) handle(method, pattern string, h handler) {
	s.routes = append(s.routes, route{method: method, segs: splitPath(pattern), h: h})
}

// match finds the handler for method and escaped path. A path that matches a
// route under another method gets nil, like an unknown path: GitHub answers
// 404 for both.
func (s *Server) match(method, path string) (handler, params) {
	segs := splitPath(path)
	for _, rt := range s.routes {
		if rt.method != method {
			continue
		}
		if p, ok := matchSegs(rt.segs, segs); ok {
			return rt.h, p
		}
	}
	return nil, nil
}

// matchPath reports whether an escaped path matches a pattern, for faults
// and request counting.
func matchPath(pattern, path string) bool {
	_, ok := matchSegs(splitPath(pattern), splitPath(path))
	return ok
}

func matchSegs(pattern, segs []string) (params, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var p params
	for i, ps := range pattern {
		v, err := url.PathUnescape(segs[i])
		if err != nil {
			return nil, false
		}
		if name, ok := wildcard(ps); ok {
			if v == "" {
				return nil, false
			}
			if p == nil {
				p = params{}
			}
			if name != "" {
				p[name] = v
			}
			continue
		}
		if pv, err := url.PathUnescape(ps); err != nil || pv != v {
			return nil, false
		}
	}
	return p, true
}

// wildcard reports whether a pattern segment is "{name}" (or "*", unnamed).
func wildcard(seg string) (string, bool) {
	if seg == "*" {
		return "", true
	}
	if len(seg) >= 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
