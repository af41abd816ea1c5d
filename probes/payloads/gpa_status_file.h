#pragma once
/// GPA's aggregate status file (Linux /var/log/azure-proxy-agent/status.json), domain brief §4.

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "probes/base/parsed.h"
#include "probes/payloads/secure_channel_status.h"

namespace latchwatch::probes {

/// What keyLatchStatus.message says, by the prefixes in the domain brief §4.
enum class KeyLatchMessage {
  ready,            ///< "Found key details from local..." / "Successfully attest the key..."
  disabled,         ///< "Customer has not enforce the secure channel state."
  acquire_refused,  ///< "Failed to acquire key details: Key(KeyResponse(\"acquire\", 4xx))"
  acquire_network,  ///< "Failed to acquire key details: Key(SendKeyRequest(...))"
  /// "Failed to acquire key details: Key(KeyResponse(\"acquire\", 5xx))": the host failed,
  /// it did not refuse the key.
  acquire_host_error,
  status_failed,     ///< "Failed to get key status - ..."
  store_unwritable,  ///< "Failed to save key details to file" / "Failed to check the key"
  attest_failed,     ///< "Failed to attest the key"
  /// "poll secure channel status thread started." (1.0.13–1.0.20) / "… task started."
  /// (1.0.21 on): set once when the key keeper starts. Up to 1.0.24 a refused acquire is only
  /// logged, so this message stays while GPA retries and is refused every poll.
  started,
  /// "Got key status successfully: …" (1.0.25–1.0.46 write it to the message every poll).
  key_status_received,
  stopped,  ///< "… task exited." / "… task cancelled." / "Stop signal received, …"
  other,    ///< anything else (kept verbatim, redacted)
};
const char* to_string(KeyLatchMessage m);
KeyLatchMessage classify_key_latch_message(std::string_view message);

struct GpaStatusFile {
  std::string timestamp_text;  ///< as written, UTC without zone suffix
  /// Parsed timestamp; empty if missing or not ISO 8601 (a trailing "Z" is accepted too).
  std::optional<std::chrono::system_clock::time_point> timestamp;
  std::string agent_version;   ///< proxyAgentStatus.version
  std::string overall_status;  ///< proxyAgentStatus.status
  std::string key_latch_status;
  std::string key_latch_message;  ///< redacted: any run of 32+ hex digits becomes "<redacted>"
  KeyLatchMessage key_latch_class = KeyLatchMessage::other;
  /// GPA's uptime when it wrote a timed message: the trailing " - <ms>" of write_startup_event
  /// (1.0.14 on) or the "elapsed" of 1.0.13's {"elapsed":N, "task":"…"} form.
  std::optional<std::int64_t> key_latch_elapsed_ms;
  std::string ebpf_status;  ///< ebpfProgramStatus.status ("" if absent)
  std::string ebpf_message;
  // keyLatchStatus.states: key fields present only while GPA holds a key in memory.
  std::string states_secure_channel_state;  ///< raw text
  /// True when the text names WireServer and IMDS (and, from 1.0.26, HostGA) once each with a
  /// known mode, or is the protocol 1.0 state itself ("disabled", "wireserver",
  /// "wireserverandimds"); HostGA follows WireServer when not named.
  bool states_modes_known = false;
  Mode states_wireserver = Mode::disabled;
  Mode states_imds = Mode::disabled;
  Mode states_hostga = Mode::disabled;
  std::string states_key_guid;  ///< empty when absent or the all-zero GUID
  /// 1.0.13–1.0.17 always write states.keyGuid; holding no key it is
  /// 00000000-0000-0000-0000-000000000000 (Key::empty()), which means "no key", never "another
  /// key". Kept as a fact; states_key_guid is then empty.
  bool states_key_guid_zero = false;
  std::optional<std::int64_t> states_key_incarnation_id;  ///< number or numeric string
  /// Sum of `count` over proxyConnectionSummary entries whose responseStatus starts with "401".
  std::int64_t unauthorized_count = 0;
};

/// Fails on non-JSON, a non-object, missing proxyAgentStatus, or nesting deeper than 64 levels.
/// Tolerates missing optional parts and unknown fields.
Parsed<GpaStatusFile> parse_gpa_status_file(std::string_view body);

/// True when `content` can be the first part of a JSON document cut short: empty (GPA ≤ 1.0.23
/// truncates status.json, then writes it with serde's to_writer_pretty through an unbuffered
/// File, many small writes), or a document whose objects, arrays or string are still open at the
/// end. Such a read says nothing about GPA except that it is writing: read again.
bool looks_torn(std::string_view content);

/// Redacts key material (hex runs of 32+ digits, grouped hex, key-length base64; see
/// redact_key_material in redact.h): GPA's own messages can contain a key, and nothing
/// latchwatch ingests may carry it outward.
std::string redact_hex(std::string_view text);

void to_json(nlohmann::json& j, const GpaStatusFile& s);

}  // namespace latchwatch::probes
