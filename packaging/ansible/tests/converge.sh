#!/usr/bin/env bash
# The Ansible role and the collection playbook, run for real with Debian's ansible against a
# Debian 11 root the test makes, reached by the community.general.chroot connection (the
# playbooks are connection-agnostic; owners use SSH):
#   a package file with the wrong SHA-256 fails the play before anything is installed;
#   install.yml converges (the real .deb, the config, a webhook secret from an ansible-vault
#   encrypted file, decrypted to a root 0600 file), and a second run changes nothing (changed=0);
#   collect-reports.yml gathers `latchwatch check --json` from the target (the installed binary
#   against the fabric simulator's key loss, IMDS still answering) into a folder, and
#   `latchwatch plan resets FOLDER` plans that VM's reset (exit 0, the VM by its resource id).
#   usage: converge.sh SOURCE BUILD
set -euo pipefail
source=$1 build=$2
here=$(cd "$(dirname "$0")" && pwd)
azure_tests=$source/packaging/azure/tests
[ "$(id -u)" -eq 0 ] || { echo "needs root (chroot connection, mounts)"; exit 77; }
command -v ansible-playbook >/dev/null || { echo "ansible missing (packaging/azure/tests/deps.txt)"; exit 1; }
# shellcheck source=../../azure/tests/fleet_root.sh
. "$azure_tests/fleet_root.sh"
deb=$(deb_of "$source" "$build")
sha=$(sha256sum "$deb" | cut -d' ' -f1)
work=$(mktemp -d "$build/fleet-ansible.XXXXXX")
sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
make_root "$work"
root=$work/root
start_sim "$build" "$work" "$root" key_lost_audit  # key lost, IMDS answering: the report names its VM
add_sim_host "$root"

# The owner's variables: the package, a config for the simulator (no serial device), a secret
# file encrypted with ansible-vault.
echo "test-vault-password" > "$work/vault-pass"
printf 'webhook-hmac-secret-%s' "$RANDOM$RANDOM" > "$work/webhook.secret"
cp "$work/webhook.secret" "$work/webhook.secret.plain"
ANSIBLE_VAULT_PASSWORD_FILE=$work/vault-pass ansible-vault encrypt "$work/webhook.secret" >/dev/null
grep -q '^\$ANSIBLE_VAULT' "$work/webhook.secret"
sim_config "$build" "$work"
/usr/bin/python3 - "$work/sim-config.json" "$work/vars.yml" "$deb" "$sha" "$work/webhook.secret" <<'PY'
import json, sys, yaml
src, out, deb, sha, secret = sys.argv[1:]
config = json.load(open(src))
config["sinks"]["serial"]["enabled"] = False
config["sinks"]["metrics"]["listen"] = "127.0.0.1:0"
config["sinks"]["webhook"]["secret_file"] = "/etc/latchwatch/secrets/webhook"
yaml.safe_dump({"latchwatch_package_file": deb, "latchwatch_package_sha256": sha,
                "latchwatch_config": config, "latchwatch_secret_files": {"webhook": secret},
                "latchwatch_service_state": "", "latchwatch_systemd_offline": True}, open(out, "w"))
PY
cat > "$work/inventory" <<INV
[fleet]
vm1 ansible_connection=community.general.chroot ansible_host=$root ansible_python_interpreter=/usr/bin/python3
INV

cat > "$work/inside.sh" <<'INNER'
set -u
source=$1 build=$2 work=$3 root=$4 sha=$5
fail=0
check() { if eval "$1"; then :; else echo "FAIL: $2"; fail=1; fi; }
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
export ANSIBLE_ROLES_PATH=$source/packaging/ansible/roles ANSIBLE_VAULT_PASSWORD_FILE=$work/vault-pass
export ANSIBLE_NOCOLOR=1 ANSIBLE_PIPELINING=True ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_LOCAL_TEMP=$work/ansible-tmp ANSIBLE_RETRY_FILES_ENABLED=False
play() { ansible-playbook -i "$work/inventory" "$@"; }

wrong=$(printf '0%.0s' $(seq 64))
if play "$source/packaging/ansible/install.yml" -e @"$work/vars.yml" -e latchwatch_package_sha256=$wrong > "$work/wrong.log" 2>&1; then
  echo "FAIL: the play accepted a package with the wrong SHA-256"; fail=1
fi
check 'grep -q "SHA-256 is not latchwatch_package_sha256" "$work/wrong.log"' "wrong SHA-256: not the role's refusal: $(tail -5 "$work/wrong.log")"
check '! chroot "$root" dpkg -s latchwatch >/dev/null 2>&1' "wrong SHA-256: installed anyway"

for run in 1 2; do
  play "$source/packaging/ansible/install.yml" -e @"$work/vars.yml" > "$work/install-$run.log" 2>&1 || { echo "FAIL: install run $run: $(tail -30 "$work/install-$run.log")"; fail=1; }
  grep -E '^vm1 +:' "$work/install-$run.log" | sed "s/^/install run $run: /"
done
check 'grep -qE "^vm1 +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0" "$work/install-2.log"' "the second run changed something: $(grep -B1 -E '^changed:' "$work/install-2.log" | head -20)"
check 'chroot "$root" dpkg -s latchwatch 2>/dev/null | grep -q "Status: install ok installed"' "not installed"
check '[ -L "$root/etc/systemd/system/multi-user.target.wants/latchwatch.service" ]' "not enabled"
check '[ "$(stat -c "%a %U" "$root/etc/latchwatch/config.json")" = "640 root" ]' "config not root 0640"
check 'grep -q "/etc/latchwatch/secrets/webhook" "$root/etc/latchwatch/config.json"' "the config is not the role's"
check 'cmp -s "$work/webhook.secret.plain" "$root/etc/latchwatch/secrets/webhook"' "the vault secret was not decrypted onto the host"
check '[ "$(stat -c "%a %U" "$root/etc/latchwatch/secrets/webhook")" = "600 root" ]' "secret not root 0600"
check '! grep -qF "$(cat "$work/webhook.secret.plain")" "$work/install-1.log" "$work/install-2.log"' "a secret was printed"

play "$source/packaging/ansible/collect-reports.yml" -e latchwatch_reports_dir="$work/reports" > "$work/collect.log" 2>&1 || { echo "FAIL: collect: $(tail -30 "$work/collect.log")"; fail=1; }
check '[ -s "$work/reports/vm1.json" ]' "no report collected"
check 'grep -q "\"code\": \"key_lost\"" "$work/reports/vm1.json"' "the collected report is not the target's key loss"
set +e
"$build/agent/latchwatch" plan resets "$work/reports" > "$work/plan.txt" 2>&1
code=$?
set -e
check '[ $code -eq 0 ]' "plan resets exit $code: $(cat "$work/plan.txt")"
check 'grep -q "virtualMachines/vm-latch-01  key_lost  keyIncarnationId [0-9]* -> [0-9]*" "$work/plan.txt"' "plan resets did not plan this VM's reset: $(cat "$work/plan.txt")"
check 'grep -q "^    \$ " "$work/plan.txt"' "plan resets printed no command"
echo "plan resets on the collected folder: $(grep -c '^    \$ ' "$work/plan.txt") command line(s)"
exit $fail
INNER
unshare --mount --propagation private bash "$work/inside.sh" "$source" "$build" "$work" "$root" "$sha"
echo "the role converges (second run changed=0) and the collected reports plan the reset"
