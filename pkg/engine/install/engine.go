package install

import (
	"fmt"
	"runtime"
	"strings"
)

// Engine is an IaC engine whose binary this package resolves and installs.
type Engine string

// The engines this package installs.
const (
	Terraform Engine = "terraform"
	OpenTofu  Engine = "opentofu"
)

// ParseEngine reads the engine input; empty means Terraform.
func ParseEngine(s string) (Engine, error) {
	switch e := Engine(strings.TrimSpace(s)); e {
	case "":
		return Terraform, nil
	case Terraform, OpenTofu:
		return e, nil
	default:
		return "", fmt.Errorf("engine input: %q is not an engine this installer knows (terraform or opentofu)", s)
	}
}

func (e Engine) validate() error {
	if e != Terraform && e != OpenTofu {
		return fmt.Errorf("engine %q is not terraform or opentofu", string(e))
	}
	return nil
}

// Binary is the executable's base name: terraform or tofu (with .exe on
// Windows).
func (e Engine) Binary() string {
	name := "terraform"
	if e == OpenTofu {
		name = "tofu"
	}
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return name
}

// versionFiles are the files naming a version, in the order they are
// preferred within one directory.
func (e Engine) versionFiles() []string {
	if e == OpenTofu {
		return []string{".opentofu-version", ".terraform-version"}
	}
	return []string{".terraform-version"}
}
