# Packer template: bake latchwatch into an Azure image with Packer's azure-arm builder. A whole
# template, run as it is (docs/fleet/image-bake.md):
#   packer init packer.pkr.hcl
#   packer build -var-file=latchwatch.pkrvars.hcl packer.pkr.hcl
# It uploads ONE package (the .deb for Debian and Ubuntu, the RPM for RHEL/Alma/Rocky, SLES and
# Azure Linux) and your config.json, refuses a package whose SHA-256 is not package_sha256,
# installs and enables latchwatch, then stops it and empties its state folder (report, history,
# debounce, identity cache, spool) and the node_exporter textfile, so no VM made from the image
# starts with the build VM's state, and deprovisions the VM for capture.
packer {
  required_plugins {
    azure = {
      source  = "github.com/hashicorp/azure"
      version = ">= 2.0.0"
    }
  }
}

variable "package_file" {
  type        = string
  description = "Path of the one package this image needs: latchwatch_<version>_amd64.deb or latchwatch-<version>-1.x86_64.rpm."
}
variable "package_sha256" {
  type        = string
  description = "sha256sum of package_file (from the release's SHA256SUMS)."
  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.package_sha256))
    error_message = "package_sha256 must be 64 lower-case hex digits."
  }
}
variable "config_file" {
  type        = string
  default     = "config.json"
  description = "Your latchwatch config (it becomes /etc/latchwatch/config.json, root 0640)."
}
variable "subscription_id" { type = string }
variable "location" { type = string }
variable "gallery_resource_group" { type = string }
variable "gallery_name" { type = string }
variable "gallery_image_name" { type = string }
variable "gallery_image_version" { type = string }
variable "image_publisher" {
  type    = string
  default = "Canonical"
}
variable "image_offer" {
  type    = string
  default = "ubuntu-24_04-lts"
}
variable "image_sku" {
  type    = string
  default = "server"
}
variable "vm_size" {
  type    = string
  default = "Standard_D2s_v5"
}

locals {
  package_name = basename(var.package_file)
  config_name  = "latchwatch-config.json"
}

source "azure-arm" "latchwatch" {
  use_azure_cli_auth = true
  subscription_id    = var.subscription_id
  location           = var.location
  vm_size            = var.vm_size
  os_type            = "Linux"
  image_publisher    = var.image_publisher
  image_offer        = var.image_offer
  image_sku          = var.image_sku

  shared_image_gallery_destination {
    subscription        = var.subscription_id
    resource_group      = var.gallery_resource_group
    gallery_name        = var.gallery_name
    image_name          = var.gallery_image_name
    image_version       = var.gallery_image_version
    replication_regions = [var.location]
  }
}

build {
  sources = ["source.azure-arm.latchwatch"]

  provisioner "file" {
    source      = var.package_file
    destination = "/tmp/${local.package_name}"
  }

  provisioner "file" {
    source      = var.config_file
    destination = "/tmp/${local.config_name}"
  }

  # The install, and last the capture step: the same lines as the Image Builder template
  # (packaging/azure/image-builder/latchwatch-linux.json; packaging/azure/tests checks both).
  provisioner "shell" {
    inline = [
      "sudo sh -c 'set -e; cd /tmp; echo \"${var.package_sha256}  ${local.package_name}\" | sha256sum -c -; install -d -m 0755 /etc/latchwatch; install -m 0640 -o root -g root ${local.config_name} /etc/latchwatch/config.json; case ${local.package_name} in *.deb) DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold ./${local.package_name} ;; *.rpm) if command -v dnf >/dev/null; then dnf install -y ./${local.package_name}; elif command -v tdnf >/dev/null; then tdnf install -y ./${local.package_name}; elif command -v zypper >/dev/null; then zypper --non-interactive install --allow-unsigned-rpm ./${local.package_name}; else rpm -U --replacepkgs ${local.package_name}; fi ;; *) echo \"not a .deb or .rpm: ${local.package_name}\" >&2; exit 1 ;; esac; rm -f /etc/latchwatch/config.json.rpmnew; latchwatch config validate /etc/latchwatch/config.json; systemctl enable latchwatch.service; rm -f ${local.package_name} ${local.config_name}'",
      "sudo sh -c 'systemctl stop latchwatch.service latchwatch-check.timer latchwatch-check.service 2>/dev/null || true; state=$(latchwatch config show | sed -n \"s/^ *\\\"state_dir\\\": \\\"\\\\(.*\\\\)\\\",*$/\\\\1/p\"); textfile=$(latchwatch config show | sed -n \"s/^ *\\\"textfile_dir\\\": \\\"\\\\(.*\\\\)\\\",*$/\\\\1/p\"); find \"$${state:-/var/lib/latchwatch}\" -mindepth 1 -delete; for dir in \"$textfile\" /var/lib/prometheus/node-exporter /var/lib/node_exporter; do [ -n \"$dir\" ] && rm -f \"$dir/latchwatch.prom\"; done; systemctl is-enabled latchwatch.service'",
    ]
  }

  # Packer's own step for Azure Linux images: generalise the VM for capture.
  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'"
    inline          = ["/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync"]
    inline_shebang  = "/bin/sh -x"
  }
}
