# %post, as %systemd_post does, but enabling rather than applying presets: latchwatch is
# installed to run. $1 is 1 on a first install, 2 or more on an upgrade.
install -d -m 0750 /var/lib/latchwatch
if [ "$1" -eq 1 ]; then
  systemctl --no-reload enable latchwatch.service >/dev/null 2>&1 || :
fi
