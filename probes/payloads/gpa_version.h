#pragma once
/// GPA's version as it writes it in status.json (`proxyAgentStatus.version`, e.g. "1.0.25" or
/// the first release's "1.0.13.1"), and the eras whose behaviour the diagnosis depends on
/// (real-platform.md §2, read from Azure/GuestProxyAgent at each tag).

#include <array>
#include <optional>
#include <string_view>

namespace latchwatch::probes {

struct GpaVersion {
  std::array<int, 4> parts{};  ///< major, minor, patch, build (0 when absent)

  /// "1.0.13", "1.0.13.1": two to four dot-separated numbers of at most 6 digits each; anything
  /// else (empty, "unknown", "1.0.x") is no version.
  static std::optional<GpaVersion> parse(std::string_view text);

  bool operator<(const GpaVersion& o) const { return parts < o.parts; }
  bool at_most(int major, int minor, int patch) const {
    return !(GpaVersion{{major, minor, patch, 1 << 30}} < *this);  // any build of that patch
  }
  bool at_least(int major, int minor, int patch) const {
    return !(*this < GpaVersion{{major, minor, patch, 0}});
  }
};

}  // namespace latchwatch::probes
