package plan

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// appendJSON appends the compact JSON of v, byte for byte what a
// json.Encoder with SetEscapeHTML(false) writes (without its newline), for
// the values decoded plans hold: map[string]any (keys sorted), []any, string,
// float64, bool and nil. Anything else goes through encoding/json. It is
// what Fingerprint hashes, so it must never change for a given value;
// TestAppendJSONMatchesEncodingJSON and FuzzAppendJSON hold it to that.
func appendJSON(dst []byte, v any) ([]byte, error) {
	var e encoder
	return e.json(dst, v)
}

// encoder keeps one stack of map keys for a whole encoding, instead of a
// slice per map.
type encoder struct {
	keys []string
	// out, when set, takes the encoded bytes whenever flushSize of them are
	// waiting, at the start of a value: Fingerprint hashes a large entry
	// without holding it whole.
	out io.Writer
}

const flushSize = 4 << 10

func (e *encoder) flush(dst []byte) []byte {
	if e.out == nil || len(dst) < flushSize {
		return dst
	}
	_, _ = e.out.Write(dst) // a hash.Hash never fails
	return dst[:0]
}

// sortedKeys pushes m's keys, sorted, onto the stack; the caller reads
// e.keys[base:end] by index (the stack may move) and pops with
// e.keys = e.keys[:base].
func (e *encoder) sortedKeys(m map[string]any) (base, end int) {
	base = len(e.keys)
	for k := range m {
		e.keys = append(e.keys, k)
	}
	slices.Sort(e.keys[base:])
	return base, len(e.keys)
}

func (e *encoder) json(dst []byte, v any) ([]byte, error) {
	dst = e.flush(dst)
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, t), nil
	case string:
		return appendJSONString(dst, t), nil
	case float64:
		return appendJSONFloat(dst, t)
	case map[string]any:
		if t == nil {
			return append(dst, "null"...), nil
		}
		base, end := e.sortedKeys(t)
		defer func() { e.keys = e.keys[:base] }()
		dst = append(dst, '{')
		for i := base; i < end; i++ {
			if i > base {
				dst = append(dst, ',')
			}
			k := e.keys[i]
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = e.json(dst, t[k]); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		if t == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, x := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = e.json(dst, x); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return dst, err
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})...), nil
}

// appendJSONFloat formats like encoding/json: as ES6 does, 'f' unless the
// exponent is very small or large, with exponents not padded.
func appendJSONFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, &json.UnsupportedValueError{Value: reflect.ValueOf(f), Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s like encoding/json without HTML escaping:
// control characters escaped (\b \f \n \r \t or \u00XX), invalid UTF-8 as
// \ufffd, and U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsonEqual is reflect.DeepEqual for decoded JSON values, without
// reflection for the types decoding produces.
func jsonEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// redacted appends the JSON of redact(v, sens, unknown) without building the
// redacted copy.
func (e *encoder) redacted(dst []byte, v, sens, unknown any) ([]byte, error) {
	dst = e.flush(dst)
	if b, ok := sens.(bool); ok && b {
		return appendJSONString(dst, sensitiveMark), nil
	}
	if b, ok := unknown.(bool); ok && b {
		return appendJSONString(dst, unknownMark), nil
	}
	switch t := v.(type) {
	case map[string]any:
		sm, sok := sens.(map[string]any)
		um, uok := unknown.(map[string]any)
		if (!sok && anyMarked(sens)) || (!uok && anyMarked(unknown)) {
			return appendJSONString(dst, mismatch(sens).(string)), nil
		}
		base := len(e.keys)
		defer func() { e.keys = e.keys[:base] }()
		for k := range t {
			e.keys = append(e.keys, k)
		}
		for k, x := range um {
			if _, ok := t[k]; !ok && anyMarked(x) {
				e.keys = append(e.keys, k)
			}
		}
		slices.Sort(e.keys[base:])
		end := len(e.keys)
		dst = append(dst, '{')
		for i := base; i < end; i++ {
			if i > base {
				dst = append(dst, ',')
			}
			k := e.keys[i]
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = e.redacted(dst, t[k], sm[k], um[k]); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		sl, sok := sens.([]any)
		ul, uok := unknown.([]any)
		if (!sok && anyMarked(sens)) || (!uok && anyMarked(unknown)) {
			return appendJSONString(dst, mismatch(sens).(string)), nil
		}
		dst = append(dst, '[')
		for i := range max(len(t), len(ul)) {
			if i > 0 {
				dst = append(dst, ',')
			}
			var x, sx, ux any
			if i < len(t) {
				x = t[i]
			}
			if i < len(sl) {
				sx = sl[i]
			}
			if i < len(ul) {
				ux = ul[i]
			}
			var err error
			if dst, err = e.redacted(dst, x, sx, ux); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	}
	switch {
	case anyMarked(sens):
		return appendJSONString(dst, sensitiveMark), nil
	case anyMarked(unknown):
		return appendJSONString(dst, unknownMark), nil
	}
	return e.json(dst, v)
}
