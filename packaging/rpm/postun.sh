# %postun, as %systemd_postun_with_restart does: reload unit files, and on an upgrade ($1 >= 1)
# restart the daemon if it runs. On erase the state folder goes too (as a Debian purge does).
systemctl daemon-reload >/dev/null 2>&1 || :
if [ "$1" -ge 1 ]; then
  systemctl try-restart latchwatch.service >/dev/null 2>&1 || :
else
  systemctl reset-failed latchwatch.service latchwatch-check.service >/dev/null 2>&1 || :
  rm -rf /var/lib/latchwatch
  rm -f /var/lib/prometheus/node-exporter/latchwatch.prom /var/lib/node_exporter/latchwatch.prom
fi
