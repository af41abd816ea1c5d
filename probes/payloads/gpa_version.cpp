#include "probes/payloads/gpa_version.h"

namespace latchwatch::probes {

std::optional<GpaVersion> GpaVersion::parse(std::string_view text) {
  GpaVersion v;
  std::size_t count = 0, pos = 0;
  while (true) {
    if (count == v.parts.size()) return std::nullopt;
    std::size_t digits = 0;
    int value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 7) {
      value = value * 10 + (text[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0 || digits > 6) return std::nullopt;
    v.parts[count++] = value;
    if (pos == text.size()) break;
    if (text[pos] != '.') return std::nullopt;
    ++pos;
  }
  if (count < 2) return std::nullopt;
  return v;
}

}  // namespace latchwatch::probes
