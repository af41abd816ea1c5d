// The serial console line, written and read (format in serial_line.h).

#include "reporting/report/serial_line.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <vector>

#include "probes/base/azure_names.h"
#include "probes/local/smbios.h"

namespace latchwatch::reporting {
namespace {

constexpr std::string_view kCrcField = " crc=";
constexpr std::string_view kPrefixV1 = "latchwatch: v1 ";
constexpr std::string_view kVmPrefix = "/providers/Microsoft.Compute/virtualMachines/";
constexpr std::string_view kScaleSetPrefix =
    "/providers/Microsoft.Compute/virtualMachineScaleSets/";

bool all_of(std::string_view text, bool (*ok)(unsigned char)) {
  if (text.empty()) return false;
  for (char c : text)
    if (!ok(static_cast<unsigned char>(c))) return false;
  return true;
}

bool name_char(unsigned char c) {
  return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '(' || c == ')';
}
bool path_char(unsigned char c) { return name_char(c) || c == '/'; }
bool time_char(unsigned char c) {
  return std::isdigit(c) || c == 'T' || c == 'Z' || c == ':' || c == '.' || c == '-';
}
bool code_char(unsigned char c) { return (c >= 'a' && c <= 'z') || c == '_'; }

// Field limits, the same for writer and reader, so that the fixed part of a line always fits in
// kSerialLineMax: the longest verdict code has 23 characters, generated_at 24, a
// keyIncarnationId (int32) 10 digits.
constexpr std::size_t kMaxEvent = 10, kMaxVerdict = 24, kMaxTime = 30, kMaxDigits = 10;

bool is_event(std::string_view t) { return t.size() <= kMaxEvent && all_of(t, code_char); }
bool is_verdict(std::string_view t) { return t.size() <= kMaxVerdict && all_of(t, code_char); }
bool is_time(std::string_view t) { return t.size() <= kMaxTime && all_of(t, time_char); }

// The identity checks every reader of untrusted identity shares (probes/base/azure_names.h);
// names are capped at 90 characters here so the line's fixed part always fits.
bool is_name(std::string_view text) { return text.size() <= 90 && probes::is_azure_name(text); }
bool is_guid(std::string_view text) { return probes::is_guid_text(text); }

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Gen1 VMs show vmId with the first three groups byte-swapped in SMBIOS.
std::string byte_swapped(std::string_view uuid) {
  return is_guid(uuid) ? probes::byte_swapped_uuid(lower(uuid)) : std::string();
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = text.find(sep, start);
    parts.push_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

std::optional<std::int64_t> parse_count(std::string_view text) {
  if (text.empty() || text.size() > kMaxDigits) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::string hex8(std::uint32_t value) {
  char out[9];
  std::snprintf(out, sizeof out, "%08x", value);
  return out;
}

}  // namespace

std::uint32_t crc32_ieee(std::string_view bytes) {
  static const std::array<std::uint32_t, 256> table = [] {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  std::uint32_t crc = 0xFFFFFFFFu;
  for (char ch : bytes) crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::string compact_resource_id(const std::string& resource_id) {
  auto parts = split(resource_id, '/');
  // "", subscriptions, S, resourceGroups, RG, providers, Microsoft.Compute, kind, name[, vms, I]
  if (parts.size() != 9 && parts.size() != 11) return {};
  // ARM ids compare case-insensitively; the compact form expands to the canonical spelling.
  const bool scale_set = parts.size() == 11;
  if (!parts[0].empty() || lower(parts[1]) != "subscriptions" ||
      lower(parts[3]) != "resourcegroups" || lower(parts[5]) != "providers" ||
      lower(parts[6]) != "microsoft.compute" ||
      lower(parts[7]) != (scale_set ? "virtualmachinescalesets" : "virtualmachines") ||
      (scale_set && lower(parts[9]) != "virtualmachines") || !is_guid(parts[2]) ||
      !is_name(parts[4]) || !is_name(parts[8]))
    return {};
  std::string out =
      std::string(parts[2]) + "/" + std::string(parts[4]) + "/" + std::string(parts[8]);
  if (parts.size() == 11) {
    if (!is_name(parts[10])) return {};
    out += "/" + std::string(parts[10]);
  }
  return out;
}

std::string expand_resource_id(std::string_view compact) {
  auto parts = split(compact, '/');
  if (parts.size() != 3 && parts.size() != 4) return {};
  if (!is_guid(parts[0])) return {};
  for (std::size_t i = 1; i < parts.size(); ++i)
    if (!is_name(parts[i])) return {};
  std::string base =
      "/subscriptions/" + std::string(parts[0]) + "/resourceGroups/" + std::string(parts[1]);
  if (parts.size() == 3) return base + std::string(kVmPrefix) + std::string(parts[2]);
  return base + std::string(kScaleSetPrefix) + std::string(parts[2]) + "/virtualMachines/" +
         std::string(parts[3]);
}

std::string format_serial_line(const SerialLine& line, std::size_t max_len) {
  auto token = [](const std::string& value, bool (*ok)(std::string_view)) {
    return ok(value) ? value : std::string("-");
  };
  auto number = [](const std::optional<std::int64_t>& n) {
    return n && *n >= 0 && *n <= 9999999999 ? std::to_string(*n) : std::string("?");
  };
  std::string head = std::string(kPrefixV1) + token(line.event, is_event) + " " +
                     token(line.verdict, is_verdict) + " " + token(line.generated_at, is_time) +
                     " inc=" + number(line.incarnation) + ">" + number(line.next_incarnation);
  std::string vm = is_guid(line.vm_id) ? lower(line.vm_id) : std::string("-");
  head += " vm=" + vm;
  std::string hw = "-";
  if (is_guid(line.smbios_uuid)) {
    std::string smbios = lower(line.smbios_uuid);
    hw = smbios == vm ? "" : smbios == byte_swapped(vm) ? "~" : smbios;
  }
  if (!hw.empty()) head += " hw=" + hw;  // absent: the SMBIOS UUID is the vmId (Gen2)

  std::string src;
  if (line.source == "cache")
    src = " src=cache:" + std::to_string(static_cast<long long>(
                              std::min(std::max(line.source_age_seconds, 0.0), 9999999999.0)));
  else if (line.source == "moved" || (line.source == "unknown" && !line.resource_id.empty()) ||
           (line.source == "imds" && line.resource_id.empty()))
    src = " src=" + line.source;  // imds, the usual source, is implied by an id without src;
                                  // without an id it says IMDS answered and its id was dropped
  std::string id;
  if (!line.resource_id.empty()) {
    std::string compact = compact_resource_id(line.resource_id);
    if (!compact.empty())
      id = " id=" + compact;
    else if (line.resource_id.size() <= 300 && all_of(line.resource_id, path_char))
      id = " rid=" + line.resource_id;
  }
  std::string host = is_name(line.host) ? " host=" + line.host : std::string();

  const std::size_t crc_len = kCrcField.size() + 8;
  std::string body;
  // Leave out host, then the resource id with its source (an id without src reads as IMDS's).
  body = head + src + id + host;
  if (body.size() + crc_len > max_len) body = head + src + id;
  if (body.size() + crc_len > max_len) body = head;
  return body + std::string(kCrcField) + hex8(crc32_ieee(body));
}

Parsed<SerialLine> parse_serial_line(std::string_view text) {
  using P = Parsed<SerialLine>;
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' '))
    text.remove_suffix(1);
  if (text.substr(0, kSerialMarker.size()) != kSerialMarker) return P::fail("no latchwatch marker");
  if (text.substr(0, kPrefixV1.size()) != kPrefixV1) {
    std::string_view version = text.substr(kSerialMarker.size(), 4);
    return P::fail("unsupported line version 'v" +
                   std::string(version.substr(0, version.find(' '))) + "'");
  }
  std::size_t crc_at = text.rfind(kCrcField);
  if (crc_at == std::string_view::npos || text.size() != crc_at + kCrcField.size() + 8)
    return P::fail(
        "cut short (no crc= at its end): the log was read while the line was written, "
        "or other console output broke into it");
  std::string_view body = text.substr(0, crc_at);
  if (hex8(crc32_ieee(body)) != lower(text.substr(crc_at + kCrcField.size())))
    return P::fail("damaged: its crc does not match (other console output mixed into it)");
  for (char c : body)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
      return P::fail("not printable ASCII");

  auto fields = split(body.substr(kPrefixV1.size()), ' ');
  if (fields.size() < 3) return P::fail("fewer than 3 positional fields");
  SerialLine line;
  line.event = fields[0];
  line.verdict = fields[1];
  line.generated_at = fields[2];
  // "-" is what a writer puts for a value it could not vouch for.
  if (line.event != "-" && !is_event(line.event)) return P::fail("event is not a word");
  if (line.verdict != "-" && !is_verdict(line.verdict)) return P::fail("verdict is not a code");
  if (line.generated_at != "-" && !is_time(line.generated_at))
    return P::fail("time is not ISO 8601");
  std::string hw;
  for (std::size_t i = 3; i < fields.size(); ++i) {
    std::string_view field = fields[i];
    std::size_t eq = field.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return P::fail("field '" + std::string(field) + "' is not key=value");
    std::string_view key = field.substr(0, eq);
    std::string_view value = field.substr(eq + 1);
    auto bad = [&](const char* what) {
      return P::fail(std::string(key) + "=" + std::string(value) + ": " + what);
    };
    if (key == "inc") {
      std::size_t arrow = value.find('>');
      if (arrow == std::string_view::npos) return bad("not CURRENT>NEXT");
      std::string_view current = value.substr(0, arrow), next = value.substr(arrow + 1);
      if (current != "?" && !(line.incarnation = parse_count(current)))
        return bad("current is not a count or '?'");
      if (next != "?" && !(line.next_incarnation = parse_count(next)))
        return bad("next is not a count or '?'");
    } else if (key == "vm") {
      if (value != "-" && !is_guid(value)) return bad("not a GUID or '-'");
      if (value != "-") line.vm_id = lower(value);
    } else if (key == "hw") {
      if (value != "-" && value != "=" && value != "~" && !is_guid(value))
        return bad("not a GUID, '=', '~' or '-'");
      hw = lower(value);
    } else if (key == "src") {
      if (value == "imds" || value == "moved" || value == "unknown") {
        line.source = value;
      } else if (value.substr(0, 6) == "cache:" && parse_count(value.substr(6))) {
        line.source = "cache";
        line.source_age_seconds = static_cast<double>(*parse_count(value.substr(6)));
      } else {
        return bad("not imds, cache:SECONDS, moved or unknown");
      }
    } else if (key == "id") {
      line.resource_id = expand_resource_id(value);
      if (line.resource_id.empty()) return bad("not SUB/RG/VM or SUB/RG/SCALESET/INSTANCE");
    } else if (key == "rid") {
      if (value.size() > 300 || !all_of(value, path_char) ||
          value.substr(0, 15) != "/subscriptions/")
        return bad("not a resource id");
      line.resource_id = value;
    } else if (key == "host") {
      if (!is_name(value)) return bad("not a host name");
      line.host = value;
    }  // else: a key from a later v1 writer, ignored
  }
  if (line.source.empty()) line.source = line.resource_id.empty() ? "unknown" : "imds";
  if (hw.empty()) hw = line.vm_id.empty() ? "-" : "=";
  if (hw == "=")
    line.smbios_uuid = line.vm_id;
  else if (hw == "~")
    line.smbios_uuid = byte_swapped(line.vm_id);
  else if (hw != "-")
    line.smbios_uuid = hw;
  if ((hw == "=" || hw == "~") && line.vm_id.empty())
    return P::fail("hw refers to vm, which is '-'");
  return P::ok(std::move(line));
}

}  // namespace latchwatch::reporting
