package cloudformation

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/awslabs/goformation/v7/schema"
)

// The resource specification is goformation's JSON Schema of CloudFormation
// templates (schema.CloudformationSchema, generated from AWS's resource
// specification). Only it is used, not goformation's typed resources: those
// are some 1,200 packages, and decoding a template into them stops at the
// first problem and loses the lines people need.

// schemaDef is one definition of the schema: a resource (whose Properties
// are under properties.Properties) or a property type.
type schemaDef struct {
	Properties           map[string]schemaProp `json:"properties"`
	Required             []string              `json:"required"`
	AdditionalProperties *bool                 `json:"additionalProperties"`
}

// schemaProp is one property's schema: a $ref to a property type, an array
// of them, or an inline object (a resource's Properties).
type schemaProp struct {
	Ref        string                `json:"$ref"`
	Items      *schemaProp           `json:"items"`
	Type       any                   `json:"type"`
	Properties map[string]schemaProp `json:"properties"`
	Required   []string              `json:"required"`
	// AdditionalProperties false means the names are checked.
	AdditionalProperties *bool `json:"additionalProperties"`
}

type resourceSpec struct {
	defs map[string]schemaDef
}

// loadSpec decodes the schema once; it takes a fraction of a second and is
// only needed by validate.
var loadSpec = sync.OnceValues(func() (*resourceSpec, error) {
	var s struct {
		Definitions map[string]schemaDef `json:"definitions"`
	}
	if err := json.Unmarshal([]byte(schema.CloudformationSchema), &s); err != nil {
		return nil, err
	}
	return &resourceSpec{defs: s.Definitions}, nil
})

// resource is the Properties schema of a resource type, and whether the
// type is known.
func (s *resourceSpec) resource(typ string) (schemaProp, bool) {
	if strings.Contains(typ, ".") {
		return schemaProp{}, false // a property type, not a resource
	}
	d, ok := s.defs[typ]
	if !ok {
		return schemaProp{}, false
	}
	return d.Properties["Properties"], true
}

// resolve follows a $ref to its property type.
func (s *resourceSpec) resolve(p schemaProp) (schemaProp, bool) {
	if p.Ref == "" {
		return p, p.Properties != nil
	}
	d, ok := s.defs[strings.TrimPrefix(p.Ref, "#/definitions/")]
	if !ok {
		return schemaProp{}, false
	}
	return schemaProp{Properties: d.Properties, Required: d.Required, AdditionalProperties: d.AdditionalProperties}, d.Properties != nil
}
