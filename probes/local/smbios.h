#pragma once
/// The SMBIOS system UUID, which names the VM even with IMDS down: on Linux from
/// /sys/class/dmi/id/product_uuid, on Windows from the firmware's SMBIOS structure table
/// (GetSystemFirmwareTable('RSMB')), parsed here by a pure function that both platforms compile.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "probes/base/parsed.h"

namespace latchwatch::probes {

/// Returns the UUID lower-cased as read. Fails (with the reason) when unreadable or not a UUID.
/// An empty `path` reads the firmware's own table instead (read_firmware_smbios_uuid).
Parsed<std::string> read_smbios_uuid(const std::string& path);

/// The UUID of the System Information structure (type 1, UUID at offset 08h) in a raw SMBIOS
/// structure table (DMTF DSP0134 §6.1: formatted area, then strings ending in a double NUL).
/// From SMBIOS 2.6 on the first three fields are little-endian (DSP0134 §7.2.1); before 2.6
/// the bytes are printed in order, as Linux's dmi_id does. Fails, naming why, for a truncated
/// or malformed table, a missing type 1 or a too-short one, and for the all-zero ("not set")
/// and all-FF ("not present") UUIDs. Never reads outside `table`.
Parsed<std::string> smbios_uuid_from_table(std::string_view table, int major_version,
                                           int minor_version);

/// The SMBIOS version an entry point names (DSP0134 §5.2): "_SM3_" (3.x, major at 07h, minor at
/// 08h) or "_SM_" (2.x, major at 06h, minor at 07h), as Linux exports it in
/// /sys/firmware/dmi/tables/smbios_entry_point. Fails for anything else.
Parsed<std::pair<int, int>> smbios_version_from_entry_point(std::string_view entry);

/// Windows' RawSMBIOSData as GetSystemFirmwareTable('RSMB', 0) returns it: an 8-byte header
/// (Used20CallingMethod, SMBIOSMajorVersion, SMBIOSMinorVersion, DmiRevision, DWORD Length)
/// then Length bytes of structure table.
Parsed<std::string> smbios_uuid_from_raw_smbios_data(std::string_view raw);

/// The system's own table: GetSystemFirmwareTable on Windows; /sys/firmware/dmi/tables (root
/// only) on Linux. Fails with the reason (API error, no table, no UUID).
Parsed<std::string> read_firmware_smbios_uuid();

/// The same UUID with its first three groups byte-swapped (Gen1 VMs report vmId this way).
std::string byte_swapped_uuid(const std::string& uuid);

/// True when `vm_id` equals `smbios_uuid` directly or byte-swapped (case-insensitive).
bool smbios_matches_vm_id(const std::string& smbios_uuid, const std::string& vm_id);

}  // namespace latchwatch::probes
