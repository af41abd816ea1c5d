#pragma once
/// The SMBIOS system UUID (/sys/class/dmi/id/product_uuid), which names the VM even with IMDS down.

#include <string>

#include "probes/parsed.h"

namespace latchwatch::probes {

/// Returns the UUID lower-cased as read. Fails (with the reason) when unreadable or not a UUID.
Parsed<std::string> read_smbios_uuid(const std::string& path);

/// The same UUID with its first three groups byte-swapped (Gen1 VMs report vmId this way).
std::string byte_swapped_uuid(const std::string& uuid);

/// True when `vm_id` equals `smbios_uuid` directly or byte-swapped (case-insensitive).
bool smbios_matches_vm_id(const std::string& smbios_uuid, const std::string& vm_id);

}  // namespace latchwatch::probes
