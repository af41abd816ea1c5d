#include "probes/payloads/gpa_status_file.h"

#include <cctype>
#include <limits>
#include <nlohmann/json.hpp>

#include "probes/base/json_limits.h"
#include "probes/base/redact.h"
#include "probes/base/utc_time.h"

namespace latchwatch::probes {
namespace {

using json = nlohmann::json;

/// The string at `path` (JSON Pointer) as sent; empty when absent or not a string.
std::string raw_text_at(const json& j, const char* path) {
  json::json_pointer pointer(path);
  if (!j.contains(pointer)) return {};
  const auto& value = j.at(pointer);
  return value.is_string() ? value.get<std::string>() : std::string();
}

/// The string at `path`, safe to keep: hex runs redacted first, then sanitised and cut.
std::string text_at(const json& j, const char* path, std::size_t max_len) {
  return sanitize_text(redact_hex(raw_text_at(j, path)), max_len);
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

/// Reads exactly `digits` decimal digits at `text[pos]` into `out`, advancing `pos`.
bool read_digits(std::string_view text, std::size_t& pos, int digits, int& out) {
  if (pos + static_cast<std::size_t>(digits) > text.size()) return false;
  out = 0;
  for (int k = 0; k < digits; ++k, ++pos) {
    char c = text[pos];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

/// "2026-07-22T10:15:42.123" (GPA: UTC without a zone), "2023-01-01T00:00:00Z", with or without
/// a fraction (milliseconds kept, finer digits ignored). Hand-parsed: strptime would accept
/// leading blanks and depends on the locale. Years are limited to 1970..2242 (the clock's range).
std::optional<std::chrono::system_clock::time_point> parse_timestamp(std::string_view text) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, month) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, day) || !expect(text, pos, 'T') ||
      !read_digits(text, pos, 2, hour) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, minute) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, second))
    return std::nullopt;
  if (year < 1970 || year > 2242 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60)
    return std::nullopt;
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int d = digits; d < 3; ++d) millis *= 10;
  }
  if (pos < text.size() && text[pos] == 'Z') ++pos;
  if (pos != text.size()) return std::nullopt;
  long long seconds = unix_seconds_from_civil({year, month, day, hour, minute, second});
  if (seconds < 0 || seconds > (1LL << 33)) return std::nullopt;
  return time_from_unix_seconds(seconds) + std::chrono::milliseconds(millis);
}

bool parse_mode(const std::string& lowered, Mode& out) {
  if (lowered == "disabled")
    out = Mode::disabled;
  else if (lowered == "audit")
    out = Mode::audit;
  else if (lowered == "enforce")
    out = Mode::enforce;
  else
    return false;
  return true;
}

std::string trim_spaces(std::string_view text) {
  auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(" \t");
  return std::string(text.substr(begin, end - begin + 1));
}

/// The field for a service named in states.secureChannelState (lower-cased), and its bit.
Mode* state_slot(GpaStatusFile& s, const std::string& name, unsigned& bit) {
  if (name == "wireserver") {
    bit = 1;
    return &s.states_wireserver;
  }
  if (name == "imds") {
    bit = 2;
    return &s.states_imds;
  }
  if (name == "hostga") {
    bit = 4;
    return &s.states_hostga;
  }
  return nullptr;
}

/// Older GPA builds put the protocol 1.0 state itself in states.secureChannelState
/// ("disabled", "wireserver", "wireserverandimds"); the modes follow as in §2.
bool apply_v1_state_name(GpaStatusFile& s, const std::string& lowered) {
  if (lowered == "disabled") {
    s.states_wireserver = s.states_imds = s.states_hostga = Mode::disabled;
  } else if (lowered == "wireserver") {
    s.states_wireserver = s.states_hostga = Mode::enforce;
    s.states_imds = Mode::audit;
  } else if (lowered == "wireserverandimds") {
    s.states_wireserver = s.states_imds = s.states_hostga = Mode::enforce;
  } else {
    return false;
  }
  return true;
}

/// "WireServer Enforce -  IMDS Enforce - HostGA Enforce": split on '-', trim, "<Name> <Mode>",
/// compared case-insensitively. Known only when every part parses and names each service once
/// (or the text is an old build's single v1 state); otherwise the modes stay disabled and
/// states_modes_known is false ("Unknown" before GPA's first status call, for one).
void parse_states_modes(GpaStatusFile& s) {
  if (apply_v1_state_name(s, ascii_lower(trim_spaces(s.states_secure_channel_state)))) {
    s.states_modes_known = true;
    return;
  }
  constexpr unsigned kAll = 1 | 2 | 4;
  unsigned seen = 0;
  std::string_view text = s.states_secure_channel_state;
  bool ok = !text.empty();
  while (ok && !text.empty()) {
    auto dash = text.find('-');
    std::string part = ascii_lower(trim_spaces(text.substr(0, dash)));
    text = dash == std::string_view::npos ? std::string_view() : text.substr(dash + 1);
    auto space = part.find_last_of(" \t");
    Mode mode = Mode::disabled;
    unsigned bit = 0;
    Mode* slot = space == std::string::npos
                     ? nullptr
                     : state_slot(s, trim_spaces(std::string_view(part).substr(0, space)), bit);
    ok = slot && !(seen & bit) && parse_mode(part.substr(space + 1), mode);
    if (ok) {
      *slot = mode;
      seen |= bit;
    }
  }
  // Up to 1.0.25 the text has two parts ("WireServer Enforce -  IMDS Enforce"); HostGA, named
  // from 1.0.26, follows WireServer either way.
  if (ok && seen == (kAll & ~4u)) {
    s.states_hostga = s.states_wireserver;
    seen = kAll;
  }
  s.states_modes_known = ok && seen == kAll;
  if (!s.states_modes_known) s.states_wireserver = s.states_imds = s.states_hostga = Mode::disabled;
}

/// Sum of `count` over 401 entries, saturating: counts come from a file anyone with write
/// access to the log folder could have written.
std::int64_t count_unauthorized(const json& j) {
  auto summary = j.find("proxyConnectionSummary");
  if (summary == j.end() || !summary->is_array()) return 0;
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  for (const auto& entry : *summary) {
    if (!entry.is_object()) continue;
    auto status = entry.find("responseStatus");
    auto count = entry.find("count");
    if (status == entry.end() || !status->is_string() ||
        !starts_with(status->get_ref<const std::string&>(), "401") || count == entry.end())
      continue;
    auto n = json_int64(*count);
    if (!n || *n <= 0) continue;
    total = *n > kMax - total ? kMax : total + *n;
  }
  return total;
}

/// 1.0.13.1 wraps timed messages as {"elapsed":N, "task":"<message>"} (helpers.rs
/// get_task_elapsed_message); returns the inner message and sets *elapsed. Anything else is
/// returned as is.
std::string_view unwrap_elapsed_task(std::string_view message,
                                     std::optional<std::int64_t>* elapsed) {
  constexpr std::string_view kHead = "{\"elapsed\":";
  constexpr std::string_view kTask = ", \"task\":\"";
  if (!starts_with(message, kHead) || message.size() < kHead.size() + 3 ||
      message.substr(message.size() - 2) != "\"}")
    return message;
  std::size_t pos = kHead.size();
  std::int64_t value = 0;
  std::size_t digits = 0;
  while (pos < message.size() && std::isdigit(static_cast<unsigned char>(message[pos])) &&
         digits < 15) {
    value = value * 10 + (message[pos] - '0');
    ++pos;
    ++digits;
  }
  if (digits == 0 || message.substr(pos, kTask.size()) != kTask) return message;
  pos += kTask.size();
  if (elapsed) *elapsed = value;
  return message.substr(pos, message.size() - 2 - pos);
}

/// The trailing " - <ms>" that write_startup_event (1.0.14 on) appends: GPA's uptime in ms.
std::optional<std::int64_t> trailing_elapsed(std::string_view message) {
  auto end = message.find_last_not_of(" \t\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  std::size_t begin = end + 1;
  while (begin > 0 && std::isdigit(static_cast<unsigned char>(message[begin - 1]))) --begin;
  const std::size_t digits = end + 1 - begin;
  if (digits == 0 || digits > 15 || begin < 3 || message.substr(begin - 3, 3) != " - ")
    return std::nullopt;
  std::int64_t value = 0;
  for (std::size_t k = begin; k <= end; ++k) value = value * 10 + (message[k] - '0');
  return value;
}

}  // namespace

const char* to_string(KeyLatchMessage m) {
  switch (m) {
    case KeyLatchMessage::ready:
      return "ready";
    case KeyLatchMessage::disabled:
      return "disabled";
    case KeyLatchMessage::acquire_refused:
      return "acquire_refused";
    case KeyLatchMessage::acquire_network:
      return "acquire_network";
    case KeyLatchMessage::acquire_host_error:
      return "acquire_host_error";
    case KeyLatchMessage::status_failed:
      return "status_failed";
    case KeyLatchMessage::store_unwritable:
      return "store_unwritable";
    case KeyLatchMessage::attest_failed:
      return "attest_failed";
    case KeyLatchMessage::started:
      return "started";
    case KeyLatchMessage::key_status_received:
      return "key_status_received";
    case KeyLatchMessage::stopped:
      return "stopped";
    case KeyLatchMessage::other:
      return "other";
  }
  return "other";
}

KeyLatchMessage classify_key_latch_message(std::string_view message) {
  message = unwrap_elapsed_task(message, nullptr);
  auto begin = message.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return KeyLatchMessage::other;
  message = message.substr(begin);
  if (starts_with(message, "Found key details from local and ready to use") ||
      starts_with(message, "Successfully attest the key and ready to use"))
    return KeyLatchMessage::ready;
  if (starts_with(message, "Customer has not enforce the secure channel state"))
    return KeyLatchMessage::disabled;
  constexpr std::string_view kAcquire = "Failed to acquire key details: Key(";
  if (starts_with(message, kAcquire)) {
    auto rest = message.substr(kAcquire.size());
    if (starts_with(rest, "SendKeyRequest")) return KeyLatchMessage::acquire_network;
    // Only a 4xx answer means the host refused the key; 5xx and others are not key evidence.
    constexpr std::string_view kResponse = "KeyResponse(\"acquire\", ";
    if (starts_with(rest, kResponse)) {
      auto code = rest.substr(kResponse.size());
      auto digit = [&](std::size_t k) {
        return k < code.size() && std::isdigit(static_cast<unsigned char>(code[k]));
      };
      if (!code.empty() && code[0] == '4' && digit(1) && digit(2) && !digit(3))
        return KeyLatchMessage::acquire_refused;
      if (!code.empty() && code[0] == '5' && digit(1) && digit(2) && !digit(3))
        return KeyLatchMessage::acquire_host_error;
    }
    return KeyLatchMessage::other;
  }
  if (starts_with(message, "Failed to get key status")) return KeyLatchMessage::status_failed;
  if (starts_with(message, "Failed to save key details to file") ||
      starts_with(message, "Failed to check the key"))
    return KeyLatchMessage::store_unwritable;
  if (starts_with(message, "Failed to attest the key")) return KeyLatchMessage::attest_failed;
  if (starts_with(message, "poll secure channel status thread started") ||
      starts_with(message, "poll secure channel status task started"))
    return KeyLatchMessage::started;
  if (starts_with(message, "Got key status successfully"))
    return KeyLatchMessage::key_status_received;
  if (starts_with(message, "poll_secure_channel_status task exited") ||
      starts_with(message, "poll_secure_channel_status task cancelled") ||
      starts_with(message, "Stop signal received"))
    return KeyLatchMessage::stopped;
  return KeyLatchMessage::other;
}

std::string redact_hex(std::string_view text) { return redact_key_material(text); }

Parsed<GpaStatusFile> parse_gpa_status_file(std::string_view body) {
  std::string error;
  json j = parse_untrusted_json(body, error);
  if (j.is_discarded()) return Parsed<GpaStatusFile>::fail(error);
  if (!j.is_object()) return Parsed<GpaStatusFile>::fail("not a JSON object");
  auto agent = j.find("proxyAgentStatus");
  if (agent == j.end() || !agent->is_object())
    return Parsed<GpaStatusFile>::fail("/proxyAgentStatus is missing or not an object");

  GpaStatusFile s;
  s.timestamp_text = text_at(j, "/timestamp", 64);
  s.timestamp = parse_timestamp(s.timestamp_text);
  s.agent_version = text_at(j, "/proxyAgentStatus/version", 64);
  s.overall_status = text_at(j, "/proxyAgentStatus/status", 64);
  s.key_latch_status = text_at(j, "/proxyAgentStatus/keyLatchStatus/status", 64);
  const std::string raw_message = raw_text_at(j, "/proxyAgentStatus/keyLatchStatus/message");
  s.key_latch_class = classify_key_latch_message(raw_message);
  {
    std::optional<std::int64_t> wrapped;
    unwrap_elapsed_task(raw_message, &wrapped);
    s.key_latch_elapsed_ms = wrapped ? wrapped : trailing_elapsed(raw_message);
  }
  s.key_latch_message = sanitize_text(redact_hex(raw_message), 1024);
  s.ebpf_status = text_at(j, "/proxyAgentStatus/ebpfProgramStatus/status", 64);
  s.ebpf_message = text_at(j, "/proxyAgentStatus/ebpfProgramStatus/message", 512);
  s.states_secure_channel_state =
      text_at(j, "/proxyAgentStatus/keyLatchStatus/states/secureChannelState", 256);
  parse_states_modes(s);
  s.states_key_guid =
      ascii_lower(text_at(j, "/proxyAgentStatus/keyLatchStatus/states/keyGuid", 64));
  if (s.states_key_guid == "00000000-0000-0000-0000-000000000000") {
    s.states_key_guid.clear();
    s.states_key_guid_zero = true;
  }
  if (json::json_pointer p("/proxyAgentStatus/keyLatchStatus/states/keyIncarnationId");
      j.contains(p))
    s.states_key_incarnation_id = json_int64(j.at(p));
  s.unauthorized_count = count_unauthorized(j);
  return Parsed<GpaStatusFile>::ok(std::move(s));
}

void to_json(nlohmann::json& j, const GpaStatusFile& s) {
  j = {{"timestamp", s.timestamp_text},
       {"version", s.agent_version},
       {"status", s.overall_status},
       {"keyLatchStatus",
        {{"status", s.key_latch_status},
         {"message", s.key_latch_message},
         {"class", to_string(s.key_latch_class)},
         {"secureChannelState", s.states_secure_channel_state},
         {"keyGuid", s.states_key_guid.empty() ? json(nullptr) : json(s.states_key_guid)},
         {"keyIncarnationId",
          s.states_key_incarnation_id ? json(*s.states_key_incarnation_id) : json(nullptr)},
         {"keyGuidZero", s.states_key_guid_zero},
         {"elapsedMs", s.key_latch_elapsed_ms ? json(*s.key_latch_elapsed_ms) : json(nullptr)}}},
       {"ebpfProgramStatus", {{"status", s.ebpf_status}, {"message", s.ebpf_message}}},
       {"unauthorizedCount", s.unauthorized_count}};
}

bool looks_torn(std::string_view content) {
  int depth = 0;
  bool in_string = false, escaped = false, any = false;
  for (char c : content) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    any = true;
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[')
      ++depth;
    else if (c == '}' || c == ']')
      --depth;
  }
  return !any || in_string || depth > 0;
}

}  // namespace latchwatch::probes
