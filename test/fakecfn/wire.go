package fakecfn

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/document"
	smithytime "github.com/aws/smithy-go/time"
	"github.com/aws/smithy-go/traits"
)

// The wire format of the AWS query protocol, server side: form-encoded
// requests in, XML documents out. Responses are written by the SDK's own
// output types (their Serialize methods, driven by the service's schemas)
// through xmlSerializer, so element names and nesting are the ones the
// client's deserializer expects by construction.

const (
	apiVersion = "2010-05-15"
	xmlns      = "http://cloudformation.amazonaws.com/doc/2010-05-15/"
)

// apiError is an AWS error answer: <ErrorResponse><Error><Type>..<Code>..
// <Message>..</Error><RequestId>..</RequestId></ErrorResponse>.
type apiError struct {
	status  int
	code    string
	message string
	sender  bool
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func validationError(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ValidationError", message: msg, sender: true}
}

// errorXML renders e the way the query protocol does.
func errorXML(e *apiError, requestID string) []byte {
	kind := "Receiver"
	if e.sender {
		kind = "Sender"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>`, xmlns, kind, e.code)
	xml.EscapeText(&b, []byte(e.message))
	fmt.Fprintf(&b, `</Message></Error><RequestId>%s</RequestId></ErrorResponse>`, requestID)
	return b.Bytes()
}

// responseXML wraps a serialized result:
// <ActionResponse><ActionResult>..</ActionResult><ResponseMetadata>..
func responseXML(action string, out smithy.Serializable, requestID string) []byte {
	ser := &xmlSerializer{root: action + "Result"}
	if out != nil {
		out.Serialize(ser)
	}
	result := ser.buf.Bytes()
	if len(result) == 0 {
		result = []byte("<" + action + "Result/>")
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, action, xmlns)
	b.Write(result)
	fmt.Fprintf(&b, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, requestID, action)
	return b.Bytes()
}

type xmlFrame struct {
	list, mapping bool
	name, item    string // element name, and that of each list item or map entry
	value         string // a map's value element name
	inEntry       bool
}

// xmlSerializer is a smithy.ShapeSerializer for query-protocol responses:
// wrapped lists (<member>), wrapped maps (<entry><key/><value/>), date-time
// timestamps, @xmlName and @xmlFlattened honoured. No attributes: the
// CloudFormation model has none.
type xmlSerializer struct {
	buf   bytes.Buffer
	root  string
	stack []*xmlFrame
}

var _ smithy.ShapeSerializer = (*xmlSerializer)(nil)

func (s *xmlSerializer) Bytes() []byte { return s.buf.Bytes() }

func (s *xmlSerializer) top() *xmlFrame {
	if len(s.stack) == 0 {
		return nil
	}
	return s.stack[len(s.stack)-1]
}

func (s *xmlSerializer) ename(schema *smithy.Schema) string {
	if t, ok := smithy.SchemaDirectTrait[*traits.XMLName](schema); ok {
		return t.Name
	}
	if len(s.stack) == 0 {
		return s.root
	}
	return schema.MemberName()
}

// name is the element name for a value in the current context.
func (s *xmlSerializer) name(schema *smithy.Schema) string {
	if top := s.top(); top != nil {
		if top.list {
			return top.item
		}
		if top.mapping && top.inEntry {
			return top.value
		}
	}
	return s.ename(schema)
}

func (s *xmlSerializer) open(name string)  { s.buf.WriteString("<" + name + ">") }
func (s *xmlSerializer) close(name string) { s.buf.WriteString("</" + name + ">") }

func (s *xmlSerializer) scalar(schema *smithy.Schema, v string) {
	n := s.name(schema)
	s.open(n)
	xml.EscapeText(&s.buf, []byte(v))
	s.close(n)
}

func (s *xmlSerializer) WriteInt8(sc *smithy.Schema, v int8) {
	s.scalar(sc, strconv.FormatInt(int64(v), 10))
}
func (s *xmlSerializer) WriteInt16(sc *smithy.Schema, v int16) {
	s.scalar(sc, strconv.FormatInt(int64(v), 10))
}
func (s *xmlSerializer) WriteInt32(sc *smithy.Schema, v int32) {
	s.scalar(sc, strconv.FormatInt(int64(v), 10))
}
func (s *xmlSerializer) WriteInt64(sc *smithy.Schema, v int64) {
	s.scalar(sc, strconv.FormatInt(v, 10))
}
func (s *xmlSerializer) WriteFloat32(sc *smithy.Schema, v float32) {
	s.scalar(sc, strconv.FormatFloat(float64(v), 'g', -1, 32))
}
func (s *xmlSerializer) WriteFloat64(sc *smithy.Schema, v float64) {
	s.scalar(sc, strconv.FormatFloat(v, 'g', -1, 64))
}
func (s *xmlSerializer) WriteBool(sc *smithy.Schema, v bool)     { s.scalar(sc, strconv.FormatBool(v)) }
func (s *xmlSerializer) WriteString(sc *smithy.Schema, v string) { s.scalar(sc, v) }
func (s *xmlSerializer) WriteBigInt(sc *smithy.Schema, v *big.Int) {
	s.scalar(sc, v.String())
}
func (s *xmlSerializer) WriteBigFloat(sc *smithy.Schema, v *big.Float) {
	s.scalar(sc, v.Text('g', -1))
}
func (s *xmlSerializer) WriteBlob(sc *smithy.Schema, v []byte) {
	s.scalar(sc, base64.StdEncoding.EncodeToString(v))
}
func (s *xmlSerializer) WriteTime(sc *smithy.Schema, v time.Time) {
	s.scalar(sc, smithytime.FormatDateTime(v))
}
func (s *xmlSerializer) WriteNil(*smithy.Schema)                      {}
func (s *xmlSerializer) WriteDocument(*smithy.Schema, document.Value) {}

func (s *xmlSerializer) WriteStruct(sc *smithy.Schema) {
	n := s.name(sc)
	s.open(n)
	s.stack = append(s.stack, &xmlFrame{name: n})
}

func (s *xmlSerializer) CloseStruct() { s.close(s.pop().name) }

func (s *xmlSerializer) WriteUnion(sc, _ *smithy.Schema) { s.WriteStruct(sc) }
func (s *xmlSerializer) CloseUnion()                     { s.CloseStruct() }

func (s *xmlSerializer) pop() *xmlFrame {
	f := s.top()
	s.stack = s.stack[:len(s.stack)-1]
	return f
}

func (s *xmlSerializer) WriteList(sc *smithy.Schema) {
	n := s.name(sc)
	f := &xmlFrame{list: true, name: n, item: n}
	if _, flat := smithy.SchemaTrait[*traits.XMLFlattened](sc); !flat {
		s.open(n)
		f.item = "member"
		if t, ok := smithy.SchemaDirectTrait[*traits.XMLName](sc.ListMember()); ok {
			f.item = t.Name
		}
	} else {
		f.name = ""
	}
	s.stack = append(s.stack, f)
}

func (s *xmlSerializer) CloseList() {
	if f := s.pop(); f.name != "" {
		s.close(f.name)
	}
}

func (s *xmlSerializer) WriteMap(sc *smithy.Schema) {
	n := s.name(sc)
	f := &xmlFrame{mapping: true, name: n, item: "entry", value: "value"}
	if _, flat := smithy.SchemaTrait[*traits.XMLFlattened](sc); flat {
		f.item, f.name = n, ""
	} else {
		s.open(n)
	}
	s.stack = append(s.stack, f)
}

func (s *xmlSerializer) WriteKey(_ *smithy.Schema, k string) {
	f := s.top()
	if f.inEntry {
		s.close(f.item)
	}
	s.open(f.item)
	s.open("key")
	xml.EscapeText(&s.buf, []byte(k))
	s.close("key")
	f.inEntry = true
}

func (s *xmlSerializer) CloseMap() {
	f := s.pop()
	if f.inEntry {
		s.close(f.item)
	}
	if f.name != "" {
		s.close(f.name)
	}
}

// form is a parsed query-protocol request.
type form url.Values

func (f form) str(key string) string { return url.Values(f).Get(key) }

func (f form) flag(key string) bool { return f.str(key) == "true" }

// list reads Key.member.1, Key.member.2, ...
func (f form) list(key string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := f[fmt.Sprintf("%s.member.%d", key, i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// structs reads Key.member.N.Field into one map per member.
func (f form) structs(key string) []map[string]string {
	byIndex := map[int]map[string]string{}
	prefix := key + ".member."
	for k, v := range f {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		idx, field, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(idx)
		if !ok || err != nil {
			continue
		}
		if byIndex[n] == nil {
			byIndex[n] = map[string]string{}
		}
		byIndex[n][field] = v[0]
	}
	idx := make([]int, 0, len(byIndex))
	for n := range byIndex {
		idx = append(idx, n)
	}
	sort.Ints(idx)
	out := make([]map[string]string, len(idx))
	for i, n := range idx {
		out[i] = byIndex[n]
	}
	return out
}

// page cuts items to one page: the offset comes from the NextToken the
// previous page returned.
func page[T any](items []T, token string, size int) ([]T, *string, *apiError) {
	start := 0
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		n, convErr := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
		if err != nil || convErr != nil || n < 0 || n > len(items) {
			return nil, nil, validationError("Invalid NextToken") // wording unconfirmed
		}
		start = n
	}
	end := min(start+size, len(items))
	var next *string
	if end < len(items) {
		t := base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(end)))
		next = &t
	}
	return items[start:end], next, nil
}
