package install

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/go-version"
)

// request is a version asked for: one exact version, or constraints that
// the newest matching release satisfies.
type request struct {
	raw         string              // as written, trimmed
	exact       *version.Version    // set when raw names one exact version
	constraints version.Constraints // set otherwise
}

var (
	exactRe   = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)
	partialRe = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+)?$`)
)

// requestHint says what a valid value looks like; every parse error ends
// with it.
const requestHint = `write an exact version such as 1.9.8 or a constraint such as "~> 1.9"`

// parseRequest reads a version or constraint as a user writes it in the
// terraform-version input, a version file or required_version. A bare
// "1.9" is refused: it is not clear whether 1.9.0 or any 1.9.x is meant.
func parseRequest(raw string) (request, error) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return request{}, fmt.Errorf("empty, not a version (%s)", requestHint)
	case exactRe.MatchString(raw):
		v, err := version.NewVersion(raw)
		if err != nil {
			return request{}, fmt.Errorf("%s is not a version (%s): %w", quote(raw), requestHint, err)
		}
		return request{raw: raw, exact: v}, nil
	case partialRe.MatchString(raw):
		return request{}, fmt.Errorf("%s is not an exact version: write major.minor.patch such as %s.0, or a constraint such as \"~> %s.0\"",
			quote(raw), strings.TrimPrefix(raw, "v"), strings.TrimPrefix(raw, "v"))
	}
	cs, err := version.NewConstraint(raw)
	if err != nil {
		return request{}, fmt.Errorf("%s is not a version or a version constraint (%s)", quote(raw), requestHint)
	}
	return request{raw: raw, constraints: cs}, nil
}

// parseRequiredVersion reads a required_version setting as the engine
// does: like parseRequest, except that a bare "1.9" means = 1.9.0 there.
func parseRequiredVersion(raw string) (request, error) {
	raw = strings.TrimSpace(raw)
	if partialRe.MatchString(raw) {
		cs, err := version.NewConstraint(raw)
		if err != nil {
			return request{}, fmt.Errorf("%s is not a version constraint (%s)", quote(raw), requestHint)
		}
		return request{raw: raw, constraints: cs}, nil
	}
	return parseRequest(raw)
}

// satisfiedBy reports whether v is a version the request accepts.
func (r request) satisfiedBy(v *version.Version) bool {
	if v == nil {
		return false
	}
	if r.exact != nil {
		return v.Equal(r.exact) && v.Prerelease() == r.exact.Prerelease()
	}
	return r.constraints.Check(v)
}

// and is the request that both r and o accept (several required_version
// settings all apply).
func (r request) and(o request) request {
	if r.raw == "" {
		return o
	}
	out := request{raw: r.raw + ", " + o.raw}
	for _, x := range []request{r, o} {
		if x.exact != nil {
			out.constraints = append(out.constraints, version.MustConstraints(version.NewConstraint("= "+x.exact.String()))...)
		} else {
			out.constraints = append(out.constraints, x.constraints...)
		}
	}
	return out
}

// quote quotes a value read from a file or input for an error message,
// cut short so a large or hostile file cannot flood the log.
func quote(s string) string {
	const max = 64
	if r := []rune(s); len(r) > max {
		return fmt.Sprintf("%q…", string(r[:max]))
	}
	return fmt.Sprintf("%q", s)
}
