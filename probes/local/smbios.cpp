#include "probes/local/smbios.h"

#include "probes/local/bounded_file.h"
#include "probes/payloads/json_limits.h"

namespace latchwatch::probes {

Parsed<std::string> read_smbios_uuid(const std::string& path) {
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
