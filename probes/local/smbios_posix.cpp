#include "probes/local/bounded_file.h"
#include "probes/local/smbios.h"

namespace latchwatch::probes {

/// Linux exports the table and its entry point (root only): the entry point names the version,
/// "_SM_" (2.x: major at 06h, minor at 07h) or "_SM3_" (3.x: major at 07h, minor at 08h).
Parsed<std::string> read_firmware_smbios_uuid() {
  const std::string dir = "/sys/firmware/dmi/tables/";
  auto entry = read_bounded_file(dir + "smbios_entry_point", 4096);
  if (entry.state != ReadState::ok) return Parsed<std::string>::fail(entry.error);
  int major = 0, minor = 0;
  const std::string& e = entry.content;
  if (e.size() >= 9 && e.compare(0, 5, "_SM3_") == 0) {
    major = static_cast<unsigned char>(e[7]);
    minor = static_cast<unsigned char>(e[8]);
  } else if (e.size() >= 8 && e.compare(0, 4, "_SM_") == 0) {
    major = static_cast<unsigned char>(e[6]);
    minor = static_cast<unsigned char>(e[7]);
  } else {
    return Parsed<std::string>::fail(dir + "smbios_entry_point: not an SMBIOS entry point");
  }
  auto table = read_bounded_file(dir + "DMI", 1024 * 1024);
  if (table.state != ReadState::ok) return Parsed<std::string>::fail(table.error);
  return smbios_uuid_from_table(table.content, major, minor);
}

}  // namespace latchwatch::probes
