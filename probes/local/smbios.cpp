#include "probes/local/smbios.h"

#include <cstdint>

#include "probes/base/json_limits.h"
#include "probes/os/bounded_file.h"

namespace latchwatch::probes {

namespace {

using Result = Parsed<std::string>;

}  // namespace

Result smbios_uuid_from_table(std::string_view table, int major_version, int minor_version) {
  static const char* const kHex = "0123456789abcdef";
  std::size_t pos = 0;
  while (pos + 4 <= table.size()) {
    auto type = static_cast<unsigned char>(table[pos]);
    auto length = static_cast<unsigned char>(table[pos + 1]);
    if (length < 4 || pos + length > table.size())
      return Result::fail("SMBIOS table: structure at offset " + std::to_string(pos) +
                          " has a bad length " + std::to_string(length));
    if (type == 1) {
      if (length < 0x18)
        return Result::fail("SMBIOS table: System Information is " + std::to_string(length) +
                            " bytes, too short for a UUID (SMBIOS 2.1+ has 25)");
      auto uuid = table.substr(pos + 8, 16);
      bool all_zero = true, all_ff = true;
      for (char c : uuid) {
        all_zero = all_zero && c == '\0';
        all_ff = all_ff && static_cast<unsigned char>(c) == 0xFF;
      }
      if (all_zero) return Result::fail("SMBIOS table: the system UUID is not set (all zero)");
      if (all_ff) return Result::fail("SMBIOS table: the system UUID is not present (all FF)");
      bool little_endian = major_version > 2 || (major_version == 2 && minor_version >= 6);
      static const int kLittle[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
      std::string text;
      for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
        auto byte = static_cast<unsigned char>(uuid[little_endian ? kLittle[i] : i]);
        text += kHex[byte >> 4];
        text += kHex[byte & 0x0F];
      }
      return Result::ok(text);
    }
    if (type == 127) break;  // End-of-Table
    // The strings follow the formatted area and end with two NULs (also when there are none).
    std::size_t next = pos + length;
    while (next + 1 < table.size() && (table[next] != '\0' || table[next + 1] != '\0')) ++next;
    if (next + 1 >= table.size())
      return Result::fail("SMBIOS table: strings of the structure at offset " +
                          std::to_string(pos) + " are not terminated");
    pos = next + 2;
  }
  return Result::fail("SMBIOS table: no System Information (type 1) structure");
}

Parsed<std::pair<int, int>> smbios_version_from_entry_point(std::string_view e) {
  auto byte = [&](std::size_t i) { return static_cast<int>(static_cast<unsigned char>(e[i])); };
  if (e.size() >= 0x18 && e.substr(0, 5) == "_SM3_")
    return Parsed<std::pair<int, int>>::ok({byte(7), byte(8)});
  if (e.size() >= 0x1F && e.substr(0, 4) == "_SM_")
    return Parsed<std::pair<int, int>>::ok({byte(6), byte(7)});
  return Parsed<std::pair<int, int>>::fail("not an SMBIOS 2.x or 3.x entry point");
}

Result smbios_uuid_from_raw_smbios_data(std::string_view raw) {
  if (raw.size() < 8) return Result::fail("SMBIOS data: shorter than its 8-byte header");
  auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(raw[i]));
  };
  std::uint32_t length = byte(4) | byte(5) << 8 | byte(6) << 16 | byte(7) << 24;
  if (length > raw.size() - 8)
    return Result::fail("SMBIOS data: header says " + std::to_string(length) + " bytes of table, " +
                        std::to_string(raw.size() - 8) + " follow");
  return smbios_uuid_from_table(raw.substr(8, length), static_cast<int>(byte(1)),
                                static_cast<int>(byte(2)));
}

Result read_smbios_uuid(const std::string& path) {
  if (path.empty()) return read_firmware_smbios_uuid();
  auto file = read_bounded_file(path, 4096);
  if (file.state != ReadState::ok) return Parsed<std::string>::fail(file.error);
  std::string text = file.content;
  auto begin = text.find_first_not_of(" \t\r\n");
  auto end = text.find_last_not_of(" \t\r\n");
  text = begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
  if (!is_guid(text)) return Parsed<std::string>::fail(path + ": not a UUID");
  return Parsed<std::string>::ok(ascii_lower(text));
}

std::string byte_swapped_uuid(const std::string& uuid) {
  if (!is_guid(uuid)) return uuid;
  auto swap_group = [&](std::size_t start, std::size_t bytes) {
    std::string out;
    for (std::size_t b = bytes; b-- > 0;) out += uuid.substr(start + 2 * b, 2);
    return out;
  };
  return swap_group(0, 4) + "-" + swap_group(9, 2) + "-" + swap_group(14, 2) + uuid.substr(18);
}

bool smbios_matches_vm_id(const std::string& smbios_uuid, const std::string& vm_id) {
  auto a = ascii_lower(smbios_uuid);
  auto b = ascii_lower(vm_id);
  return !a.empty() && (a == b || byte_swapped_uuid(a) == b);
}

}  // namespace latchwatch::probes
