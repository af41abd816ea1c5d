#include "probes/local/uptime.h"

#include "probes/os/bounded_file.h"

namespace latchwatch::probes {

std::optional<double> read_uptime_file(const std::string& path, std::string& error) {
  auto file = read_bounded_file(path, 256);
  if (file.state != ReadState::ok) {
    error = file.error.empty() ? path + ": " + to_string(file.state) : file.error;
    return std::nullopt;
  }
  const std::string& text = file.content;
  std::size_t pos = 0;
  double whole = 0, fraction = 0, scale = 1;
  std::size_t digits = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 12) {
    whole = whole * 10 + (text[pos++] - '0');
    ++digits;
  }
  if (digits > 0 && pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && scale > 1e-9) {
      scale /= 10;
      fraction += (text[pos++] - '0') * scale;
    }
  }
  if (digits == 0 || digits >= 12 || (pos < text.size() && text[pos] != ' ' && text[pos] != '\n')) {
    error = path + ": not in /proc/uptime format";
    return std::nullopt;
  }
  return whole + fraction;
}

std::optional<double> read_uptime(const std::string& path, std::string& error) {
  return path.empty() ? read_system_uptime(error) : read_uptime_file(path, error);
}

}  // namespace latchwatch::probes
