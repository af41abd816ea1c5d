# %preun, as %systemd_preun does: on erase ($1 = 0, not an upgrade) stop and disable both units,
# which removes their enable symlinks.
if [ "$1" -eq 0 ]; then
  systemctl --no-reload disable --now latchwatch.service latchwatch-check.timer >/dev/null 2>&1 || :
fi
