// hclcheck parses a Packer HCL2 template with HashiCorp's own HCL library (Debian's
// golang-github-hashicorp-hcl-v2-dev), checks its blocks against the top-level structure Packer
// accepts (packer, variable, locals, source, build; provisioner blocks inside build), and checks
// that every var.X and local.X it references is declared. Usage: hclcheck FILE.pkr.hcl
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 2 {
		fail("usage: hclcheck FILE.pkr.hcl")
	}
	parser := hclparse.NewParser()
	file, diags := parser.ParseHCLFile(os.Args[1])
	if diags.HasErrors() {
		fail("%s", diags.Error())
	}
	top := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "packer"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "source", LabelNames: []string{"type", "name"}},
		{Type: "build"},
	}}
	content, diags := file.Body.Content(top)
	if diags.HasErrors() {
		fail("%s", diags.Error())
	}
	vars := map[string]bool{}
	locals := map[string]bool{}
	sources := map[string]bool{}
	var builds []*hcl.Block
	for _, block := range content.Blocks {
		switch block.Type {
		case "variable":
			vars[block.Labels[0]] = true
			schema := &hcl.BodySchema{
				Attributes: []hcl.AttributeSchema{{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}},
				Blocks:     []hcl.BlockHeaderSchema{{Type: "validation"}},
			}
			if _, d := block.Body.Content(schema); d.HasErrors() {
				fail("variable %s: %s", block.Labels[0], d.Error())
			}
		case "locals":
			attrs, d := block.Body.JustAttributes()
			if d.HasErrors() {
				fail("locals: %s", d.Error())
			}
			for name := range attrs {
				locals[name] = true
			}
		case "source":
			sources["source."+block.Labels[0]+"."+block.Labels[1]] = true
		case "build":
			builds = append(builds, block)
		}
	}
	if len(builds) == 0 {
		fail("no build block")
	}
	for _, build := range builds {
		schema := &hcl.BodySchema{
			Attributes: []hcl.AttributeSchema{{Name: "name"}, {Name: "sources", Required: true}},
			Blocks:     []hcl.BlockHeaderSchema{{Type: "provisioner", LabelNames: []string{"type"}}, {Type: "post-processor", LabelNames: []string{"type"}}, {Type: "source", LabelNames: []string{"name"}}},
		}
		bc, d := build.Body.Content(schema)
		if d.HasErrors() {
			fail("build: %s", d.Error())
		}
		list, d := bc.Attributes["sources"].Expr.Value(nil)
		if d.HasErrors() {
			fail("build.sources: %s", d.Error())
		}
		for _, s := range list.AsValueSlice() {
			if !sources[s.AsString()] {
				fail("build.sources names %s, which no source block declares", s.AsString())
			}
		}
	}
	// Every reference to var.X or local.X must be declared.
	body := file.Body.(*hclsyntax.Body)
	diags = hclsyntax.VisitAll(body, func(node hclsyntax.Node) hcl.Diagnostics {
		expr, ok := node.(hclsyntax.Expression)
		if !ok {
			return nil
		}
		for _, traversal := range expr.Variables() {
			root := traversal.RootName()
			if len(traversal) < 2 {
				continue
			}
			attr, ok := traversal[1].(hcl.TraverseAttr)
			if !ok {
				continue
			}
			if (root == "var" && !vars[attr.Name]) || (root == "local" && !locals[attr.Name]) {
				return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: fmt.Sprintf("%s.%s is not declared", root, attr.Name), Subject: traversal.SourceRange().Ptr()}}
			}
		}
		return nil
	})
	if diags.HasErrors() {
		fail("%s", diags.Error())
	}
	fmt.Printf("%s: HCL valid; %d variables, %d locals, %d build block(s); every var and local it uses is declared\n", os.Args[1], len(vars), len(locals), len(builds))
}
