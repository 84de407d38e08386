package release

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// ImageRef is a container image pinned by digest: Name@Digest.
type ImageRef struct {
	// Name is the registry and repository, e.g. ghcr.io/lockstep-ci/lockstep.
	Name string
	// Digest is "sha256:" and 64 lowercase hex digits.
	Digest string
}

// String is the reference as Docker writes it: Name@Digest.
func (r ImageRef) String() string { return r.Name + "@" + r.Digest }

// The grammar of github.com/distribution/reference, lower case only (a
// docker:// image in action.yml must be lower case): an optional registry host
// with an optional port, then path components separated by "/". Every
// character it allows is also safe unquoted in YAML, which matters because
// the name is written into action.yml.
var (
	nameRE   = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	tagRE    = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// ParseImageRef parses NAME@sha256:<64 hex>. It refuses a reference without
// a digest, with a tag (the digest alone says which image), or whose digest
// is not sha256 and 64 lowercase hex digits.
func ParseImageRef(ref string) (ImageRef, error) {
	name, digest, ok := strings.Cut(ref, "@")
	if !ok {
		return ImageRef{}, fmt.Errorf("image reference %q has no digest: pin it as <name>@sha256:<64 hex digits>", ref)
	}
	if name == "" {
		return ImageRef{}, fmt.Errorf("image reference %q has no name before the @", ref)
	}
	if !digestRE.MatchString(digest) {
		return ImageRef{}, fmt.Errorf("image reference %q: digest %q is not \"sha256:\" followed by 64 lowercase hex digits", ref, digest)
	}
	if !nameRE.MatchString(name) {
		if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') && nameRE.MatchString(name[:i]) && tagRE.MatchString(name[i+1:]) {
			return ImageRef{}, fmt.Errorf("image reference %q has a tag (%s) beside its digest: pass <name>@sha256:<digest> only", ref, name[i:])
		}
		return ImageRef{}, fmt.Errorf("image reference %q: %q is not a lower-case image name such as ghcr.io/owner/lockstep", ref, name)
	}
	return ImageRef{Name: name, Digest: digest}, nil
}

// PinImage returns action (the bytes of an action.yml) with the value of
// `runs.image` replaced by docker://<ref>, and every other byte unchanged:
// comments, inputs, line endings and the line's own trailing comment. It
// refuses an action.yml that is not a Docker action or whose image is not a
// one-line scalar. Pinning a file already pinned to ref returns it unchanged.
func PinImage(action []byte, ref ImageRef) ([]byte, error) {
	if _, err := ParseImageRef(ref.String()); err != nil {
		return nil, err
	}
	image, err := imageNode(action)
	if err != nil {
		return nil, err
	}
	start, end, err := valueSpan(action, image)
	if err != nil {
		return nil, err
	}
	want := "docker://" + ref.String()
	out := make([]byte, 0, len(action)-(end-start)+len(want))
	out = append(out, action[:start]...)
	out = append(out, want...)
	out = append(out, action[end:]...)

	// The rewrite is textual: read it back as the runner will.
	check, err := imageNode(out)
	if err != nil {
		return nil, fmt.Errorf("reading the rewritten action.yml back: %w", err)
	}
	if check.Value != want {
		return nil, fmt.Errorf("the rewritten action.yml says image %q, not %q", check.Value, want)
	}
	return out, nil
}

// imageNode parses action and returns its runs.image scalar, checking that
// it is a Docker action.
func imageNode(action []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(action, &doc); err != nil {
		return nil, fmt.Errorf("parsing action.yml: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("action.yml is not a YAML mapping")
	}
	runs := lookup(doc.Content[0], "runs")
	if runs == nil || runs.Kind != yaml.MappingNode {
		return nil, errors.New("action.yml has no runs: mapping")
	}
	if using := lookup(runs, "using"); using == nil || using.Kind != yaml.ScalarNode || using.Value != "docker" {
		return nil, errors.New("action.yml is not a Docker action (runs.using is not docker): there is no image to pin")
	}
	image := lookup(runs, "image")
	switch {
	case image == nil:
		return nil, errors.New("action.yml has no runs.image to pin")
	case image.Kind != yaml.ScalarNode:
		return nil, errors.New("action.yml's runs.image is not a plain value (an alias, list or mapping)")
	case image.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return nil, errors.New("action.yml's runs.image is a block scalar: write it on one line, image: Dockerfile")
	}
	return image, nil
}

// valueSpan returns the byte offsets of image's value as written in action:
// from its first character (a quote, for a quoted value) to its last.
func valueSpan(action []byte, image *yaml.Node) (int, int, error) {
	lineStart := 0
	for line := 1; line < image.Line; line++ {
		i := bytes.IndexByte(action[lineStart:], '\n')
		if i < 0 {
			return 0, 0, fmt.Errorf("runs.image is on line %d, past the end of action.yml", image.Line)
		}
		lineStart += i + 1
	}
	lineEnd := len(action)
	if i := bytes.IndexByte(action[lineStart:], '\n'); i >= 0 {
		lineEnd = lineStart + i
	}
	line := action[lineStart:lineEnd]
	// yaml.v3 counts columns in characters, from 1.
	start := 0
	for col := 1; col < image.Column; col++ {
		if start >= len(line) {
			return 0, 0, fmt.Errorf("runs.image's column %d is past the end of line %d", image.Column, image.Line)
		}
		_, size := utf8.DecodeRune(line[start:])
		start += size
	}
	var raw string
	switch image.Style {
	case 0:
		raw = image.Value
	case yaml.SingleQuotedStyle:
		raw = "'" + strings.ReplaceAll(image.Value, "'", "''") + "'"
	case yaml.DoubleQuotedStyle:
		raw = `"` + image.Value + `"`
	}
	if !bytes.HasPrefix(line[start:], []byte(raw)) {
		return 0, 0, fmt.Errorf("line %d of action.yml does not hold runs.image's value %q as one piece: write it on one line without escapes", image.Line, image.Value)
	}
	end := start + len(raw)
	// Only blanks, a comment or the CR of a CRLF may follow on that line.
	rest := strings.TrimRight(string(line[end:]), " \t\r")
	if rest != "" && !strings.HasPrefix(strings.TrimLeft(rest, " \t"), "#") {
		return 0, 0, fmt.Errorf("line %d of action.yml has %q after runs.image's value", image.Line, rest)
	}
	return lineStart + start, lineStart + end, nil
}

// lookup returns the value of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
