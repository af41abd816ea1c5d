#pragma once
/// Shared guard for every JSON parser of outside data: parse without exceptions and refuse
/// documents nested deeper than a fixed limit (a depth bomb would otherwise recurse deeply).

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace latchwatch::probes {

constexpr int kMaxJsonDepth = 64;

/// Parses `text`; on failure returns a discarded value and sets `error` ("not JSON: ...",
/// "nested deeper than 64 levels"). Never throws.
///
/// The depth is checked by a byte scan before parsing (brackets outside strings), so a depth
/// bomb costs one linear pass and no recursion. The "not JSON" message names the line and
/// column and what was expected, never the offending input bytes (they may be key hex).
/// Invalid UTF-8 inside a string is a parse error, so every string in a returned document is
/// valid UTF-8 (still pass it through sanitize_text before keeping it).
///
/// `keep`, when given, is nlohmann's parser callback: returning false for a key drops its value
/// while parsing, so a large document costs no memory for the parts the caller ignores.
nlohmann::json parse_untrusted_json(std::string_view text, std::string& error,
                                    const nlohmann::json::parser_callback_t& keep = nullptr);

/// A JSON integer, or a string of 1 to 18 decimal digits (GPA and the fabric send both), that
/// fits in int64; nullopt for anything else (floats, negative strings, out-of-range numbers).
std::optional<std::int64_t> json_int64(const nlohmann::json& value);

}  // namespace latchwatch::probes

namespace latchwatch::probes {

/// Makes untrusted text safe to keep in a report: invalid UTF-8 and control characters (C0, DEL
/// and C1) become '?', except tab, CR and LF, which stay so multi-line messages can still be
/// split; the text is cut to at most `max_len` bytes (on a character boundary) with "..."
/// appended. The result can always be dumped by nlohmann::json. Never throws (but bad_alloc).
/// Redact secrets (redact_hex) *before* calling this: cutting first could leave part of a secret.
std::string sanitize_text(std::string_view text, std::size_t max_len = 512);

/// "not JSON: <why>" from nlohmann's parse-error message, without its "[json.exception...]" tag
/// and without the "; last read: '...'" tail, which echoes input bytes (possibly key hex or
/// invalid UTF-8); sanitized.
std::string parse_error_text(std::string message);

/// A Unix time as a time_point, clamped to [1970, 2242]: the system clock counts nanoseconds in
/// 64 bits, so a hostile year 9999 would overflow it.
std::chrono::system_clock::time_point time_from_unix_seconds(long long seconds);

/// ISO 8601 UTC: "2026-07-22T10:15:42Z", or with milliseconds "2026-07-22T10:15:42.123Z".
std::string format_utc(std::chrono::system_clock::time_point t, bool millis);

/// Lower-case ASCII copy.
std::string ascii_lower(std::string_view text);

/// True for the 8-4-4-4-12 hex form of a GUID.
bool is_guid(std::string_view text);

}  // namespace latchwatch::probes
