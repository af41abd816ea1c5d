#pragma once
/// What a cycle changed, as the sinks see it: a type, never a free-form string.

#include "reporting/report/verdict.h"

namespace latchwatch::reporting {

enum class Transition {
  fired,     ///< an alerting verdict was confirmed after a healthy one (or none)
  resolved,  ///< back to a non-alerting verdict
  changed,   ///< one verdict replaced another of the same alerting state
  unchanged  ///< nothing new to say (including a key verdict still pending)
};

constexpr const char* to_string(Transition t) {
  switch (t) {
    case Transition::fired:
      return "fired";
    case Transition::resolved:
      return "resolved";
    case Transition::changed:
      return "changed";
    case Transition::unchanged:
      return "unchanged";
  }
  return "unchanged";
}

/// What the daemon decided after one cycle (debounced), the one thing the sinks act on: the
/// transition and the verdicts on either side of it. The daemon's debounce produces it; every
/// sink reads it from the CycleReport it is handed.
struct Decision {
  Transition transition = Transition::unchanged;
  bool has_confirmed = false;  ///< false only while the very first verdict is still pending
  VerdictCode confirmed = VerdictCode::healthy;  ///< the debounced verdict: what sinks act on
  bool has_previous = false;
  VerdictCode previous = VerdictCode::healthy;
  bool pending = false;  ///< a key verdict seen, not yet in enough consecutive cycles
};

}  // namespace latchwatch::reporting
