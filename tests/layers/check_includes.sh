#!/usr/bin/env bash
# The house's one rule: includes point down. Each library folder has a floor; a file may include
# headers of its own folder and of folders on lower floors only (never a floor above, never a
# neighbour on the same floor, never tests/). Prints every include that breaks it; exit 1 if any.
#   tests/layers/check_includes.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"

# folder  floor   (bottom to top; docs/contributing.md draws it)
floors='
probes/base       0
probes/os         1
probes/net        1
probes/payloads   2
probes/local      2
probes/fabric     3
reporting/report  4
reporting/sinks   5
agent/diagnosis   5
agent/plan        5
agent/config      6
agent/daemon      7
agent/cli         8
agent             9
'
floor_of() {  # the floor of the library folder that holds path $1, or nothing
  local dir=${1%/*} folder floor
  while read -r folder floor; do
    [ -n "$folder" ] && [ "$dir" = "$folder" ] && { echo "$floor"; return; }
  done <<<"$floors"
}

status=0 checked=0
while IFS= read -r file; do
  from=$(floor_of "$file")
  if [ -z "$from" ]; then
    echo "$file: not in a library folder of the house (add the folder to $0)"
    status=1
    continue
  fi
  checked=$((checked + 1))
  while IFS= read -r line; do
    header=${line#*\"}
    header=${header%%\"*}
    if [ "${header%/*}" = "${file%/*}" ]; then continue; fi
    to=$(floor_of "$header")
    if [ -z "$to" ]; then
      echo "$file: includes $header, which is no library of the house"
      status=1
    elif [ "$to" -ge "$from" ]; then
      echo "$file (floor $from): includes $header (floor $to): includes must point down"
      status=1
    fi
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
done < <(git ls-files -- 'probes/*' 'reporting/*' 'agent/*' 2>/dev/null | grep -E '\.(h|cpp)$' ||
         find probes reporting agent -name '*.h' -o -name '*.cpp')
echo "layers: $checked files checked, includes $([ $status = 0 ] && echo all point down || echo break the house)"
exit $status
