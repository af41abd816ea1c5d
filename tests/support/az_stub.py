#!/usr/bin/env python3
"""A stand-in `az` for the printed-commands tests: the parts of azure-cli that latchwatch's
printed bash commands use, sending real HTTP to the loopback Compute spec server
(tests/support/compute_spec_server.js). What it follows from azure-cli (2.7x):

- `az rest` (azure/cli/core/util.py send_raw_request): a --url without '://' is joined to the
  logged-in cloud's resource_manager endpoint; --headers takes KEY=VALUE words (or JSON);
  a JSON --body gets Content-Type application/json; a status >= 400 prints
  "ERROR: <reason>(<body>)" and exits 1.
- `--query` is evaluated with the jmespath library az itself uses (Debian's python3-jmespath);
  an error in it (e.g. contains(null, ...)) exits 1 as az does.
- `-o tsv`/`-o json` as az's output formatters print them (None prints nothing).
- `az vm show/update/get-instance-view/list [-d]` and `az vmss show/update/get-instance-view`
  return the SDK's flattened models (properties lifted to the top). The SDK's compute API
  version is AZ_STUB_COMPUTE_API: before 2023-09-01 the models have no proxyAgentSettings (an
  unknown property is dropped on deserialisation), so a query for it prints nothing and
  `--set securityProfile.proxyAgentSettings...` fails ("Couldn't find"). `az vm update
  --key-incarnation-id` exists from az 2.72.0 (AZ_STUB_VERSION); older exits 2. `az vmss
  update --instance-id` does GET + PUT and drops storageProfile.imageReference before the PUT
  (azure-cli vm/custom.py, "to avoid unnecessary permission check of image").

Environment: AZ_STUB_SERVER (http://127.0.0.1:PORT), AZ_STUB_CLOUD (AzureCloud,
AzureUSGovernment, AzureChinaCloud), AZ_STUB_SUBSCRIPTION, AZ_STUB_VERSION,
AZ_STUB_COMPUTE_API, AZ_STUB_LOG (argv of every call appended as one JSON line).
"""
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

import jmespath

CLOUDS = {
    "AzureCloud": "https://management.azure.com/",
    "AzureUSGovernment": "https://management.usgovcloudapi.net/",
    "AzureChinaCloud": "https://management.chinacloudapi.cn/",
}
SDK_API = "2024-03-01"  # what the stub sends on the wire for az vm/vmss commands


def fail(message, code=1):
    sys.stderr.write(message + "\n")
    sys.exit(code)


def version_tuple(text):
    return tuple(int(p) for p in text.split("."))


class Args:
    """argparse-like: options with values, flags, unknown options are an error (exit 2)."""

    def __init__(self, argv, with_value, flags=()):
        self.values = {}
        self.flags = set()
        i = 0
        while i < len(argv):
            a = argv[i]
            if a in flags:
                self.flags.add(a)
                i += 1
            elif a in with_value:
                key = with_value[a]
                vals = []
                i += 1
                while i < len(argv) and not (argv[i].startswith("-") and len(argv[i]) > 1
                                             and not argv[i][1].isdigit()):
                    vals.append(argv[i])
                    i += 1
                if not vals:
                    fail("az: error: argument %s: expected one argument" % a, 2)
                self.values.setdefault(key, []).extend(vals)
            else:
                fail("az: error: unrecognized arguments: %s" % " ".join(argv[i:]), 2)

    def one(self, key, default=None):
        v = self.values.get(key)
        if v is None:
            return default
        if len(v) != 1:
            fail("az: error: unrecognized arguments: %s" % " ".join(v[1:]), 2)
        return v[0]


COMMON = {"--query": "query", "-o": "output", "--output": "output",
          "--subscription": "subscription"}


def arm_base():
    cloud = os.environ.get("AZ_STUB_CLOUD", "AzureCloud")
    return CLOUDS[cloud]


def send(method, url, body=None, headers=None):
    """url: absolute, on the logged-in cloud's ARM host; sent to the loopback server."""
    parsed = urllib.parse.urlsplit(url)
    base = urllib.parse.urlsplit(arm_base())
    if parsed.scheme != "https" or parsed.netloc.lower() != base.netloc:
        # A token for the logged-in cloud is not valid elsewhere; the test never leaves loopback.
        fail("ERROR: the stub az is logged in to %s; it does not send to %s" %
             (os.environ.get("AZ_STUB_CLOUD", "AzureCloud"), parsed.netloc))
    target = os.environ["AZ_STUB_SERVER"] + parsed.path + ("?" + parsed.query if parsed.query else "")
    h = {"Authorization": "Bearer stub-token"}
    data = None
    if body is not None:
        data = body.encode("utf-8")
        try:
            json.loads(body)
            h["Content-Type"] = "application/json"
        except ValueError:
            pass
    h.update(headers or {})
    req = urllib.request.Request(target, data=data, method=method.upper(), headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8")


def arm_json(method, path, body=None, headers=None):
    status, text = send(method, arm_base() + path.lstrip("/"), body, headers)
    if status >= 400:
        fail("ERROR: (%d) %s" % (status, text))
    return json.loads(text) if text else None


def tsv_cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (dict, list)):
        return ""
    return str(v)


def tsv(obj):
    if obj is None:
        return ""
    rows = obj if isinstance(obj, list) else [obj]
    lines = []
    for row in rows:
        if isinstance(row, dict):
            lines.append("\t".join(tsv_cell(v) for v in row.values()
                                   if not isinstance(v, (dict, list))))
        elif isinstance(row, list):
            lines.append("\t".join(tsv_cell(v) for v in row))
        else:
            lines.append(tsv_cell(row))
    return "".join(line + "\n" for line in lines)


def emit(result, args):
    query = args.one("query")
    if query is not None:
        try:
            result = jmespath.search(query, result)
        except jmespath.exceptions.JMESPathError as e:
            fail("ERROR: %s" % e)
    fmt = args.one("output", "json")
    if fmt == "tsv":
        sys.stdout.write(tsv(result))
    elif fmt == "json":
        if result is not None:
            sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        fail("az: error: argument --output/-o: invalid choice: '%s'" % fmt, 2)


def old_sdk():
    return os.environ.get("AZ_STUB_COMPUTE_API", "2024-07-01") < "2023-09-01"


def flatten(model):
    """The SDK model as az prints it: properties lifted to the top level."""
    out = {k: v for k, v in model.items() if k != "properties"}
    out.update(model.get("properties") or {})
    if old_sdk():
        sp = out.get("securityProfile")
        if isinstance(sp, dict):
            sp.pop("proxyAgentSettings", None)
    return out


def unflatten(flat, original):
    top = {"id", "name", "type", "location", "tags", "etag", "sku", "plan", "zones", "identity",
           "instanceId", "resources", "extendedLocation", "managedBy"}
    model = {k: v for k, v in flat.items() if k in top}
    model["properties"] = {k: v for k, v in flat.items() if k not in top}
    return model


def vm_id_arg(args):
    ids = args.one("ids")
    if ids:
        return ids
    fail("ERROR: (--resource-group --name | --ids) are required")


def ssvm_path(args):
    sub = args.one("subscription") or os.environ.get("AZ_STUB_SUBSCRIPTION")
    for k in ("group", "name", "instance"):
        if not args.one(k):
            fail("az: error: the following arguments are required: --resource-group, --name, "
                 "--instance-id", 2)
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/"
            "virtualMachineScaleSets/%s/virtualMachines/%s" %
            (sub, args.one("group"), args.one("name"), args.one("instance")))


def generic_set(flat, expression):
    path, _, value = expression.partition("=")
    try:
        value = json.loads(value)
    except ValueError:
        pass
    parts = path.split(".")
    node = flat
    for i, part in enumerate(parts[:-1]):
        if not isinstance(node, dict) or part not in node or node[part] is None:
            fail("ERROR: Couldn't find '%s' in '%s'. Available options: %s" %
                 (part, ".".join(parts[:i]) or "", sorted(node.keys()) if isinstance(node, dict)
                  else []))
        node = node[part]
    node[parts[-1]] = value


def cmd_rest(argv):
    args = Args(argv, {"--method": "method", "-m": "method", "--url": "url", "--uri": "url",
                       "-u": "url", "--body": "body", "-b": "body", "--headers": "headers",
                       "--resource": "resource", **COMMON})
    method = args.one("method", "get").lower()
    if method not in ("get", "put", "patch", "post", "delete", "head", "options"):
        fail("az: error: argument --method/-m: invalid choice: '%s'" % method, 2)
    url = args.one("url")
    if url is None:
        fail("az: error: the following arguments are required: --url/--uri/-u", 2)
    if "://" not in url:
        url = arm_base() + url.lstrip("/")
    headers = {}
    for word in args.values.get("headers", []):
        try:
            headers.update(json.loads(word))
        except ValueError:
            k, _, v = word.partition("=")
            headers[k] = v
    body = args.one("body")
    if body is not None and body.startswith("@"):
        with open(body[1:], encoding="utf-8") as f:
            body = f.read()
    status, text = send(method, url, body, headers)
    if status >= 400:
        fail("ERROR: %s(%s)" % ({400: "Bad Request", 403: "Forbidden", 404: "Not Found",
                                 405: "Method Not Allowed", 412: "Precondition Failed"}
                                .get(status, str(status)), text))
    result = None
    if text:
        try:
            result = json.loads(text)
        except ValueError:
            sys.stdout.write(text)
            return
    emit(result, args)


VM_ARGS = {"--ids": "ids", "--key-incarnation-id": "key", **COMMON}
SS_ARGS = {"-g": "group", "--resource-group": "group", "-n": "name", "--name": "name",
           "--instance-id": "instance", "--set": "set", **COMMON}


def cmd_vm(argv):
    verb, rest = argv[0], argv[1:]
    if verb == "update" and "--key-incarnation-id" in rest and version_tuple(
            os.environ.get("AZ_STUB_VERSION", "2.72.0")) < (2, 72, 0):
        fail("az: error: unrecognized arguments: --key-incarnation-id", 2)
    if verb == "list":
        args = Args(rest, COMMON, flags=("-d", "--show-details"))
        sub = args.one("subscription") or os.environ["AZ_STUB_SUBSCRIPTION"]
        models = arm_json("GET", "/subscriptions/%s/providers/Microsoft.Compute/virtualMachines"
                          "?api-version=%s" % (sub, SDK_API))["value"]
        out = [flatten(m) for m in models]
        if args.flags:
            status, text = send("GET", arm_base() + "__details")
            details = json.loads(text)
            for vm in out:
                d = details.get(vm["id"].lower(), {})
                vm["privateIps"] = ",".join(d.get("privateIps", []))
                vm["publicIps"] = ",".join(d.get("publicIps", []))
                vm["powerState"] = d.get("powerState", "VM running")
        return emit(out, args)
    args = Args(rest, VM_ARGS)
    rid = vm_id_arg(args)
    path = rid + "?api-version=" + SDK_API
    if verb == "show":
        return emit(flatten(arm_json("GET", path)), args)
    if verb == "get-instance-view":
        flat = flatten(arm_json("GET", path))
        flat["instanceView"] = arm_json("GET", rid + "/instanceView?api-version=" + SDK_API)
        return emit(flat, args)
    if verb == "update":
        model = arm_json("GET", path)
        key = args.one("key")
        if key is not None:
            sec = model["properties"].setdefault("securityProfile", {})
            sec.setdefault("proxyAgentSettings", {})["keyIncarnationId"] = int(key)
        return emit(flatten(arm_json("PUT", path, json.dumps(model))), args)
    fail("az: the stub does not implement 'az vm %s'" % verb, 2)


def cmd_vmss(argv):
    verb, rest = argv[0], argv[1:]
    args = Args(rest, SS_ARGS)
    rid = ssvm_path(args)
    path = rid + "?api-version=" + SDK_API
    if verb == "show":
        return emit(flatten(arm_json("GET", path)), args)
    if verb == "get-instance-view":
        return emit(arm_json("GET", rid + "/instanceView?api-version=" + SDK_API), args)
    if verb == "update":
        original = arm_json("GET", path)
        flat = flatten(original)
        for expression in args.values.get("set", []):
            generic_set(flat, expression)
        model = unflatten(flat, original)
        (model["properties"].get("storageProfile") or {}).pop("imageReference", None)
        return emit(flatten(arm_json("PUT", path, json.dumps(model))), args)
    fail("az: the stub does not implement 'az vmss %s'" % verb, 2)


def main():
    argv = sys.argv[1:]
    log = os.environ.get("AZ_STUB_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps(argv) + "\n")
    if not argv:
        fail("az: the stub needs a command", 2)
    if argv[0] == "rest":
        return cmd_rest(argv[1:])
    if argv[0] == "vm" and len(argv) > 1:
        return cmd_vm(argv[1:])
    if argv[0] == "vmss" and len(argv) > 1:
        return cmd_vmss(argv[1:])
    fail("az: the stub does not implement 'az %s'" % " ".join(argv[:2]), 2)


if __name__ == "__main__":
    main()
