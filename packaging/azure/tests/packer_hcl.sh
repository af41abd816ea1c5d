#!/usr/bin/env bash
# packaging/packer.pkr.hcl parses with HashiCorp's HCL library (Debian's
# golang-github-hashicorp-hcl-v2-dev, built here with Debian's Go: Packer itself is not in
# Debian), has Packer's top-level structure, and references only declared variables and locals;
# broken copies (an undeclared var, an unclosed string, an unknown top-level block) are refused.
# Its shell lines run for real in image_bake.sh.
#   usage: packer_hcl.sh SOURCE BUILD
set -euo pipefail
source=$1 build=${2:-build}
here=$(cd "$(dirname "$0")" && pwd)
command -v go >/dev/null || { echo "go missing (golang-go, packaging/azure/tests/deps.txt)"; exit 1; }
[ -d /usr/share/gocode/src/github.com/hashicorp/hcl/v2 ] || { echo "golang-github-hashicorp-hcl-v2-dev missing (packaging/azure/tests/deps.txt)"; exit 1; }
mkdir -p "$build"
work=$(mktemp -d "$build/fleet-hcl.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/gopath/src/hclcheck"
cp "$here/hclcheck/main.go" "$work/gopath/src/hclcheck/"
(cd "$work/gopath/src/hclcheck" && GOENV=off GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="$build/fleet-go-cache" GOFLAGS= go build -o "$work/hclcheck" .)
packer=$source/packaging/packer.pkr.hcl
"$work/hclcheck" "$packer"
sed 's/var.package_sha256}/var.package_sha265}/' "$packer" > "$work/undeclared.pkr.hcl"
sed '0,/description = "Path/s/description = "Path/description = "Path\n/' "$packer" > "$work/unclosed.pkr.hcl"
printf '\nprovisioner "shell" {\n  inline = ["true"]\n}\n' | cat "$packer" - > "$work/toplevel.pkr.hcl"
for broken in undeclared unclosed toplevel; do
  if "$work/hclcheck" "$work/$broken.pkr.hcl" > "$work/out" 2>&1; then echo "FAIL: hclcheck accepted the $broken copy"; exit 1; fi
done
echo "hclcheck refused the 3 broken copies"
