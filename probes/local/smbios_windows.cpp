#include <windows.h>

#include <string>

#include "probes/local/smbios.h"

namespace latchwatch::probes {

/// GetSystemFirmwareTable('RSMB', 0): first asked for the size, then for the bytes (a table
/// that grew in between is asked for again, at most a few times).
Parsed<std::string> read_firmware_smbios_uuid() {
  constexpr DWORD kProvider = ('R' << 24) | ('S' << 16) | ('M' << 8) | 'B';
  for (int attempt = 0; attempt < 3; ++attempt) {
    UINT size = ::GetSystemFirmwareTable(kProvider, 0, nullptr, 0);
    if (size == 0)
      return Parsed<std::string>::fail("GetSystemFirmwareTable('RSMB') returned no table (error " +
                                       std::to_string(::GetLastError()) + ")");
    if (size > 1024 * 1024)
      return Parsed<std::string>::fail("GetSystemFirmwareTable('RSMB'): table of " +
                                       std::to_string(size) + " bytes is too large");
    std::string raw(size, '\0');
    UINT got = ::GetSystemFirmwareTable(kProvider, 0, raw.data(), size);
    if (got == 0)
      return Parsed<std::string>::fail("GetSystemFirmwareTable('RSMB') failed (error " +
                                       std::to_string(::GetLastError()) + ")");
    if (got > size) continue;  // grew: ask again
    raw.resize(got);
    return smbios_uuid_from_raw_smbios_data(raw);
  }
  return Parsed<std::string>::fail("GetSystemFirmwareTable('RSMB'): the table kept changing size");
}

}  // namespace latchwatch::probes
