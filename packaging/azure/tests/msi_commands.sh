#!/usr/bin/env bash
# The MSI's VM Application commands (packaging/azure/vm-application/vm-application-msi.json) and
# the Windows Image Builder template's steps, checked as far as this machine can:
#   statically, always: they name the file the settings give (latchwatch.msi, config.json), check
#   the SHA-256 before msiexec, install quietly (/qn /norestart), treat 3010 (reboot required) as
#   success, uninstall with /x, and withdraw latchwatch's registry KVP values and its
#   %ProgramData% folder on remove; the image step keeps config.json and clears the rest.
#   Run under wine: not done. The commands are PowerShell (Get-FileHash, Start-Process,
#   Restart-Service), which wine does not ship, and an MSI needs `make windows` (a second build).
#   With LATCHWATCH_MSI=path and wine64 installed, the msiexec install and uninstall lines are run
#   in a fresh wine prefix and the service's registration is checked.
#   usage: msi_commands.sh SOURCE [BUILD]
set -euo pipefail
source=$1
here=$(cd "$(dirname "$0")" && pwd)
template=$source/packaging/azure/vm-application/vm-application-msi.json
aib=$source/packaging/azure/image-builder/latchwatch-windows.json
sha=$(printf 'a%.0s' $(seq 64))
install=$("$here/armexpr.py" "$template" resources.1.properties.publishingProfile.manageActions.install packageSha256="$sha")
remove=$("$here/armexpr.py" "$template" resources.1.properties.publishingProfile.manageActions.remove)
fail=0
need() { grep -qF -- "$2" <<<"$1" || { echo "FAIL: $3"; fail=1; }; }
need "$install" "(Get-FileHash -Algorithm SHA256 latchwatch.msi).Hash -ne '$sha'" "install does not check the MSI's SHA-256"
need "$install" "msiexec.exe -Wait -PassThru -ArgumentList '/i latchwatch.msi /qn /norestart" "install is not a quiet msiexec /i of latchwatch.msi"
need "$install" '$p.ExitCode -ne 3010' "install fails on 3010 (reboot required)"
need "$install" "Copy-Item -Force config.json (Join-Path \$dir 'config.json')" "install does not put config.json in %ProgramData%\\latchwatch"
need "$remove" "'/x latchwatch.msi /qn /norestart'" "remove is not a quiet msiexec /x"
need "$remove" "'LATCHWATCH|*'" "remove leaves latchwatch's KVP values"
need "$remove" "Remove-Item -Recurse -Force" "remove leaves %ProgramData%\\latchwatch"
# The SHA check comes before msiexec.
[ "$(grep -bo 'Get-FileHash' <<<"$install" | head -1 | cut -d: -f1)" -lt "$(grep -bo 'msiexec' <<<"$install" | head -1 | cut -d: -f1)" ] || { echo "FAIL: msiexec before the SHA check"; fail=1; }
grep -q '"packageFileName": "latchwatch.msi"' "$template" || { echo "FAIL: packageFileName"; fail=1; }
grep -q '"configFileName": "config.json"' "$template" || { echo "FAIL: configFileName"; fail=1; }
capture=$(/usr/bin/python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["resources"][0]["properties"]["customize"][3]["inline"]))' "$aib")
need "$capture" "Where-Object { \$_.Name -ne 'config.json' } | Remove-Item -Recurse -Force" "the Windows capture step does not clear the state (keeping config.json)"
need "$capture" "Stop-Service latchwatch" "the Windows capture step does not stop the service first"
[ $fail -eq 0 ] || exit 1
echo "the MSI commands and the Windows image steps check the SHA-256, install quietly and leave no state (static checks)"
msi=${LATCHWATCH_MSI:-}
if [ -z "$msi" ] || [ ! -f "$msi" ] || ! command -v wine64 >/dev/null; then
  echo "not run under wine: no LATCHWATCH_MSI (make windows) or no wine64; PowerShell lines cannot run under wine anyway"
  exit 0
fi
prefix=$(mktemp -d)
trap 'WINEPREFIX=$prefix wineserver -k 2>/dev/null || true; rm -rf "$prefix"' EXIT
cp "$msi" "$prefix/latchwatch.msi"
cd "$prefix"
export WINEPREFIX=$prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wine64 msiexec /i latchwatch.msi /qn /norestart
wine64 reg query 'HKLM\SYSTEM\CurrentControlSet\Services\latchwatch' >/dev/null || { echo "FAIL: msiexec /i registered no latchwatch service"; exit 1; }
wine64 msiexec /x latchwatch.msi /qn /norestart
if wine64 reg query 'HKLM\SYSTEM\CurrentControlSet\Services\latchwatch' >/dev/null 2>&1; then echo "FAIL: msiexec /x left the service"; exit 1; fi
echo "under wine: msiexec /i registers the latchwatch service and /x removes it"
