#pragma once
/// Debounce and transitions: a pure state machine fed one verdict per cycle.
///
/// Key verdicts (`key_*`) fire only after the same verdict in `required` consecutive cycles, so
/// one odd cycle never sends an owner to reset a key; every other change, and recovery, is
/// reported at once. The state is a plain value so the daemon can persist it across restarts.

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "probes/base/parsed.h"
#include "reporting/report/transition.h"
#include "reporting/report/verdict.h"

namespace latchwatch::agent {

using reporting::to_string;
using reporting::Transition;  // the type sinks receive

struct DebounceState {
  latchwatch::VerdictCode reported = latchwatch::VerdictCode::healthy;  ///< what sinks were told
  bool has_reported = false;  ///< false before the first cycle ever
  latchwatch::VerdictCode candidate = latchwatch::VerdictCode::healthy;  ///< key verdict waiting
  int candidate_cycles = 0;
  std::uint64_t cycle = 0;
};

/// One cycle's decision (what the sinks receive) and how far a pending key verdict has come.
struct Step : reporting::Decision {
  int consecutive = 0;  ///< cycles the pending key verdict has been seen
};

/// Feeds one cycle's verdict. `required` >= 1.
Step debounce(DebounceState& state, latchwatch::VerdictCode observed, int required);

/// Whether a verdict is an alerting one (warning or worse).
bool is_alerting(latchwatch::VerdictCode code);

void to_json(nlohmann::json& j, const DebounceState& s);

/// STATE/debounce.json, shared by the daemon and `check --publish`: read (a missing file is a
/// fresh start, a corrupt one is logged and ignored) and kept atomically (a failure is logged).
DebounceState load_debounce_state(const std::string& state_dir);
void keep_debounce_state(const std::string& state_dir, const DebounceState& state);
Parsed<DebounceState> parse_debounce_state(std::string_view text);

}  // namespace latchwatch::agent
