#!/usr/bin/env bash
# The man page, the docs (docs/configuration.md, docs/report-and-verdicts.md) and --help list the same
# flags, config keys and verdicts as the binary's option table.
set -euo pipefail
binary=$1 source=$2
man="$source/packaging/latchwatch.8"
readme="$source/docs/configuration.md"
verdicts_doc="$source/docs/report-and-verdicts.md"
help=$("$binary" --help)
fail=0
while IFS=$'\t' read -r key flag _default _help; do
  grep -qF "$key" "$man" || { echo "man page lacks config key $key"; fail=1; }
  grep -qF "\`$key\`" "$readme" || { echo "docs/configuration.md lacks config key $key"; fail=1; }
  if [ "$flag" != "-" ]; then
    man_flag=${flag//-/\\-}
    grep -qF "$man_flag" "$man" || { echo "man page lacks flag $flag"; fail=1; }
    grep -qF "\`$flag\`" "$readme" || { echo "docs/configuration.md lacks flag $flag"; fail=1; }
    grep -qF -- "$flag" <<<"$help" || { echo "--help lacks flag $flag"; fail=1; }
  fi
done < <("$binary" config keys)
# And the other way: every flag --help shows is documented.
for flag in $(grep -oE -- '--[a-z][a-z0-9-]+' <<<"$help" | sort -u); do
  grep -qF "${flag//-/\\-}" "$man" || { echo "man page lacks $flag from --help"; fail=1; }
  grep -qF -- "$flag" "$source/README.md" "$source"/docs/*.md || { echo "no page under docs/ documents $flag from --help"; fail=1; }
done
for command in check run explain "config validate" "config show" "config keys"; do
  grep -qF "$command" <<<"$help" || { echo "--help lacks command $command"; fail=1; }
  grep -qF "${command}" "$man" || { echo "man page lacks command $command"; fail=1; }
done
# Every verdict code is in the man page and README.
for code in $("$binary" explain no_such_code 2>&1 | sed -n 's/.*known verdicts://p'); do
  grep -qF "$code" "$man" || { echo "man page lacks verdict $code"; fail=1; }
  grep -qF "\`$code\`" "$verdicts_doc" || { echo "docs/report-and-verdicts.md lacks verdict $code"; fail=1; }
done
# The shipped example config is exactly the defaults; the conffile holds only what the operator
# decides (sinks), each key at its default, so the binary's defaults change without touching it.
diff <("$binary" config show) "$source/packaging/config.example.json" || { echo "packaging/config.example.json drifted from the defaults (run latchwatch config show)"; fail=1; }
"$binary" config validate "$source/packaging/config.json" >/dev/null || { echo "packaging/config.json is not valid"; fail=1; }
python3 - "$source/packaging/config.json" "$source/packaging/config.example.json" <<'PY' || fail=1
import json, sys
conffile, example = (json.load(open(p)) for p in sys.argv[1:3])
def leaves(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from leaves(v, prefix + k + ".")
        else:
            yield prefix + k, v
flat = dict(leaves(example))
for key, value in leaves(conffile):
    if not key.startswith("sinks."):
        sys.exit(f"packaging/config.json: {key} is not the operator's decision (keep defaults in the binary)")
    if flat.get(key, object()) != value:
        sys.exit(f"packaging/config.json: {key} is not at its default")
PY
[ $fail -eq 0 ] && echo "docs consistent"
exit $fail
