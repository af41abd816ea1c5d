#include "reporting/sinks/spool.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "probes/base/json_limits.h"
#include "probes/os/atomic_file.h"
#include "probes/os/bounded_file.h"
#include "reporting/sinks/hmac_sha256.h"
#include "reporting/sinks/spool_files.h"

namespace latchwatch::reporting {
namespace {

constexpr std::size_t kSpoolFileLimit = 4 * 1024 * 1024;

/// Spool names are zero-padded sequence numbers, so name order is delivery order.
std::uint64_t sequence_of(const std::string& path) {
  return std::strtoull(path.substr(path.rfind('/') + 1).c_str(), nullptr, 10);
}

}  // namespace

std::chrono::seconds retry_delay(int attempt) {
  if (attempt <= 1) return std::chrono::seconds(1);
  long delay = 1L << std::min(attempt - 1, 16);
  return std::chrono::seconds(std::min(delay, 300L));
}

std::string new_uuid() {
  unsigned char bytes[16] = {};
  random_bytes(bytes, sizeof bytes);
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return out;
}

Spool::Spool(std::string what, std::string dir, std::size_t max_entries, const Clock& clock,
             std::vector<std::string> required)
    : what_(std::move(what)),
      dir_(std::move(dir)),
      max_entries_(std::max<std::size_t>(max_entries, 1)),
      clock_(&clock),
      required_(std::move(required)) {
  if (auto error = latchwatch::probes::ensure_directory(dir_, 0700); !error.empty())
    spdlog::warn("{}: {}", what_, error);
}

std::vector<std::string> Spool::entries(std::string* error) const {
  std::vector<std::string> names;
  for (auto& name : list_spool_folder(dir_, error)) {
    if (name.size() == 25 && name.compare(20, 5, ".json") == 0 &&
        std::all_of(name.begin(), name.begin() + 20, [](char c) { return c >= '0' && c <= '9'; }))
      names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  for (auto& name : names) name = dir_ + "/" + name;
  return names;
}

std::string Spool::write_entry(const nlohmann::json& entry) {
  if (auto error = latchwatch::probes::ensure_directory(dir_, 0700); !error.empty()) return error;
  std::string list_error;
  auto files = entries(&list_error);
  if (!list_error.empty()) return list_error;
  std::uint64_t next = files.empty() ? 1 : sequence_of(files.back()) + 1;
  // Bounded: drop the oldest first, counted, so disk use never grows without bound.
  while (files.size() >= max_entries_) {
    remove_spool_file(files.front());
    files.erase(files.begin());
    ++dropped_;
  }
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.json", static_cast<unsigned long long>(next));
  return latchwatch::probes::write_file_atomically(dir_ + "/" + name, dump_json(entry), 0600);
}

std::string Spool::enqueue(const nlohmann::json& entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Behind entries already kept in memory, a new one waits in memory too (delivery order).
  std::string error =
      memory_only_.empty() ? write_entry(entry) : "earlier entries are not spooled yet";
  if (error.empty()) return {};
  // Not durable, but not dropped: kept in memory (bounded like the spool) and delivered.
  if (memory_only_.size() >= max_entries_) {
    memory_only_.erase(memory_only_.begin());
    ++dropped_;
  }
  memory_only_.push_back(entry);
  ++not_durable_;
  return "cannot spool (" + error +
         "): kept in memory only, not durable; delivered when the receiver answers";
}

bool Spool::backing_off() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return clock_->steady_now() < next_attempt_;
}

void Spool::note_attempt(bool ok) {
  if (ok) {
    attempt_ = 0;
    next_attempt_ = {};
  } else {
    ++attempt_;
    next_attempt_ = clock_->steady_now() + retry_delay(attempt_);
  }
}

PublishResult Spool::flush(const Deliver& deliver, const std::atomic<bool>& interrupted) {
  std::vector<std::string> files;
  nlohmann::json in_memory;  // the oldest entry only in memory, if any
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Entries kept in memory go to the spool (in order) as soon as it takes files again.
    while (!memory_only_.empty() && write_entry(memory_only_.front()).empty())
      memory_only_.erase(memory_only_.begin());
    std::string error;
    files = entries(&error);
    if (!memory_only_.empty()) in_memory = memory_only_.front();
    if (!error.empty() && memory_only_.empty()) return PublishResult::failure(what_ + " " + error);
    if (files.empty() && in_memory.is_null()) return {};
    if (clock_->steady_now() < next_attempt_)
      return PublishResult::failure(std::to_string(files.size() + memory_only_.size()) +
                                    " report(s) spooled; backing off before the next retry");
  }
  for (const auto& path : files) {
    if (interrupted) return PublishResult::failure("stopped; the rest stays spooled");
    auto file = probes::read_bounded_file(path, kSpoolFileLimit);
    std::string error;
    auto entry = file.state == probes::ReadState::ok
                     ? probes::parse_untrusted_json(file.content, error)
                     : nlohmann::json(nlohmann::json::value_t::discarded);
    bool valid = !entry.is_discarded() && entry.is_object();
    for (const auto& key : required_)
      if (valid && !entry.value(key, nlohmann::json()).is_string()) valid = false;
    if (!valid) {
      // A corrupt entry cannot be delivered: set it aside (kept for a person), never crash.
      rename_spool_file(path, path + ".corrupt");
      ++corrupt_;
      continue;
    }
    auto result = deliver(entry);
    std::lock_guard<std::mutex> lock(mutex_);
    note_attempt(result.ok);
    if (!result.ok) return result;
    remove_spool_file(path);
  }
  // Then what only memory holds, oldest first: delivered although it was never durable.
  while (!in_memory.is_null()) {
    if (interrupted) return PublishResult::failure("stopped; entries not spooled remain in memory");
    auto result = deliver(in_memory);
    std::lock_guard<std::mutex> lock(mutex_);
    note_attempt(result.ok);
    if (!result.ok) return result;
    if (!memory_only_.empty() && memory_only_.front() == in_memory)
      memory_only_.erase(memory_only_.begin());
    in_memory = memory_only_.empty() ? nlohmann::json() : memory_only_.front();
  }
  return {};
}

nlohmann::json Spool::health() const {
  std::size_t count = 0;
  std::size_t memory_only = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    count = entries().size();
    memory_only = memory_only_.size();
  }
  return {{"spool_entries", count},
          {"memory_only_entries", memory_only},
          {"not_durable", not_durable_.load()},
          {"spool_dropped", dropped_.load()},
          {"spool_corrupt", corrupt_.load()}};
}

}  // namespace latchwatch::reporting
