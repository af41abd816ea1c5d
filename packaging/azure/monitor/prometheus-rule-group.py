#!/usr/bin/python3
"""Prints an ARM template of Azure Monitor managed Prometheus rule groups
(Microsoft.AlertsManagement/prometheusRuleGroups, api-version 2023-03-01) made from the one rules
file, packaging/prometheus/latchwatch.rules.yml, so Azure Monitor alerts on exactly what
Prometheus would:

    packaging/azure/monitor/prometheus-rule-group.py [RULES.yml] > latchwatch-prometheus-rules.json
    az deployment group create -g RG --template-file latchwatch-prometheus-rules.json \
      --parameters azureMonitorWorkspaceId=/subscriptions/.../accounts/AMW actionGroupId=/subscriptions/.../actionGroups/AG

Each Prometheus group becomes one rule group (the spec allows 1..20 rules a group, so a longer
group is split). Per rule: alert/record, expr -> expression, for -> an ISO 8601 duration, labels
and annotations as they are (at most 10 labels), and the label severity -> the Azure severity
(critical 1, error 2, warning 3, info 4; the spec's range is 1..4). The rule group's interval is the file's
evaluation_interval when the group names one, else PT1M. Needs python3 with PyYAML (Debian's
python3-yaml).
"""
import json
import os
import re
import sys

import yaml

SEVERITY = {"critical": 1, "error": 2, "warning": 3, "info": 4}
DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def iso8601(duration):
    """Prometheus 1h30m -> PT1H30M (days, hours, minutes, seconds; no ms or weeks)."""
    m = DURATION.match(str(duration))
    if not m or not any(m.groups()):
        raise ValueError(f"duration {duration!r} is not d/h/m/s")
    d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    time = "".join(f"{v}{u}" for v, u in ((h, "H"), (mi, "M"), (s, "S")) if v)
    return "P" + (f"{d}D" if d else "") + (("T" + time) if time else "")


def convert(rule):
    out = {}
    if "alert" in rule:
        out["alert"] = rule["alert"]
    elif "record" in rule:
        out["record"] = rule["record"]
    else:
        raise ValueError(f"rule without alert or record: {rule}")
    out["enabled"] = True
    out["expression"] = str(rule["expr"]).strip()
    labels = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
    if len(labels) > 10:
        raise ValueError(f"{out.get('alert', out.get('record'))}: more than 10 labels")
    if "alert" in rule:
        if "for" in rule:
            out["for"] = iso8601(rule["for"])
        severity = labels.get("severity", "warning")
        if severity not in SEVERITY:
            raise ValueError(f"{rule['alert']}: severity {severity!r} is not one of {sorted(SEVERITY)}")
        out["severity"] = SEVERITY[severity]
        out["annotations"] = {str(k): str(v).strip() for k, v in (rule.get("annotations") or {}).items()}
        out["actions"] = {"actionGroups": ["[parameters('actionGroupId')]"]}
        out["resolveConfiguration"] = {"autoResolved": True, "timeToResolve": "PT10M"}
    if labels:
        out["labels"] = labels
    return out


def template(rules_file):
    with open(rules_file, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    resources = []
    for group in doc["groups"]:
        rules = [convert(r) for r in group["rules"]]
        chunks = [rules[i:i + 20] for i in range(0, len(rules), 20)]
        for n, chunk in enumerate(chunks):
            name = group["name"] if len(chunks) == 1 else f"{group['name']}-{n + 1}"
            resources.append({
                "type": "Microsoft.AlertsManagement/prometheusRuleGroups",
                "apiVersion": "2023-03-01",
                "name": f"[concat(parameters('ruleGroupPrefix'), '{name}')]",
                "location": "[parameters('location')]",
                "properties": {
                    "description": f"latchwatch rules, generated from {os.path.basename(rules_file)} group {group['name']}",
                    "enabled": True,
                    "scopes": ["[parameters('azureMonitorWorkspaceId')]"],
                    "interval": iso8601(group.get("interval", "1m")),
                    "rules": chunk,
                },
            })
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
            "ruleGroupPrefix": {"type": "string", "defaultValue": ""},
            "azureMonitorWorkspaceId": {"type": "string", "metadata": {"description": "Resource id of the Azure Monitor workspace (Microsoft.Monitor/accounts) the VMs' metrics go to."}},
            "actionGroupId": {"type": "string", "metadata": {"description": "Resource id of the action group that notifies the VM owners."}},
        },
        "resources": resources,
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    rules_file = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "prometheus", "latchwatch.rules.yml")
    try:
        json.dump(template(rules_file), sys.stdout, indent=2)
    except (OSError, ValueError, KeyError, yaml.YAMLError) as e:
        print(f"prometheus-rule-group.py: {rules_file}: {e}", file=sys.stderr)
        return 1
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
