package engine

import (
	"slices"

	"github.com/bootstrap-guard/bootstrap-guard/internal/exemptions"
	"github.com/bootstrap-guard/bootstrap-guard/internal/image"
	"github.com/bootstrap-guard/bootstrap-guard/internal/inspect"
	"github.com/bootstrap-guard/bootstrap-guard/internal/native"
	"github.com/bootstrap-guard/bootstrap-guard/internal/result"
)

// templateFamily is what a template cannot tell before deployment (internal/cfn's notes).
var templateFamily = result.Family{Name: "template", Package: "internal/cfn",
	Doc:   "What a template or cloud assembly leaves unknown before deployment: a package not inspected here, values known only at deployment.",
	Rules: []result.RuleID{result.PackageNotInspected, result.RuntimeUnresolved, result.HandlerUnresolved, result.ArchitectureUnresolved, result.TemplateTooCostly}}

// nativeFamily is internal/native's rules.
var nativeFamily = result.Family{Name: "native", Package: "internal/native",
	Doc:   "Native code of Python and Node.js functions (extension modules, addons, platform packages) against the runtime's OS, CPU, libc and Python version.",
	Rules: native.Rules}

// families is the registry: every rule belongs to exactly one family (TestFamilies).
var families = []result.Family{
	inspect.PackageFamily, image.Family, inspect.BootstrapFamily, inspect.HandlerFamily, inspect.ExecWrapperFamily,
	inspect.PathsFamily, inspect.RuntimeFamily, inspect.CustomRuntimeFamily, inspect.DurableFamily, exemptions.Family, templateFamily,
	nativeFamily, inspect.ExtensionFamily,
}

// Families lists the registered rule families.
func Families() []result.Family { return slices.Clone(families) }

// Family returns the family of the given name.
func Family(name string) (result.Family, bool) {
	for _, f := range families {
		if f.Name == name {
			return f, true
		}
	}
	return result.Family{}, false
}

// FamilyOf returns the family a rule belongs to.
func FamilyOf(id result.RuleID) (result.Family, bool) {
	for _, f := range families {
		if slices.Contains(f.Rules, id) {
			return f, true
		}
	}
	return result.Family{}, false
}
