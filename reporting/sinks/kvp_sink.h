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
///
/// Windows (kvp_sink_windows.cpp): the same records, as REG_SZ values (value name = the record's
/// key, data = its value) under the registry key the guest's Hyper-V Data Exchange service sends to
/// the host, `pool` = "HKLM\SOFTWARE\Microsoft\Virtual Machine\Guest" by default (any
/// "HKLM\..." or "HKCU\..." key can be configured; tests use HKCU). Hyper-V's items are UTF-16
/// there: at most 512 bytes of key and 2048 bytes of value with their NUL, so names are cut to 255
/// and data to 1023 UTF-16 units (kvp_records' values, <= 1022 bytes, always fit). Only
/// "LATCHWATCH|" values are written or deleted; new ones are set before stale ones go, so the host
/// never reads an empty state. The registry has no lock to wait for: `lock_timeout` is unused.
///
/// Which registry key: the KVP pools are, on Linux, 0 external (host to guest), 1 guest (guest to
/// host, the one written here), 2 auto (the guest's intrinsic items) (include/uapi/linux/hyperv.h,
/// enum hv_kvp_exchg_pool). On a Windows guest the intrinsic items are under
/// HKLM\SOFTWARE\Microsoft\Virtual Machine\Auto (Microsoft Learn, "Manage Hyper-V Integration
/// Services": `REG QUERY "HKLM\Software\Microsoft\Virtual Machine\Auto" /v
/// IntegrationServicesVersion`), the host's items under ...\Virtual Machine\Guest\Parameters
/// (VirtualMachineName, HostName), and the guest's own items for the host under
/// ...\Virtual Machine\Guest (the guest side of the exchange is the registry: "Sending messages
/// and commands to a Hyper-V Virtual Machine Guest OS using the KVP Exchange", MSDN blog kebab,
/// 2014-06-24). Auto is the service's own intrinsic pool, so latchwatch writes to Guest.

#include <string>
#include <utility>
#include <vector>

#include "probes/base/clock.h"
#include "reporting/sinks/sink.h"

namespace latchwatch::reporting {

constexpr std::size_t kKvpKeySize = 512;
constexpr std::size_t kKvpValueSize = 2048;
constexpr std::size_t kKvpRecordSize = kKvpKeySize + kKvpValueSize;
constexpr std::size_t kKvpMaxValue = 1022;
constexpr const char* kKvpPrefix = "LATCHWATCH|";
/// Windows: Hyper-V's KVP limits in UTF-16 units, without the terminating NUL.
constexpr std::size_t kKvpKeyUnits = kKvpKeySize / 2 - 1;
constexpr std::size_t kKvpValueUnits = kKvpValueSize / 2 - 1;
/// Windows: the guest-to-host pool (see above).
constexpr const char* kKvpWindowsPool = "HKLM\\SOFTWARE\\Microsoft\\Virtual Machine\\Guest";

/// The records latchwatch writes for one report: (key, value) pairs, each value <= 1022 bytes.
std::vector<std::pair<std::string, std::string>> kvp_records(const CycleReport& report);

/// What the host should read, without the parts that change every cycle: equal states need no
/// rewrite.
std::string kvp_state(const CycleReport& report);
std::vector<std::string> kvp_state_records(const CycleReport& report);

/// "key=value" without what changes every cycle (the time, the transition) in a whole value.
std::string kvp_record_state(const std::string& key, const std::string& value);

/// The first at most `size` bytes of `text`, never splitting a UTF-8 character.
std::string kvp_cut_utf8(const std::string& text, std::size_t size);

/// Linux only: takes flock and an fcntl write lock on `fd`, retrying until `deadline` (polling:
/// neither lock has a timed wait). Returns 0 or the errno (EWOULDBLOCK when the deadline passed).
int lock_pool_until(int fd, std::chrono::steady_clock::time_point deadline, const Clock& clock);

/// Removes every latchwatch record ("LATCHWATCH|...") from the pool (Linux: the pool file,
/// under both locks, everyone else's records kept byte for byte; Windows: the registry key's
/// "LATCHWATCH|" values), so the host reads nothing of latchwatch once it is removed. A missing
/// pool is nothing to withdraw. `removed` counts the records dropped. Returns an error naming the
/// pool, or empty.
std::string withdraw_kvp_records(const std::string& pool_file,
                                 std::chrono::milliseconds lock_timeout, std::size_t& removed,
                                 const Clock& clock = real_clock());

class KvpSink : public Sink {
 public:
  /// `pool_file`: the pool file (Linux) or registry key (Windows).
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
