#include "agent/daemon/gpa_file_watch.h"

#include "probes/os/bounded_file.h"
#include "probes/payloads/gpa_status_file.h"

namespace latchwatch::agent {
namespace {

constexpr std::size_t kStatusFileLimit = 1024 * 1024;  // as the cycle reads it

}  // namespace

std::string GpaFileWatch::status_fingerprint() const {
  auto file = probes::read_bounded_file(status_file_, kStatusFileLimit);
  if (file.state != probes::ReadState::ok)
    return std::string("unreadable:") + to_string(file.state);
  return agent::status_fingerprint(file.content);
}

std::string status_fingerprint(std::string_view body) {
  auto parsed = probes::parse_gpa_status_file(body);
  if (!parsed) return "unparsable";
  const auto& s = *parsed.value;
  std::string out;
  for (const std::string* part : {&s.key_latch_status, &s.key_latch_message, &s.states_key_guid,
                                  &s.states_secure_channel_state}) {
    out += *part;
    out += '\x1f';  // unit separator between the fields
  }
  out += s.states_key_incarnation_id ? std::to_string(*s.states_key_incarnation_id) : "-";
  return out;
}

}  // namespace latchwatch::agent
