// Boot diagnostics logs: find latchwatch's serial lines among the console's noise.

#include "agent/plan/boot_log_records.h"

#include <map>
#include <optional>

#include "agent/plan/input_stream.h"
#include "agent/plan/json_cursor.h"
#include "agent/plan/resource_text.h"
#include "reporting/report/serial_line.h"
#include "reporting/report/verdict.h"

namespace latchwatch::plan {
namespace {

/// A parsed line as the record a JSON report of the same cycle gives: the same identity fields
/// through the same character-class checks (a VM writes its own console; a line is data).
std::optional<ReportRecord> to_record(const reporting::SerialLine& line, const std::string& origin,
                                      std::string& error) {
  if (!latchwatch::verdict_from_string(line.verdict)) {
    error = "unknown verdict '" + line.verdict + "'";
    return std::nullopt;
  }
  auto ms = parse_iso8601_utc_ms(line.generated_at);
  if (!ms) {
    error = "not an ISO 8601 UTC time: '" + line.generated_at + "'";
    return std::nullopt;
  }
  ReportRecord r;
  r.origin = origin;
  r.generated_ms = *ms;
  r.generated_at = line.generated_at;
  r.verdict_code = line.verdict;
  auto& id = r.identity;
  id.source = line.source.empty() ? "unknown" : line.source == "moved" ? "cache" : line.source;
  id.age_seconds = line.source_age_seconds;
  id.moved_to_other_vm = line.source == "moved";
  if (!line.resource_id.empty()) {
    if (!probes::is_vm_resource_id(line.resource_id)) {
      error = "not a VM or scale-set instance id: '" + line.resource_id + "'";
      return std::nullopt;
    }
    id.resource_id = line.resource_id;
    // "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/KIND/NAME[/virtualMachines/I]"
    std::vector<std::string> parts;
    std::size_t start = 1;
    while (start <= line.resource_id.size()) {
      std::size_t end = line.resource_id.find('/', start);
      if (end == std::string::npos) end = line.resource_id.size();
      parts.push_back(line.resource_id.substr(start, end - start));
      start = end + 1;
    }
    if (parts.size() >= 8) {
      id.subscription_id = parts[1];
      id.resource_group_name = parts[3];
      if (parts.size() == 8) id.name = parts[7];
      if (parts.size() == 10) id.vm_scale_set_name = parts[7];
    }
  }
  id.vm_id = line.vm_id;
  id.smbios_uuid = line.smbios_uuid;
  r.host = line.host.empty() ? id.name : line.host;
  if (line.incarnation) r.largest_incarnation = line.incarnation;
  if (line.next_incarnation && line.incarnation &&
      *line.next_incarnation != *line.incarnation + 1) {
    error = "next=" + std::to_string(*line.next_incarnation) + " is not inc+1";
    return std::nullopt;
  }
  return r;
}

}  // namespace

/// The name the owner's fetch loop gives a machine's log: the VM's name, or for a Uniform
/// instance SCALESET_INSTANCE.
std::string machine_name(const ReportRecord& r) {
  const auto& id = r.identity;
  auto split = split_scale_set_instance(id.resource_id);
  if (!split.scale_set_id.empty())
    return last_segment(split.scale_set_id) + "_" + split.instance_id;
  if (!id.resource_id.empty()) return last_segment(id.resource_id);
  return id.name;
}

bool file_name_names(const std::string& file_name, const ReportRecord& r) {
  const std::string base = ascii_lower(file_name.substr(file_name.find_last_of("/\\") + 1));
  const std::string name = ascii_lower(machine_name(r));
  return !name.empty() && (base == name || base.rfind(name + ".", 0) == 0);
}

std::string strip_terminal_escapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\x1b') {
      out += text[i];
      continue;
    }
    if (i + 1 >= text.size()) break;
    char kind = text[i + 1];
    if (kind == '[') {  // CSI: parameters and intermediates, then one final byte @..~
      std::size_t j = i + 2;
      while (j < text.size() && (text[j] < 0x40 || text[j] > 0x7e)) ++j;
      i = j;
    } else if (kind == ']') {  // OSC: up to BEL or ESC backslash
      std::size_t j = i + 2;
      while (j < text.size() && text[j] != '\x07' &&
             !(text[j] == '\x1b' && j + 1 < text.size() && text[j + 1] == '\\'))
        ++j;
      i = (j < text.size() && text[j] == '\x1b') ? j + 1 : j;
    } else {  // ESC [intermediates 0x20-0x2f] final: charset selection "ESC ( B", keypad modes...
      std::size_t j = i + 1;
      while (j < text.size() && text[j] >= 0x20 && text[j] <= 0x2f) ++j;
      i = j;
    }
  }
  return out;
}

BootLogRead read_boot_log_records(const std::string& file_name, const std::string& text,
                                  std::vector<std::string>& errors, std::int64_t now_ms) {
  std::string error;
  auto source = text_input(text)(error);
  return read_boot_log(file_name, *source, errors, now_ms);
}

BootLogRead read_boot_log(const std::string& file_name, ByteSource& source,
                          std::vector<std::string>& errors, std::int64_t now_ms) {
  BootLogRead read;
  std::map<std::string, ReportRecord> newest;  // by machine: SMBIOS UUID, else vmId, else id
  std::vector<std::string> order;
  constexpr long kNamedBrokenLines = 20;
  long broken = 0;
  auto marker = reporting::kSerialMarker;
  // A latchwatch line is 200 bytes; a console line of a MiB is noise, or hides one: either way it
  // is skipped whole, and named when latchwatch text was in it.
  LineReader lines(source, kMaxBootLogLine, "latchwatch");
  std::string_view raw;
  for (LineReader::Got got; (got = lines.next(raw)) != LineReader::Got::end;) {
    if (got == LineReader::Got::error) {
      errors.push_back(lines.error() + " (read up to line " + std::to_string(lines.line_number()) +
                       ")");
      break;
    }
    const std::string origin = file_name + ":" + std::to_string(lines.line_number());
    if (got == LineReader::Got::too_long) {
      if ((lines.skipped_had_watch() || raw.find("latchwatch") != std::string_view::npos) &&
          ++broken <= kNamedBrokenLines)
        errors.push_back(origin + ": a line of more than " + std::to_string(kMaxBootLogLine >> 20) +
                         " MiB holds latchwatch text: not read");
      continue;
    }
    if (raw.find("latchwatch") == std::string_view::npos) continue;  // most lines: no copy
    std::string line = strip_terminal_escapes(raw);
    // Other console output may precede the line, or a line cut short may run into the next
    // one: each marker starts a candidate that ends at the next marker.
    std::size_t at = line.find(marker);
    while (at != std::string::npos) {
      std::size_t next = line.find(marker, at + marker.size());
      std::string_view candidate(line.data() + at,
                                 (next == std::string::npos ? line.size() : next) - at);
      at = next;
      auto parsed = reporting::parse_serial_line(candidate);
      std::string error;
      std::optional<ReportRecord> record;
      if (parsed)
        record = to_record(*parsed.value, origin, error);
      else
        error = parsed.error;
      if (!record) {
        // A VM writes its own console: name the first broken lines, count the rest.
        if (++broken <= kNamedBrokenLines)
          errors.push_back(origin + ": latchwatch line " + probes::sanitize_text(error, 160));
        continue;
      }
      ++read.lines_found;
      if (now_ms > 0 && record->generated_ms > now_ms + ResetPlanOptions{}.future_tolerance_ms) {
        if (++broken <= kNamedBrokenLines)
          errors.push_back(origin + ": latchwatch line dated " + record->generated_at +
                           ", in the future: not used");
        continue;
      }
      const auto& id = record->identity;
      std::string machine = ascii_lower(!id.smbios_uuid.empty() ? id.smbios_uuid
                                        : !id.vm_id.empty()     ? id.vm_id
                                                                : id.resource_id);
      auto found = newest.find(machine);
      if (found == newest.end()) {
        order.push_back(machine);
        newest.emplace(machine, std::move(*record));
      } else if (record->generated_ms >= found->second.generated_ms) {  // ties: the later line
        found->second = std::move(*record);
      }
    }
  }
  if (broken > kNamedBrokenLines)
    errors.push_back(file_name + ": " + std::to_string(broken - kNamedBrokenLines) +
                     " more broken latchwatch lines (only the first " +
                     std::to_string(kNamedBrokenLines) + " are named)");
  if (read.lines_found == 0) ++read.logs_without_lines;
  // Which machine the log speaks for: the one its file name names.
  const ReportRecord* bound = nullptr;
  for (const auto& machine : order)
    if (file_name_names(file_name, newest.at(machine))) bound = &newest.at(machine);
  if (bound) read.bound_to = machine_name(*bound);
  const bool one_machine = order.size() == 1;
  for (const auto& machine : order) {
    auto& r = newest.at(machine);
    if (bound ? &r == bound : one_machine) {
      r.file = file_name;
      r.boot_log = true;
      read.records.push_back(std::move(r));
      continue;
    }
    Conflict c;
    c.resource_id = r.identity.resource_id;
    c.claims.push_back({r.origin, r.host,
                        r.identity.smbios_uuid.empty() ? r.identity.vm_id : r.identity.smbios_uuid,
                        r.identity.source, r.verdict_code});
    const std::string other =
        machine_name(r).empty() ? std::string("another machine") : machine_name(r);
    c.message = bound ? "a line in the boot log of " + read.bound_to + " speaks for " + other +
                            ": a VM's console speaks only for that VM; not used"
                      : "this boot log names " + std::to_string(order.size()) +
                            " machines and its file name none of them: a VM's console speaks "
                            "only for that VM; not used (name each log after its VM, as the "
                            "fetch loop does)";
    read.conflicts.push_back(std::move(c));
  }
  return read;
}

}  // namespace latchwatch::plan
