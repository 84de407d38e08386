package pulumi

import (
	"encoding/json"
	"errors"
	"fmt"
)

// scanner reads the parts of Pulumi's JSON (saved plans, event logs) that
// lockstep uses and steps over the rest without building it. It validates
// what it steps over as encoding/json does (strings, escapes, numbers,
// literals, nesting, nothing after the value), so a file encoding/json
// refuses is refused here too; what it builds it builds like encoding/json
// (strings with escapes or non-ASCII bytes go through encoding/json
// itself). Unlike encoding/json, member names match exactly, not ignoring
// case: Pulumi writes them in one spelling.
//
// The point is speed: encoding/json checks a whole input before it decodes
// it and builds every value it is asked for, also json.RawMessage copies;
// this walks each byte once and builds only the strings lockstep keeps.
type scanner struct {
	b []byte
	i int
}

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

var errSyntax = errors.New("invalid JSON")

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errSyntax, s.i, fmt.Sprintf(format, args...))
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek is the next byte that is not white space, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// end checks that nothing but white space is left.
func (s *scanner) end() error {
	if s.ws(); s.i < len(s.b) {
		return s.errorf("data after the top-level value")
	}
	return nil
}

// null consumes a null, if that is what comes next.
func (s *scanner) null() (bool, error) {
	if s.peek() != 'n' {
		return false, nil
	}
	return true, s.literal("null")
}

func (s *scanner) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.errorf("invalid literal")
	}
	s.i += len(lit)
	return nil
}

// skip steps over one value, validating it.
func (s *scanner) skip() error { return s.skipDepth(0) }

func (s *scanner) skipDepth(depth int) error {
	if depth > maxDepth {
		return s.errorf("nested too deeply")
	}
	switch c := s.peek(); {
	case c == '"':
		_, _, err := s.rawString()
		return err
	case c == '{':
		s.i++
		if s.peek() == '}' {
			s.i++
			return nil
		}
		for {
			if s.peek() != '"' {
				return s.errorf("expected a member name")
			}
			if _, _, err := s.rawString(); err != nil {
				return err
			}
			if s.peek() != ':' {
				return s.errorf("expected ':'")
			}
			s.i++
			if err := s.skipDepth(depth + 1); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.i++
			case '}':
				s.i++
				return nil
			default:
				return s.errorf("expected ',' or '}'")
			}
		}
	case c == '[':
		s.i++
		if s.peek() == ']' {
			s.i++
			return nil
		}
		for {
			if err := s.skipDepth(depth + 1); err != nil {
				return err
			}
			switch s.peek() {
			case ',':
				s.i++
			case ']':
				s.i++
				return nil
			default:
				return s.errorf("expected ',' or ']'")
			}
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 0:
		return s.errorf("unexpected end of input")
	default:
		return s.errorf("unexpected %q", c)
	}
}

// number steps over a number in JSON's grammar.
func (s *scanner) number() error {
	b, i := s.b, s.i
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return s.errorf("invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return s.errorf("invalid number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return s.errorf("invalid number")
		}
	}
	s.i = i
	return nil
}

// rawString steps over a string (s.b[s.i] is its quote) and returns it
// with its quotes, and whether it holds anything but printable ASCII
// without escapes (then only encoding/json decodes it).
func (s *scanner) rawString() (raw []byte, plain bool, err error) {
	b := s.b
	start := s.i
	plain = true
	for i := start + 1; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return b[start:s.i], plain, nil
		case c == '\\':
			plain = false
			i++
			if i >= len(b) {
				break
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					s.i = i
					return nil, false, s.errorf("invalid \\u escape")
				}
				i += 4
			default:
				s.i = i
				return nil, false, s.errorf("invalid escape")
			}
		case c < 0x20:
			s.i = i
			return nil, false, s.errorf("control character in a string")
		case c >= 0x80:
			plain = false
		}
	}
	s.i = len(b)
	return nil, false, s.errorf("unterminated string")
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// str reads a string value; null is "".
func (s *scanner) str() (string, error) {
	if isNull, err := s.null(); isNull || err != nil {
		return "", err
	}
	if s.peek() != '"' {
		return "", s.errorf("expected a string")
	}
	raw, plain, err := s.rawString()
	if err != nil {
		return "", err
	}
	return unquote(raw, plain)
}

func unquote(raw []byte, plain bool) (string, error) {
	if plain {
		return string(raw[1 : len(raw)-1]), nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	return v, nil
}

// object calls f for each member of an object, with the scanner at the
// member's value; f must consume the value. null is no members.
func (s *scanner) object(f func(name string) error) error {
	if isNull, err := s.null(); isNull || err != nil {
		return err
	}
	if s.peek() != '{' {
		return s.errorf("expected an object")
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.errorf("expected a member name")
		}
		raw, plain, err := s.rawString()
		if err != nil {
			return err
		}
		name, err := unquote(raw, plain)
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return s.errorf("expected ':'")
		}
		s.i++
		if err := f(name); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.errorf("expected ',' or '}'")
		}
	}
}

// strs reads an array of strings; null is nil.
func (s *scanner) strs() ([]string, error) {
	if isNull, err := s.null(); isNull || err != nil {
		return nil, err
	}
	if s.peek() != '[' {
		return nil, s.errorf("expected an array")
	}
	s.i++
	out := []string{}
	if s.peek() == ']' {
		s.i++
		return out, nil
	}
	for {
		v, err := s.str()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return out, nil
		default:
			return nil, s.errorf("expected ',' or ']'")
		}
	}
}

// names reads the member names of an object, stepping over their values;
// null is nil.
func (s *scanner) names() ([]string, error) {
	var out []string
	err := s.object(func(name string) error {
		out = append(out, name)
		return s.skip()
	})
	return out, err
}

// raw steps over a value and returns its bytes (a slice of the input: copy
// it to keep it).
func (s *scanner) raw() ([]byte, error) {
	s.ws()
	start := s.i
	if err := s.skip(); err != nil {
		return nil, err
	}
	return s.b[start:s.i], nil
}
