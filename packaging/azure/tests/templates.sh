#!/usr/bin/env bash
# Every Azure template and definition in packaging/azure validates against the schema subset of
# its resource type (packaging/azure/schemas, derived from the REST specs named there): JSON
# validity without duplicate keys, required properties, enums, types, apiVersion pinned. The
# Prometheus rule groups are generated from packaging/prometheus/latchwatch.rules.yml and checked
# the same way. The checker must also refuse: broken copies (a wrong enum, a missing required
# property, another apiVersion, a duplicate key, a rule group over 20 rules) each fail.
#   usage: templates.sh SOURCE [BUILD]
set -euo pipefail
source=$1
azure=$source/packaging/azure
here=$(cd "$(dirname "$0")" && pwd)
/usr/bin/python3 -c 'import jsonschema, yaml' 2>/dev/null || { echo "python3-jsonschema or python3-yaml missing (packaging/azure/tests/deps.txt)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$azure/monitor/prometheus-rule-group.py" > "$work/prometheus-rule-groups.json"
mapfile -t files < <(find "$azure/vm-application" "$azure/policy" "$azure/image-builder" "$azure/monitor" -name '*.json' | sort)
[ ${#files[@]} -ge 8 ] || { echo "FAIL: only ${#files[@]} templates found"; exit 1; }
/usr/bin/python3 "$here/validate.py" "$azure/schemas" "${files[@]}" "$work/prometheus-rule-groups.json"

# Each rule of the rules file is in the rule group, with its expression.
/usr/bin/python3 - "$source/packaging/prometheus/latchwatch.rules.yml" "$work/prometheus-rule-groups.json" <<'PY'
import json, sys, yaml
rules = [r for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"]]
generated = [r for res in json.load(open(sys.argv[2]))["resources"] for r in res["properties"]["rules"]]
assert [r.get("alert", r.get("record")) for r in rules] == [r.get("alert", r.get("record")) for r in generated]
assert all(a["expr"].strip() == b["expression"] for a, b in zip(rules, generated))
print(f"rule groups: {len(generated)} rules from the rules file, expressions identical")
PY

# The checker refuses what ARM would refuse.
mutate() {  # mutate NAME FILE PYTHON-EXPRESSION-ON-d
  /usr/bin/python3 - "$2" "$work/$1.json" "$3" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
}
mutate bad-os "$azure/vm-application/vm-application-deb.json" 'd["resources"][0]["properties"]["supportedOSType"] = "Debian"'
mutate no-remove "$azure/vm-application/vm-application-deb.json" 'del d["resources"][1]["properties"]["publishingProfile"]["manageActions"]["remove"]'
mutate api "$azure/vm-application/vm-application-rpm.json" 'd["resources"][1]["apiVersion"] = "2022-03-03"'
mutate no-identity "$azure/image-builder/latchwatch-linux.json" 'del d["resources"][0]["identity"]'
mutate no-sha "$azure/image-builder/latchwatch-windows.json" 'del d["resources"][0]["properties"]["customize"][0]["sha256Checksum"]'
mutate effect "$azure/policy/latchwatch-deploy-vm.json" 'd["properties"]["policyRule"]["then"]["effect"] = "Deploy"'
mutate no-roles "$azure/policy/latchwatch-deploy-vmss.json" 'del d["properties"]["policyRule"]["then"]["details"]["roleDefinitionIds"]'
mutate remediation-api "$azure/policy/latchwatch-deploy-vm.json" 'd["properties"]["policyRule"]["then"]["details"]["deployment"]["properties"]["template"]["resources"][0]["apiVersion"] = "2019-07-01"'
mutate sev "$azure/monitor/log-alerts.json" 'd["resources"][0]["properties"]["severity"] = 5'
mutate too-many "$work/prometheus-rule-groups.json" 'r = d["resources"][0]["properties"]["rules"]; r.extend([dict(r[0]) for _ in range(21)])'
mutate no-for-iso "$work/prometheus-rule-groups.json" 'd["resources"][0]["properties"]["rules"][1]["for"] = "5m"'
sed 's/"contentVersion": "1.0.0.0",/"contentVersion": "1.0.0.0", "contentVersion": "1.0.0.1",/' "$azure/monitor/log-alerts.json" > "$work/duplicate.json"
refused=0
for broken in "$work"/{bad-os,no-remove,api,no-identity,no-sha,effect,no-roles,remediation-api,sev,too-many,no-for-iso,duplicate}.json; do
  if /usr/bin/python3 "$here/validate.py" "$azure/schemas" "$broken" > "$work/out" 2>&1; then
    echo "FAIL: the checker accepted $(basename "$broken")"; cat "$work/out"; exit 1
  fi
  refused=$((refused + 1))
done
echo "the checker refused all $refused broken copies"
