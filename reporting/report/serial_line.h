#pragma once
/// The serial console line: latchwatch's one message that leaves a VM whose key is lost under
/// WireServer Enforce (boot diagnostics keep the serial log; instance view, Run Command and
/// Azure Monitor go dark). The daemon writes it; `plan resets --boot-logs` reads it back from
/// the text `az vm boot-diagnostics get-boot-log` prints. Both sides live here so the format
/// has one definition and a round-trip test.
///
/// Format, version 1 (one line, printable ASCII, at most kSerialLineMax characters before the
/// CR LF; fields separated by one space):
///
///   latchwatch: v1 EVENT VERDICT TIME key=value ... crc=XXXXXXXX
///
///   EVENT    fired | resolved | changed (a transition) or reminder (a key verdict still firing)
///   VERDICT  the cycle's verdict code (key_lost, healthy, ...)
///   TIME     the report's generated_at, ISO 8601 UTC ("2026-12-01T14:00:05.123Z")
///   inc=C>N  C the largest keyIncarnationId seen, N the one the owner's reset sets; "?" when
///            unknown (N also when no reset is needed)
///   vm=G     vmId from IMDS or the identity cache, "-" when unknown
///   hw=X     SMBIOS system UUID: "~" vm byte-swapped (Gen1), a UUID, "-" unknown; absent when it
///            is the vmId itself (Gen2; a reader also accepts "=" for that)
///   src=S    where the identity came from, when not IMDS: cache:SECONDS (its age), moved (the
///            cached identity names the VM this disk was copied from), unknown; imds without an
///            id: IMDS answered and its identity failed the checks. Absent: IMDS when an id is
///            written, else unknown
///   id=...   the resource id, compact: SUB/RG/VM or SUB/RG/SCALESET/INSTANCE; read back in the
///            canonical /subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Compute/...
///            spelling (ARM ids compare case-insensitively)
///   rid=...  the resource id verbatim, when it is not a VM or scale-set instance id
///   host=H   the host name, when it differs from the VM name
///   crc=X    CRC-32 (IEEE, as zlib.crc32) of every byte before " crc=", 8 lower-case hex digits
///
/// inc and vm are always written; when a line would be too long, host is left out
/// first, then id/rid with src (vm still names the machine; a Resource Graph export maps it).
/// Readers ignore keys they do not know, so fields can be added within v1.
///
/// Thread-safety: pure functions. Errors: parse returns a named error, never throws.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "probes/base/parsed.h"

namespace latchwatch::reporting {

constexpr std::size_t kSerialLineMax = 200;
constexpr std::string_view kSerialMarker = "latchwatch: v";

struct SerialLine {
  std::string event;
  std::string verdict;
  std::string generated_at;
  std::optional<std::int64_t> incarnation;       ///< inc=C>
  std::optional<std::int64_t> next_incarnation;  ///< inc=>N
  std::string vm_id;                             ///< empty: unknown
  std::string smbios_uuid;  ///< resolved from absent / "=" / "~"; empty: unknown
  std::string source;       ///< imds, cache, moved, unknown; empty when not written
  double source_age_seconds = 0;
  std::string resource_id;  ///< full form, expanded from id=; empty when not written
  std::string host;         ///< empty when not written
};

/// The line without CR LF. Fields that are not plain tokens ([A-Za-z0-9._()-], GUIDs, the
/// resource id's path) are written as "-" or left out: values come from IMDS, which anything in
/// the VM can impersonate, and the console is read by people and scripts.
std::string format_serial_line(const SerialLine& line, std::size_t max_len = kSerialLineMax);

/// Parses text that starts at kSerialMarker (trailing CR/LF/space ignored). Checks the CRC and
/// the shape of every field it knows.
Parsed<SerialLine> parse_serial_line(std::string_view text);

/// CRC-32 (IEEE 802.3, reflected, as zlib.crc32 and `python3 -c 'import zlib'`).
std::uint32_t crc32_ieee(std::string_view bytes);

/// "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/N" (any
/// case) → "S/RG/N"; a Uniform instance → "S/RG/SS/I"; anything else → empty.
std::string compact_resource_id(const std::string& resource_id);
/// The inverse; empty for text that is not 3 or 4 slash-separated parts.
std::string expand_resource_id(std::string_view compact);

}  // namespace latchwatch::reporting
