# Packer provisioner snippet: bake latchwatch into an Azure image. Put it in your build block.
# One static binary serves every image Azure endorses (glibc 2.28+): the .deb for Debian and
# Ubuntu, the RPM for RHEL/Alma/Rocky, SLES and Azure Linux. The package enables the daemon.
build {
  sources = ["source.azure-arm.image"]

  provisioner "file" {
    sources     = ["latchwatch_0.1.0_amd64.deb", "latchwatch-0.1.0-1.x86_64.rpm"]
    destination = "/tmp/"
  }

  provisioner "shell" {
    execute_command = "sudo sh -c '{{ .Vars }} {{ .Path }}'"
    inline = [
      "if command -v apt-get >/dev/null; then apt-get install -y /tmp/latchwatch_0.1.0_amd64.deb; elif command -v dnf >/dev/null; then dnf install -y /tmp/latchwatch-0.1.0-1.x86_64.rpm; elif command -v tdnf >/dev/null; then tdnf install -y /tmp/latchwatch-0.1.0-1.x86_64.rpm; else zypper --non-interactive install --allow-unsigned-rpm /tmp/latchwatch-0.1.0-1.x86_64.rpm; fi",
      "latchwatch config validate /etc/latchwatch/config.json",
      "systemctl is-enabled latchwatch.service",
    ]
  }
}
