#include "probes/local/smbios.h"
#include "probes/os/bounded_file.h"

namespace latchwatch::probes {

/// Linux exports the table and its entry point, which names the version (root only).
Parsed<std::string> read_firmware_smbios_uuid() {
  const std::string dir = "/sys/firmware/dmi/tables/";
  auto entry = read_bounded_file(dir + "smbios_entry_point", 4096);
  if (entry.state != ReadState::ok) return Parsed<std::string>::fail(entry.error);
  auto version = smbios_version_from_entry_point(entry.content);
  if (!version) return Parsed<std::string>::fail(dir + "smbios_entry_point: " + version.error);
  auto table = read_bounded_file(dir + "DMI", 1024 * 1024);
  if (table.state != ReadState::ok) return Parsed<std::string>::fail(table.error);
  return smbios_uuid_from_table(table.content, version.value->first, version.value->second);
}

}  // namespace latchwatch::probes
