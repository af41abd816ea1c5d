#pragma once
/// Reading JSON that someone else wrote (az CLI output, reports collected from a fleet) with
/// errors that name the file and the field: "vms.json: [3].storageProfile.osDisk: expected an
/// object, found a string".
///
/// A cursor is a view on one value and the path that led to it; a missing key gives an absent
/// cursor, not an error, so optional fields read naturally. Type mismatches are recorded in an
/// `InputErrors` list and read as absent: parsing never throws on untrusted input.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/base/json_limits.h"

namespace latchwatch::plan {

/// Errors found in one input file, each "FILE: PATH: problem".
class InputErrors {
 public:
  explicit InputErrors(std::string file) : file_(std::move(file)) {}
  void add(const std::string& path, const std::string& problem);
  /// Takes over another list's errors (already prefixed with their own file name).
  void absorb(const InputErrors& other);
  bool empty() const { return items_.empty(); }
  const std::vector<std::string>& items() const { return items_; }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
  std::vector<std::string> items_;
};

class JsonCursor {
 public:
  JsonCursor(const nlohmann::json* value, std::string path)
      : value_(value), path_(std::move(path)) {}

  /// The member `key` of an object (absent when this is not an object or has no such key).
  JsonCursor operator[](std::string_view key) const;
  /// A dotted walk, "storageProfile.osDisk.name".
  JsonCursor at_path(std::string_view dotted) const;

  bool exists() const { return value_ != nullptr && !value_->is_null(); }
  const nlohmann::json* raw() const { return exists() ? value_ : nullptr; }
  const std::string& path() const { return path_; }

  /// The string value; absent → nullopt; another type → error + nullopt.
  std::optional<std::string> text(InputErrors& errors) const;
  /// As text(), but absent is an error too ("missing").
  std::optional<std::string> required_text(InputErrors& errors) const;
  /// A non-empty string that passes `valid`; else nullopt, with an error "not WHAT: 'value'" when
  /// it fails the check (and "missing" when `required` and absent or empty).
  std::optional<std::string> checked_text(InputErrors& errors, bool (*valid)(std::string_view),
                                          const char* what, bool required = false) const;
  /// An integer (or a decimal string of one) that fits int64.
  std::optional<std::int64_t> integer(InputErrors& errors) const;
  std::optional<bool> boolean(InputErrors& errors) const;
  std::optional<double> number(InputErrors& errors) const;
  /// The elements of an array; absent → empty; another type → error + empty.
  std::vector<JsonCursor> elements(InputErrors& errors) const;
  /// True when this is an object; records an error when it exists and is not one.
  bool expect_object(InputErrors& errors) const;

 private:
  const nlohmann::json* value_;
  std::string path_;
};

/// "an object", "a string"...: for error texts.
const char* json_kind(const nlohmann::json& value);

/// Lower-cases ASCII: Azure resource ids compare case-insensitively.
using probes::ascii_lower;

/// Milliseconds since the epoch for "2026-07-22T10:15:42Z" or "...42.123Z" (also "+00:00").
std::optional<std::int64_t> parse_iso8601_utc_ms(std::string_view text);

}  // namespace latchwatch::plan
