package fakecfn

import (
	"encoding/base64"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// unknown stands for a value CloudFormation knows only once the change set
// runs: a reference to a resource that is being created or replaced.
type unknown struct{ cause string }

// noValue is AWS::NoValue: the property that holds it is dropped.
type noValue struct{}

// masked is what CloudFormation shows instead of a NoEcho parameter's value.
const masked = "****"

// evaluator resolves the intrinsic functions the fake models: Ref (to
// parameters, pseudo parameters and resources), Fn::GetAtt, Fn::Sub,
// Fn::Join, Fn::Select and Fn::Base64. Other functions are kept as written, so
// changes to them still show as changes.
type evaluator struct {
	stackName, stackID string
	params             map[string]string
	noEcho             map[string]bool
	mask               bool // show NoEcho values as "****"
	// resource gives a resource's physical ID and type; ok false means the
	// value is not known yet.
	resource func(logicalID string) (physical, rtype string, ok bool)
}

func (e *evaluator) eval(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if r, ok := e.intrinsic(k, arg); ok {
					return r
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, c := range x {
			r := e.eval(c)
			if _, drop := r.(noValue); !drop {
				out[k] = r
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, c := range x {
			r := e.eval(c)
			if _, drop := r.(noValue); !drop {
				out = append(out, r)
			}
		}
		return out
	default:
		return v
	}
}

func (e *evaluator) intrinsic(fn string, arg any) (any, bool) {
	switch fn {
	case "Ref":
		return e.ref(scalarString(arg)), true
	case "Fn::GetAtt":
		parts, _ := arg.([]any)
		if len(parts) != 2 {
			return nil, false
		}
		return e.getAtt(scalarString(parts[0]), scalarString(parts[1])), true
	case "Fn::Sub":
		return e.sub(arg), true
	case "Fn::Join":
		parts, _ := arg.([]any)
		if len(parts) != 2 {
			return nil, false
		}
		list, _ := e.eval(parts[1]).([]any)
		strs := make([]string, 0, len(list))
		for _, item := range list {
			if u, ok := item.(unknown); ok {
				return u, true
			}
			strs = append(strs, scalarString(item))
		}
		return strings.Join(strs, scalarString(parts[0])), true
	case "Fn::Select":
		parts, _ := arg.([]any)
		if len(parts) != 2 {
			return nil, false
		}
		list, _ := e.eval(parts[1]).([]any)
		var i int
		if _, err := fmt.Sscan(scalarString(e.eval(parts[0])), &i); err != nil || i < 0 || i >= len(list) {
			return nil, false
		}
		return list[i], true
	case "Fn::Base64":
		r := e.eval(arg)
		if u, ok := r.(unknown); ok {
			return u, true
		}
		return base64.StdEncoding.EncodeToString([]byte(scalarString(r))), true
	}
	return nil, false
}

func (e *evaluator) ref(name string) any {
	switch name {
	case "AWS::AccountId":
		return AccountID
	case "AWS::Region":
		return Region
	case "AWS::Partition":
		return "aws"
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return e.stackName
	case "AWS::StackId":
		return e.stackID
	case "AWS::NotificationARNs":
		return []any{}
	case "AWS::NoValue":
		return noValue{}
	}
	if v, ok := e.params[name]; ok {
		if e.mask && e.noEcho[name] {
			return masked
		}
		return v
	}
	phys, _, ok := e.resource(name)
	if !ok {
		return unknown{cause: name}
	}
	return phys
}

func (e *evaluator) getAtt(id, attr string) any {
	phys, rtype, ok := e.resource(id)
	if !ok {
		return unknown{cause: id + "." + attr}
	}
	return attribute(rtype, phys, attr)
}

// attribute is the fake's deterministic value of Fn::GetAtt: an ARN for
// "Arn", else "<physical ID>.<attribute>".
func attribute(rtype, physical, attr string) string {
	if attr == "Arn" {
		if strings.HasPrefix(physical, "arn:") {
			return physical
		}
		service := "cloudformation"
		if parts := strings.Split(rtype, "::"); len(parts) == 3 {
			service = strings.ToLower(parts[1])
		}
		name := physical
		if i := strings.LastIndex(name, "/"); i >= 0 && service == "sqs" {
			name = name[i+1:]
		}
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, Region, AccountID, name)
	}
	return physical + "." + attr
}

func (e *evaluator) sub(arg any) any {
	str, vars := subParts(arg)
	var b strings.Builder
	for {
		i := strings.Index(str, "${")
		if i < 0 {
			b.WriteString(str)
			return b.String()
		}
		j := strings.Index(str[i:], "}")
		if j < 0 {
			b.WriteString(str)
			return b.String()
		}
		b.WriteString(str[:i])
		name := str[i+2 : i+j]
		str = str[i+j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var val any
		if v, ok := vars[name]; ok {
			val = e.eval(v)
		} else if id, attr, dotted := strings.Cut(name, "."); dotted {
			val = e.getAtt(id, attr)
		} else {
			val = e.ref(name)
		}
		if u, ok := val.(unknown); ok {
			return u
		}
		b.WriteString(scalarString(val))
	}
}

// hasUnknown reports the first unknown inside v.
func hasUnknown(v any) (unknown, bool) {
	switch x := v.(type) {
	case unknown:
		return x, true
	case map[string]any:
		keys := sortedKeys(x)
		for _, k := range keys {
			if u, ok := hasUnknown(x[k]); ok {
				return u, true
			}
		}
	case []any:
		for _, c := range x {
			if u, ok := hasUnknown(c); ok {
				return u, true
			}
		}
	}
	return unknown{}, false
}

// sameValue compares two template values the way CloudFormation does for
// updates: scalars by their string form; an unknown value is never the same.
func sameValue(a, b any) bool {
	if _, ok := hasUnknown(a); ok {
		return false
	}
	if _, ok := hasUnknown(b); ok {
		return false
	}
	return reflect.DeepEqual(normalize(a), normalize(b))
}

func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, c := range x {
			out[k] = normalize(c)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, c := range x {
			out[i] = normalize(c)
		}
		return out
	case nil:
		return nil
	default:
		return scalarString(x)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
