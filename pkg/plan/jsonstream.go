package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// stream reads one JSON document from an io.Reader (or a byte slice) a piece
// at a time. It walks objects and arrays key by key, skips the values it is
// not asked for without building them, and captures the values it is asked
// for as byte slices that stay valid until the next read. Only the captured
// value and a read-ahead chunk are ever buffered, however large the document.
//
// Skipping checks structure (strings end, brackets balance and match) but not
// every detail of the grammar: the input is Terraform's own output, and every
// value that is decoded is fully validated by the parser that decodes it.
type stream struct {
	r    io.Reader // nil: buf is the whole document
	buf  []byte
	pos  int   // next unread byte in buf
	mark int   // start of the value being captured, or -1
	off  int64 // offset of buf[0] in the document
	err  error // sticky read error; io.EOF at the end
	open []byte
}

const streamChunk = 64 << 10

func newStream(r io.Reader) *stream {
	return &stream{r: r, buf: make([]byte, 0, streamChunk), mark: -1}
}

func newBytesStream(b []byte) *stream { return &stream{buf: b, mark: -1} }

// more makes at least one more unread byte available; false at the end of
// input (s.err says why).
func (s *stream) more() bool {
	if s.pos < len(s.buf) {
		return true
	}
	if s.r == nil {
		if s.err == nil {
			s.err = io.EOF
		}
		return false
	}
	if s.err != nil {
		return false
	}
	keep := s.pos
	if s.mark >= 0 {
		keep = s.mark
	}
	if keep > 0 {
		n := copy(s.buf, s.buf[keep:])
		s.buf = s.buf[:n]
		s.off += int64(keep)
		s.pos -= keep
		if s.mark >= 0 {
			s.mark = 0
		}
	}
	if len(s.buf) == cap(s.buf) {
		grown := make([]byte, len(s.buf), 2*cap(s.buf))
		copy(grown, s.buf)
		s.buf = grown
	}
	for {
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if err != nil {
			s.err = err
		}
		if n > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// offset is the position of the next unread byte in the document.
func (s *stream) offset() int64 { return s.off + int64(s.pos) }

func (s *stream) syntaxError(what string) error {
	if s.pos >= len(s.buf) && s.err != nil && s.err != io.EOF {
		return fmt.Errorf("reading plan JSON at byte %d: %w", s.offset(), s.err)
	}
	if s.pos >= len(s.buf) {
		return fmt.Errorf("plan JSON ends early at byte %d, %s", s.offset(), what)
	}
	return fmt.Errorf("invalid plan JSON at byte %d: %s, found %q", s.offset(), what, s.buf[s.pos])
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// peek skips white space and returns the next byte without consuming it; 0
// at the end of input.
func (s *stream) peek() byte {
	for s.more() {
		if c := s.buf[s.pos]; !isSpace(c) {
			return c
		}
		s.pos++
	}
	return 0
}

func (s *stream) expect(c byte) error {
	if s.peek() != c {
		return s.syntaxError(fmt.Sprintf("expected %q", c))
	}
	s.pos++
	return nil
}

// object calls f for every key of the object that comes next; f must consume
// the value.
func (s *stream) object(f func(key string) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		key, err := s.key()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := f(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.syntaxError(`expected "," or "}" after an object member`)
		}
	}
}

// array calls f for every element of the array that comes next; f must
// consume the element. A null counts as an empty array.
func (s *stream) array(f func(i int) error) error {
	if s.peek() == 'n' {
		return s.null()
	}
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		if err := f(i); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.syntaxError(`expected "," or "]" after an array element`)
		}
	}
}

// null consumes the literal null.
func (s *stream) null() error {
	for _, c := range []byte("null") {
		if !s.more() || s.buf[s.pos] != c {
			return s.syntaxError("expected null")
		}
		s.pos++
	}
	return nil
}

// key reads an object key.
func (s *stream) key() (string, error) {
	if s.peek() != '"' {
		return "", s.syntaxError("expected an object key")
	}
	raw, err := s.capture()
	if err != nil {
		return "", err
	}
	if k, ok := simpleString(raw); ok {
		return k, nil
	}
	var k string
	if err := json.Unmarshal(raw, &k); err != nil {
		return "", fmt.Errorf("invalid plan JSON at byte %d: object key: %w", s.offset(), err)
	}
	return k, nil
}

// simpleString returns the content of a quoted JSON string without escapes
// or non-ASCII bytes.
func simpleString(raw []byte) (string, bool) {
	if len(raw) < 2 {
		return "", false
	}
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return "", false
		}
	}
	return string(raw[1 : len(raw)-1]), true
}

// capture consumes the next value and returns its bytes, valid until the
// next read from s.
func (s *stream) capture() ([]byte, error) {
	s.peek()
	s.mark = s.pos
	err := s.skip()
	start := s.mark
	s.mark = -1
	if err != nil {
		return nil, err
	}
	return s.buf[start:s.pos], nil
}

// structural marks the bytes the skipper must look at inside objects and
// arrays.
var structural = func() (st [256]bool) {
	for _, c := range []byte(`{}[]"`) {
		st[c] = true
	}
	return st
}()

// skip consumes the next value without building it.
func (s *stream) skip() error {
	switch c := s.peek(); c {
	case '"':
		s.pos++
		return s.skipStringBody()
	case '{', '[':
		return s.skipComposite()
	case 0:
		return s.syntaxError("expected a value")
	case ',', ':', '}', ']':
		return s.syntaxError("expected a value")
	default:
		return s.skipLiteral()
	}
}

func (s *stream) skipLiteral() error {
	start := s.offset()
	for s.more() {
		c := s.buf[s.pos]
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'E' {
			s.pos++
			continue
		}
		break
	}
	if s.offset() == start {
		return s.syntaxError("expected a value")
	}
	return nil
}

// skipStringBody consumes a string whose opening quote is consumed. Most
// strings are short: it looks at up to 32 bytes one by one, then hands over
// to bytes.IndexByte.
func (s *stream) skipStringBody() error {
	for {
		buf, i := s.buf, s.pos
		n := len(buf)
		for lim := min(n, i+32); i < lim && buf[i] != '"' && buf[i] != '\\'; i++ {
		}
		if i < n && buf[i] != '"' && buf[i] != '\\' {
			q := bytes.IndexByte(buf[i:], '"')
			if q < 0 {
				q = n - i
			}
			if bs := bytes.IndexByte(buf[i:i+q], '\\'); bs >= 0 {
				q = bs
			}
			i += q
		}
		s.pos = i
		switch {
		case i == n:
			if !s.more() {
				return s.syntaxError("unterminated string")
			}
		case buf[i] == '"':
			s.pos++
			return nil
		default: // a backslash; the byte after it is escaped
			s.pos++
			if !s.more() {
				return s.syntaxError("unterminated string")
			}
			s.pos++
		}
	}
}

var errMismatch = errors.New("mismatched bracket")

func (s *stream) skipComposite() error {
	s.open = s.open[:0]
	for {
		buf := s.buf
		i := s.pos
		for i < len(buf) {
			c := buf[i]
			if !structural[c] {
				i++
				continue
			}
			switch c {
			case '"':
				s.pos = i + 1
				if err := s.skipStringBody(); err != nil {
					return err
				}
				buf, i = s.buf, s.pos
				continue
			case '{':
				s.open = append(s.open, '}')
			case '[':
				s.open = append(s.open, ']')
			default: // '}' or ']'
				n := len(s.open)
				if n == 0 || s.open[n-1] != c {
					s.pos = i
					return s.syntaxError(errMismatch.Error())
				}
				s.open = s.open[:n-1]
				if n == 1 {
					s.pos = i + 1
					return nil
				}
			}
			i++
		}
		s.pos = i
		if !s.more() {
			return s.syntaxError("unterminated object or array")
		}
	}
}

// foldKey reports whether key names the field want the way encoding/json
// matches struct fields: exactly, or else case-insensitively.
func foldKey(key, want string) bool {
	return key == want || strings.EqualFold(key, want)
}
