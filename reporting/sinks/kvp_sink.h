#pragma once
/// Hyper-V KVP (guest → host pool, /var/lib/hyperv/.kvp_pool_1): the verdict and remedy as
/// fixed-size records the host reads even when WireServer is cut off. Format: a flat array of
/// 2560-byte records, a 512-byte key then a 2048-byte value, each NUL-padded; values kept at or
/// under 1022 bytes (what the Azure host reads), longer ones split into "<key>|<index>" records.
/// Only latchwatch's own records (keys starting "LATCHWATCH|") are ever rewritten or dropped;
/// everyone else's stay byte for byte. The file is locked with flock and fcntl both, since
/// cloud-init takes one and hv_kvp_daemon the other.

#include <string>
#include <utility>
#include <vector>

#include "reporting/sink.h"

namespace latchwatch::reporting {

constexpr std::size_t kKvpKeySize = 512;
constexpr std::size_t kKvpValueSize = 2048;
constexpr std::size_t kKvpRecordSize = kKvpKeySize + kKvpValueSize;
constexpr std::size_t kKvpMaxValue = 1022;
constexpr const char* kKvpPrefix = "LATCHWATCH|";

/// The records latchwatch writes for one report: (key, value) pairs, each value <= 1022 bytes.
std::vector<std::pair<std::string, std::string>> kvp_records(const CycleReport& report);

class KvpSink : public Sink {
 public:
  explicit KvpSink(std::string pool_file) : pool_file_(std::move(pool_file)) {}
  std::string name() const override { return "kvp"; }
  PublishResult publish(const CycleReport& report) override;

 private:
  std::string pool_file_;
};

}  // namespace latchwatch::reporting
