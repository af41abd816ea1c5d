#include <algorithm>

#include "reporting/sinks/kvp_sink.h"

// The records latchwatch puts in the guest-to-host KVP pool, the same on every platform: Linux
// writes them into the pool file (kvp_sink_posix.cpp), Windows as registry values
// (kvp_sink_windows.cpp).

namespace latchwatch::reporting {
namespace {

/// Cuts `text` into pieces of at most `size` bytes without splitting a UTF-8 character.
std::vector<std::string> split_utf8(const std::string& text, std::size_t size) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(start + size, text.size());
    while (end < text.size() && end > start &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      --end;
    pieces.push_back(text.substr(start, end - start));
    start = end;
  }
  return pieces;
}

}  // namespace

/// A record without what changes every cycle (the time, the transition): equal states need no
/// rewrite. A split value's pieces are compared as written.
std::string kvp_record_state(const std::string& key, const std::string& value) {
  auto j = nlohmann::json::parse(value, nullptr, false);
  if (j.is_object() && !j.contains("msg_i")) {
    j.erase("at");
    j.erase("transition");
    return key + "=" + dump_json(j);
  }
  return key + "=" + value;
}

std::string kvp_cut_utf8(const std::string& text, std::size_t size) {
  if (text.size() <= size) return text;
  std::size_t end = size;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::vector<std::string> kvp_state_records(const CycleReport& r) {
  std::vector<std::string> states;
  for (auto& [key, value] : kvp_records(r)) states.push_back(kvp_record_state(key, value));
  return states;
}

std::string kvp_state(const CycleReport& r) {
  std::string state;
  for (auto& s : kvp_state_records(r)) state += s + "\n";
  return state;
}

std::vector<std::pair<std::string, std::string>> kvp_records(const CycleReport& r) {
  const auto& id = r.report.identity;
  const std::string key =
      std::string(kKvpPrefix) + (id.vm_id.empty() ? r.host : id.vm_id) + "|verdict";
  const auto verdict = r.has_confirmed ? r.confirmed : r.report.verdict.code;
  nlohmann::json value = {{"verdict", latchwatch::to_string(verdict)},
                          {"severity", latchwatch::to_string(latchwatch::info(verdict).severity)},
                          {"transition", to_string(r.transition)},
                          {"at", latchwatch::iso8601_utc(r.finished)},
                          {"summary", latchwatch::info(verdict).meaning}};
  if (r.report.remedy) {
    value["resource_id"] = r.report.remedy->resource_id;
    if (r.report.remedy->next_incarnation)
      value["key_incarnation_id"] = *r.report.remedy->next_incarnation;
    value["action"] =
        "raise keyIncarnationId from outside the VM (ARM PATCH, api-version 2024-03-01)";
  }
  std::string text = value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  if (text.size() <= kKvpMaxValue) return {{key, text}};
  std::vector<std::pair<std::string, std::string>> out;
  auto pieces = split_utf8(text, kKvpMaxValue - 40);
  for (std::size_t i = 0; i < pieces.size(); ++i)
    out.emplace_back(key + "|" + std::to_string(i),
                     nlohmann::json({{"msg_i", i}, {"msg", pieces[i]}})
                         .dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
  return out;
}

}  // namespace latchwatch::reporting
