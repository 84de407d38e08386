package install

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
)

var (
	rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "terraform"}}}
	tfSchema   = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "required_version"}}}
)

// requiredVersion reads every required_version of the root module in dir
// (every terraform block of every configuration file, override files
// included: the engine checks them all). found is false when none sets it;
// origin names the files that do, relative to root.
func requiredVersion(e Engine, dir, root string) (req request, origin string, found bool, err error) {
	files, err := configFiles(e, dir)
	if err != nil {
		return request{}, "", false, fmt.Errorf("reading required_version in %s: %w", relSlash(root, dir), err)
	}
	parser := hclparse.NewParser()
	var origins []string
	for _, name := range files {
		p := filepath.Join(dir, name)
		rel := relSlash(root, p)
		src, err := os.ReadFile(p)
		if err != nil {
			return request{}, "", false, fmt.Errorf("reading required_version: %w", err)
		}
		var f *hcl.File
		var diags hcl.Diagnostics
		if strings.HasSuffix(name, ".json") {
			f, diags = parser.ParseJSON(src, rel)
		} else {
			f, diags = parser.ParseHCL(src, rel)
		}
		if diags.HasErrors() {
			return request{}, "", false, fmt.Errorf("reading required_version: %w", diags)
		}
		content, _, diags := f.Body.PartialContent(rootSchema)
		if diags.HasErrors() {
			return request{}, "", false, fmt.Errorf("reading required_version: %w", diags)
		}
		for _, block := range content.Blocks {
			inner, _, diags := block.Body.PartialContent(tfSchema)
			if diags.HasErrors() {
				return request{}, "", false, fmt.Errorf("reading required_version: %w", diags)
			}
			attr, ok := inner.Attributes["required_version"]
			if !ok {
				continue
			}
			r, err := constraintAttr(attr)
			if err != nil {
				return request{}, "", false, err
			}
			req = req.and(r)
			if !slices.Contains(origins, rel) {
				origins = append(origins, rel)
			}
		}
	}
	if len(origins) == 0 {
		return request{}, "", false, nil
	}
	return req, strings.Join(origins, ", "), true, nil
}

// constraintAttr reads a required_version attribute: a literal string
// holding a version constraint (the engine allows no references there).
func constraintAttr(attr *hcl.Attribute) (request, error) {
	at := attr.Expr.Range()
	where := fmt.Sprintf("%s:%d", at.Filename, at.Start.Line)
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() || v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
		return request{}, fmt.Errorf("%s: required_version must be a literal string such as \">= 1.9\"", where)
	}
	r, err := parseRequiredVersion(v.AsString())
	if err != nil {
		return request{}, fmt.Errorf("%s: required_version %w", where, err)
	}
	return r, nil
}

// configFiles lists the configuration files of the module in dir, sorted,
// as the engine picks them: .tf and .tf.json (OpenTofu also reads .tofu and
// .tofu.json, and a .tofu file hides the .tf file of the same name); names
// starting with "." or "#" or ending in "~" are editor files and skipped.
func configFiles(e Engine, dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	exts := []string{".tf", ".tf.json"}
	if e == OpenTofu {
		exts = append(exts, ".tofu", ".tofu.json")
	}
	have := map[string]bool{}
	var names []string
	for _, ent := range entries {
		name := ent.Name()
		if ent.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "#") || strings.HasSuffix(name, "~") {
			continue
		}
		for _, ext := range exts {
			if strings.HasSuffix(name, ext) {
				names = append(names, name)
				have[name] = true
				break
			}
		}
	}
	if e == OpenTofu {
		names = slices.DeleteFunc(names, func(n string) bool {
			base, ok := strings.CutSuffix(n, ".tf")
			if ok {
				return have[base+".tofu"]
			}
			base, ok = strings.CutSuffix(n, ".tf.json")
			return ok && have[base+".tofu.json"]
		})
	}
	slices.Sort(names)
	return names, nil
}
