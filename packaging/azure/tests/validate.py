#!/usr/bin/python3
"""Checks latchwatch's Azure templates and definitions against the schema subsets in ../schemas.

    validate.py SCHEMA_DIR FILE...

A file is an ARM deployment template (its $schema names deploymentTemplate.json), a policy
definition body ({"properties": {"policyRule": ...}}), or a single resource. Every resource in a
template, and in a deployIfNotExists policy's remediation template, must have a schema subset of
its type in SCHEMA_DIR (Microsoft.X.y.schema.json for Microsoft.X/y) and pass it, apiVersion
pinned included. ARM expressions [parameters('p')] are replaced by the parameter's default
value (or first allowed value) before the check, so a parameter cannot smuggle a value the
resource type does not accept. Duplicate keys in a JSON object are an error.

Needs Debian's python3-jsonschema. Prints one line per file, exits 1 when any file fails.
"""
import json
import os
import re
import sys

try:
    import jsonschema
except ImportError:  # pragma: no cover
    print("python3-jsonschema missing (packaging/azure/tests/deps.txt)")
    sys.exit(77)

PARAM = re.compile(r"^\[parameters\('([A-Za-z0-9_]+)'\)\]$")
PLACEHOLDER = {"string": "placeholder", "securestring": "placeholder", "int": 1, "bool": True,
               "array": [], "object": {}, "secureObject": {}}


def load(path):
    def no_duplicates(pairs):
        seen = {}
        for key, value in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen[key] = value
        return seen
    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=no_duplicates)


def schema_for(schema_dir, cache, name):
    if name not in cache:
        path = os.path.join(schema_dir, name)
        if not os.path.exists(path):
            return None
        schema = load(path)
        jsonschema.Draft7Validator.check_schema(schema)
        cache[name] = jsonschema.Draft7Validator(schema)
    return cache[name]


def resolve(value, params):
    """Replaces [parameters('p')] by p's default (or first allowed value, or a typed placeholder)."""
    if isinstance(value, dict):
        return {k: resolve(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, params) for v in value]
    if isinstance(value, str):
        m = PARAM.match(value)
        if m:
            name = m.group(1)
            if name not in params:
                raise ValueError(f"parameters('{name}') is not declared")
            p = params[name]
            if "defaultValue" in p and not (isinstance(p["defaultValue"], str) and p["defaultValue"].startswith("[")):
                return p["defaultValue"]
            if p.get("allowedValues"):
                return p["allowedValues"][0]
            if p["type"] in ("string", "securestring") and p.get("minLength"):
                return "a" * p["minLength"]  # a length-constrained value (a SHA-256: 64 hex digits)
            return PLACEHOLDER[p["type"]]
    return value


def errors_of(validator, doc):
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))]


def check_template(template, schema_dir, cache, where):
    problems = [f"{where}: {e}" for e in errors_of(schema_for(schema_dir, cache, "arm-template.schema.json"), template)]
    if problems:
        return problems
    params = template.get("parameters", {})
    for name, p in params.items():
        allowed = p.get("allowedValues")
        if allowed and "defaultValue" in p and p["defaultValue"] not in allowed:
            problems.append(f"{where}: parameter {name}: default not among allowedValues")
    for i, resource in enumerate(template["resources"]):
        kind = resource["type"]
        schema_name = kind.replace("/", ".") + ".schema.json"
        if kind in ("Microsoft.Compute/virtualMachines", "Microsoft.Compute/virtualMachineScaleSets"):
            schema_name = "Microsoft.Compute.virtualMachines.applicationProfile.schema.json"
        validator = schema_for(schema_dir, cache, schema_name)
        if validator is None:
            problems.append(f"{where}: resources/{i}: no schema subset for {kind} ({schema_name})")
            continue
        try:
            resolved = resolve(resource, params)
        except ValueError as e:
            problems.append(f"{where}: resources/{i}: {e}")
            continue
        problems += [f"{where}: resources/{i} ({kind}): {e}" for e in errors_of(validator, resolved)]
    return problems


def check_policy(definition, schema_dir, cache, where):
    problems = [f"{where}: {e}" for e in errors_of(schema_for(schema_dir, cache, "Microsoft.Authorization.policyDefinitions.schema.json"), definition)]
    if problems:
        return problems
    props = definition["properties"]
    declared = props.get("parameters", {})
    text = json.dumps(props["policyRule"])
    for used in set(re.findall(r"parameters\('([A-Za-z0-9_]+)'\)", text)):
        # The remediation template's own parameters are checked with the template.
        if used not in declared and f'"{used}"' not in json.dumps(props["policyRule"].get("then", {}).get("details", {}).get("deployment", {}).get("properties", {}).get("template", {}).get("parameters", {})):
            problems.append(f"{where}: policyRule uses parameters('{used}'), which is not declared")
    then = props["policyRule"]["then"]
    effect = then["effect"]
    if effect.startswith("[parameters('"):
        name = effect[len("[parameters('"):-3]
        allowed = declared.get(name, {}).get("allowedValues", [])
        effects = {e.lower() for e in allowed}
    else:
        effects = {effect.lower()}
    if effects & {"deployifnotexists", "auditifnotexists"} and "details" not in then:
        problems.append(f"{where}: {effect} without details")
    if "deployifnotexists" in effects:
        details = then.get("details", {})
        for member in ("roleDefinitionIds", "deployment"):
            if member not in details:
                problems.append(f"{where}: deployIfNotExists details without {member}")
        template = details.get("deployment", {}).get("properties", {}).get("template")
        if template is not None:
            problems += check_template(template, schema_dir, cache, where + " (remediation template)")
    return problems


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    schema_dir, files = sys.argv[1], sys.argv[2:]
    cache = {}
    failed = 0
    for path in files:
        try:
            doc = load(path)
        except (OSError, ValueError) as e:
            print(f"FAIL {path}: not valid JSON: {e}")
            failed += 1
            continue
        if "deploymentTemplate.json" in str(doc.get("$schema", "")):
            problems = check_template(doc, schema_dir, cache, path)
        elif isinstance(doc.get("properties"), dict) and "policyRule" in doc["properties"]:
            problems = check_policy(doc, schema_dir, cache, path)
        else:
            problems = [f"{path}: neither an ARM deployment template nor a policy definition"]
        if problems:
            failed += 1
            print(f"FAIL {path}")
            for p in problems:
                print(f"  {p}")
        else:
            print(f"ok   {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
