# Packer provisioner snippet: bake latchwatch into an Azure image. Put it in your build block.
build {
  sources = ["source.azure-arm.image"]

  provisioner "file" {
    source      = "latchwatch_0.1.0_amd64.deb"
    destination = "/tmp/latchwatch.deb"
  }

  provisioner "shell" {
    execute_command = "sudo sh -c '{{ .Vars }} {{ .Path }}'"
    inline = [
      "apt-get install -y /tmp/latchwatch.deb",
      "latchwatch config validate /etc/latchwatch/config.json",
      "systemctl enable latchwatch.service",
    ]
  }
}
