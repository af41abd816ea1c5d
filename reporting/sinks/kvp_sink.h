#pragma once
/// Hyper-V KVP (guest → host pool, /var/lib/hyperv/.kvp_pool_1): the verdict and remedy as
/// fixed-size records the host reads even when WireServer is cut off. Format: a flat array of
/// 2560-byte records, a 512-byte key then a 2048-byte value, each NUL-padded; values kept at or
/// under 1022 bytes (what the Azure host reads), longer ones split into "<key>|<index>" records.
/// Only latchwatch's own records (keys starting "LATCHWATCH|") are ever rewritten or dropped;
/// everyone else's stay byte for byte. The file is locked with flock and fcntl both, since
/// cloud-init takes one and hv_kvp_daemon the other. The lock wait is bounded (`lock_timeout`):
/// a process holding the pool fails this cycle's write, which is retried every cycle until the
/// pool says what the daemon's confirmed state is (the sink mirrors state, it does not stream
/// events). A new sink (start, reload, KVP just enabled) always writes once.

#include <string>
#include <utility>
#include <vector>

#include "reporting/clock.h"
#include "reporting/sink.h"

namespace latchwatch::reporting {

constexpr std::size_t kKvpKeySize = 512;
constexpr std::size_t kKvpValueSize = 2048;
constexpr std::size_t kKvpRecordSize = kKvpKeySize + kKvpValueSize;
constexpr std::size_t kKvpMaxValue = 1022;
constexpr const char* kKvpPrefix = "LATCHWATCH|";

/// The records latchwatch writes for one report: (key, value) pairs, each value <= 1022 bytes.
std::vector<std::pair<std::string, std::string>> kvp_records(const CycleReport& report);

/// What the host should read, without the parts that change every cycle: equal states need no
/// rewrite.
std::string kvp_state(const CycleReport& report);
std::vector<std::string> kvp_state_records(const CycleReport& report);

/// Takes flock and an fcntl write lock on `fd`, retrying until `deadline` (polling: neither lock
/// has a timed wait). Returns 0 or the errno (EWOULDBLOCK when the deadline passed).
int lock_pool_until(int fd, std::chrono::steady_clock::time_point deadline, const Clock& clock);

class KvpSink : public Sink {
 public:
  explicit KvpSink(std::string pool_file,
                   std::chrono::milliseconds lock_timeout = std::chrono::milliseconds(2000),
                   const Clock& clock = real_clock())
      : pool_file_(std::move(pool_file)), lock_timeout_(lock_timeout), clock_(&clock) {}
  std::string name() const override { return "kvp"; }
  PublishResult publish(const CycleReport& report) override;

 private:
  /// Whether the pool's latchwatch records are exactly `states` (another writer, or
  /// cloud-init's truncation at boot, may have removed them).
  bool pool_holds(const std::vector<std::string>& states) const;

  std::string pool_file_;
  std::chrono::milliseconds lock_timeout_;
  const Clock* clock_;
  std::string written_;  ///< kvp_state of the last successful write; empty: never written
};

}  // namespace latchwatch::reporting
