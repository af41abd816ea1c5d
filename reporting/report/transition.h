#pragma once
/// What a cycle changed, as the sinks see it: a type, never a free-form string.

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

}  // namespace latchwatch::reporting
