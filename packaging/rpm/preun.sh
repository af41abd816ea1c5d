# %preun, as %systemd_preun does: on erase ($1 = 0, not an upgrade) stop and disable both units,
# which removes their enable symlinks; then withdraw what latchwatch published (the node_exporter
# textfile, its KVP records, the latest report), so no alert keeps firing for this VM.
if [ "$1" -eq 0 ]; then
  systemctl --no-reload disable --now latchwatch.service latchwatch-check.timer >/dev/null 2>&1 || :
  if [ -x /usr/bin/latchwatch ]; then
    /usr/bin/latchwatch withdraw >/dev/null || :
  fi
fi
