#include "agent/daemon/debounce.h"

#include <spdlog/spdlog.h>

#include "probes/os/atomic_file.h"
#include "probes/os/bounded_file.h"

#include <nlohmann/json.hpp>

#include "probes/base/json_limits.h"

namespace latchwatch::agent {

using latchwatch::VerdictCode;

bool is_alerting(VerdictCode code) {
  return latchwatch::info(code).severity != latchwatch::Severity::ok;
}

Step debounce(DebounceState& state, VerdictCode observed, int required) {
  ++state.cycle;
  Step step;
  step.has_previous = state.has_reported;
  step.previous = state.reported;
  const bool new_key_verdict =
      latchwatch::is_key_verdict(observed) && (!state.has_reported || observed != state.reported);
  if (new_key_verdict) {
    state.candidate_cycles = state.candidate == observed ? state.candidate_cycles + 1 : 1;
    state.candidate = observed;
    step.consecutive = state.candidate_cycles;
    step.pending = state.candidate_cycles < required;
  } else {
    state.candidate_cycles = 0;
  }
  if (step.pending) {
    step.has_confirmed = state.has_reported;
    step.confirmed = state.reported;
    return step;  // unchanged: nothing outward until the evidence persists
  }
  state.candidate_cycles = 0;
  const bool was_alerting = state.has_reported && is_alerting(state.reported);
  const bool now_alerting = is_alerting(observed);
  if (state.has_reported && observed == state.reported)
    step.transition = Transition::unchanged;
  else if (now_alerting && !was_alerting)
    step.transition = Transition::fired;
  else if (!now_alerting && was_alerting)
    step.transition = Transition::resolved;
  else if (state.has_reported)
    step.transition = Transition::changed;
  else
    step.transition = Transition::unchanged;  // the first cycle, and all is well
  state.reported = observed;
  state.has_reported = true;
  step.has_confirmed = true;
  step.confirmed = observed;
  return step;
}

void to_json(nlohmann::json& j, const DebounceState& s) {
  j = {{"schema", 1},
       {"reported", latchwatch::to_string(s.reported)},
       {"has_reported", s.has_reported},
       {"candidate", latchwatch::to_string(s.candidate)},
       {"candidate_cycles", s.candidate_cycles},
       {"cycle", s.cycle}};
}

Parsed<DebounceState> parse_debounce_state(std::string_view text) {
  std::string error;
  auto j = probes::parse_untrusted_json(text, error);
  if (j.is_discarded()) return Parsed<DebounceState>::fail(error);
  if (!j.is_object() || j.value("schema", 0) != 1)
    return Parsed<DebounceState>::fail("not a debounce state of schema 1");
  DebounceState s;
  auto code = [&](const char* key, VerdictCode& out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
    auto parsed = latchwatch::verdict_from_string(it->get<std::string>());
    if (!parsed) return false;
    out = *parsed;
    return true;
  };
  if (!code("reported", s.reported) || !code("candidate", s.candidate))
    return Parsed<DebounceState>::fail("/reported and /candidate must be verdict codes");
  auto has = j.find("has_reported");
  auto cycles = j.find("candidate_cycles");
  auto cycle = j.find("cycle");
  if (has == j.end() || !has->is_boolean() || cycles == j.end() || !cycles->is_number_integer() ||
      cycle == j.end() || !cycle->is_number_unsigned())
    return Parsed<DebounceState>::fail("/has_reported, /candidate_cycles, /cycle have wrong types");
  s.has_reported = has->get<bool>();
  s.candidate_cycles = std::max(0, std::min(1000, cycles->get<int>()));
  s.cycle = cycle->get<std::uint64_t>();
  return Parsed<DebounceState>::ok(s);
}

namespace {
std::string debounce_path(const std::string& state_dir) { return state_dir + "/debounce.json"; }
}  // namespace

DebounceState load_debounce_state(const std::string& state_dir) {
  auto file = probes::read_bounded_file(debounce_path(state_dir), 64 * 1024);
  if (file.state == probes::ReadState::missing) return {};
  auto parsed = parse_debounce_state(file.content);
  if (!parsed) {
    spdlog::warn("debounce state ignored ({}): {}", debounce_path(state_dir),
                 file.state == probes::ReadState::ok ? parsed.error : file.error);
    return {};
  }
  return *parsed.value;
}

void keep_debounce_state(const std::string& state_dir, const DebounceState& state) {
  if (auto error = probes::write_file_atomically(
          debounce_path(state_dir),
          nlohmann::json(state).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
              "\n",
          0640);
      !error.empty())
    spdlog::warn("debounce state not saved: {}", error);
}

}  // namespace latchwatch::agent
