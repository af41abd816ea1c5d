#pragma once
/// The result of parsing outside data: a value, or a named error a person can act on.
/// Parsers of untrusted input never throw; they return this.

#include <optional>
#include <string>
#include <utility>

namespace latchwatch {

template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;  ///< set when !value: what was wrong, naming the field (JSON Pointer) if any

  static Parsed ok(T v) { return Parsed{std::move(v), {}}; }
  static Parsed fail(std::string why) { return Parsed{std::nullopt, std::move(why)}; }
  explicit operator bool() const { return value.has_value(); }
};

}  // namespace latchwatch
