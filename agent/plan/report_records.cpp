// Reading collected latchwatch reports: one report, an array of reports, or JSON lines.

#include <algorithm>
#include <future>
#include <iterator>
#include <thread>

#include "agent/plan/json_cursor.h"
#include "agent/plan/reset_plan.h"
#include "agent/plan/resource_text.h"
#include "probes/base/json_limits.h"
#include "reporting/report/verdict.h"

namespace latchwatch::plan {
namespace {

/// The identity fields a report carries. Every string ends up in a shell command the owner
/// pastes, and reports come from VMs that may be compromised: anything that is not plainly an
/// Azure name, id or GUID is rejected, never quoted around.
latchwatch::Identity read_identity(const JsonCursor& id, InputErrors& errors) {
  latchwatch::Identity out;
  if (!id.exists()) {
    errors.add(id.path(), "missing");
    return out;
  }
  if (!id.expect_object(errors)) return out;
  auto take = [&](const char* key, std::string& into, bool (*valid)(std::string_view),
                  const char* what) {
    if (auto value = id[key].checked_text(errors, valid, what)) into = *value;
  };
  take("source", out.source, is_azure_name, "an identity source");
  take("resource_id", out.resource_id, is_azure_resource_id, "an Azure resource id");
  take("subscription_id", out.subscription_id, is_guid_text, "a subscription GUID");
  take("resource_group", out.resource_group_name, is_azure_name, "a resource group name");
  take("name", out.name, is_azure_name, "a VM name");
  take("vm_scale_set_name", out.vm_scale_set_name, is_azure_name, "a scale set name");
  take("vm_id", out.vm_id, is_guid_text, "a GUID");
  take("smbios_uuid", out.smbios_uuid, is_guid_text, "a GUID");
  take("security_type", out.security_type, is_azure_name, "a security type");
  take("cloud", out.cloud, is_cloud_name, "a cloud name");
  if (auto age = id["age_seconds"].number(errors)) {
    // The serial line's bounds: above 10 digits no cache is real (and no cast is defined);
    // below 0 a cache written while the clock ran ahead, read as new, as the serial line does.
    if (*age > 9999999999.0)
      errors.add(id["age_seconds"].path(), "more seconds than 9999999999");
    else
      out.age_seconds = std::max(*age, 0.0);
  }
  if (auto eph = id["ephemeral_os_disk"].boolean(errors)) out.ephemeral_os_disk = *eph;
  if (auto moved = id["moved_to_other_vm"].boolean(errors)) out.moved_to_other_vm = *moved;
  if (out.source.empty()) out.source = "unknown";
  return out;
}

/// The report's host facts (absent in reports older than them). Names and addresses reach a
/// printed find command, so they are checked like identity; free text is kept escaped.
probes::HostFacts read_host_facts(const JsonCursor& facts, InputErrors& errors) {
  probes::HostFacts out;
  if (!facts.exists() || !facts.expect_object(errors)) return out;
  if (auto v = facts["host_name"].checked_text(errors, probes::is_host_name, "a host name"))
    out.host_name = *v;
  for (const auto& element : facts["private_addresses"].elements(errors))
    if (auto v = element.checked_text(errors, probes::is_ip_address, "an IP address"))
      out.private_addresses.push_back(*v);
  if (auto v = facts["smbios_uuid"].checked_text(errors, is_guid_text, "a GUID"))
    out.smbios_uuid = *v;
  if (auto v = facts["gpa_version"].text(errors)) out.gpa_version = probes::checked_version(*v);
  for (auto [key, slot] : {std::pair{"os_release", &out.os_release},
                           {"kernel", &out.kernel},
                           {"boot_time", &out.boot_time}})
    if (auto v = facts[key].text(errors)) *slot = probes::one_line(*v, 120);
  return out;
}

std::optional<ReportRecord> read_record(const JsonCursor& doc, const std::string& origin,
                                        InputErrors& errors) {
  if (!doc.exists() || !doc.raw()->is_object()) {
    errors.add(doc.path(), std::string("expected a latchwatch report object, found ") +
                               (doc.exists() ? json_kind(*doc.raw()) : "null"));
    return std::nullopt;
  }
  std::size_t before = errors.items().size();
  ReportRecord r;
  r.origin = origin;
  auto code = doc.at_path("verdict.code").required_text(errors);
  if (code && !latchwatch::verdict_from_string(*code))
    errors.add(doc.at_path("verdict.code").path(),
               "unknown verdict '" + probes::sanitize_text(*code, 40) + "'");
  if (code) r.verdict_code = *code;
  auto generated = doc["generated_at"].required_text(errors);
  if (generated) {
    auto ms = parse_iso8601_utc_ms(*generated);
    if (!ms)
      errors.add(doc["generated_at"].path(),
                 "not an ISO 8601 UTC time: '" + probes::sanitize_text(*generated, 40) + "'");
    else
      r.generated_ms = *ms, r.generated_at = *generated;
  }
  if (auto host = doc["host"].text(errors); host && probes::is_host_name(*host)) r.host = *host;
  r.identity = read_identity(doc["identity"], errors);
  r.host_facts = read_host_facts(doc["host_facts"], errors);
  if (r.host.empty()) r.host = r.host_facts.host_name;
  if (r.host.empty()) r.host = r.identity.name;

  auto take_incarnation = [&](const JsonCursor& c) {
    auto v = c.integer(errors);
    if (v && *v >= 0 && (!r.largest_incarnation || *v > *r.largest_incarnation))
      r.largest_incarnation = v;
  };
  take_incarnation(doc.at_path("remedy.current_incarnation"));
  take_incarnation(doc.at_path("resolved.new_incarnation"));
  take_incarnation(doc.at_path("resolved.old_incarnation"));
  if (errors.items().size() != before) return std::nullopt;
  return r;
}

/// Parses one report document keeping only what a plan reads: findings, probes and evidence
/// make up most of a report's bytes and none of its identity. Depth 1 is a report's own keys,
/// depth 2 those of a report inside an array (no kept member has a child by these names).
nlohmann::json parse_report(std::string_view text, std::string& error) {
  static const nlohmann::json::parser_callback_t keep =
      [](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (event != nlohmann::json::parse_event_t::key || depth > 2 || !parsed.is_string())
          return true;
        const auto& key = parsed.get_ref<const std::string&>();
        return key != "findings" && key != "probes" && key != "evidence" && key != "advisories" &&
               key != "sinks";
      };
  return probes::parse_untrusted_json(text, error, keep);
}

struct LineBatch {
  std::vector<ReportRecord> records;
  InputErrors errors;
  int parsed_lines = 0;
};

/// The lines in text[begin, end), the first of them numbered `line_number`.
LineBatch parse_lines(const std::string& file_name, std::string_view text, std::size_t begin,
                      std::size_t end_of_range, int line_number) {
  LineBatch batch{{}, InputErrors(file_name), 0};
  std::size_t start = begin;
  for (; start < end_of_range; ++line_number) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos || end > end_of_range) end = end_of_range;
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    InputErrors this_line(file_name + ":" + std::to_string(line_number));
    std::string line_error;
    nlohmann::json doc = parse_report(line, line_error);
    if (!line_error.empty()) {
      this_line.add("", "not JSON: " + line_error);
    } else {
      ++batch.parsed_lines;
      if (auto r = read_record(JsonCursor(&doc, ""), this_line.file(), this_line))
        batch.records.push_back(std::move(*r));
    }
    batch.errors.absorb(this_line);
  }
  return batch;
}

/// A fleet's history can run to hundreds of MiB; parsing JSON is the whole cost, so large
/// files are cut at line boundaries and parsed on every core. Order is kept.
LineBatch parse_lines_in_parallel(const std::string& file_name, std::string_view text) {
  constexpr std::size_t kMinChunkBytes = 4u << 20;
  std::size_t workers = std::max(1u, std::thread::hardware_concurrency());
  workers = std::min<std::size_t>(workers, 1 + text.size() / kMinChunkBytes);
  std::vector<std::future<LineBatch>> parts;
  std::size_t begin = 0;
  int line_number = 1;
  for (std::size_t i = 0; i < workers && begin < text.size(); ++i) {
    std::size_t end = i + 1 == workers ? text.size() : text.size() * (i + 1) / workers;
    end = std::max(end, begin);
    end = text.find('\n', end);
    end = end == std::string_view::npos ? text.size() : end + 1;
    parts.push_back(std::async(workers == 1 ? std::launch::deferred : std::launch::async,
                               parse_lines, std::cref(file_name), text, begin, end, line_number));
    line_number +=
        static_cast<int>(std::count(text.begin() + static_cast<std::ptrdiff_t>(begin),
                                    text.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
    begin = end;
  }
  LineBatch all{{}, InputErrors(file_name), 0};
  for (auto& part : parts) {
    LineBatch batch = part.get();
    std::move(batch.records.begin(), batch.records.end(), std::back_inserter(all.records));
    all.errors.absorb(batch.errors);
    all.parsed_lines += batch.parsed_lines;
  }
  return all;
}

}  // namespace

std::vector<ReportRecord> read_report_records(const std::string& file_name, const std::string& text,
                                              std::vector<std::string>& errors) {
  std::vector<ReportRecord> out;
  InputErrors file_errors(file_name);
  // JSON lines when the first line is a whole document by itself (a pretty-printed report's
  // first line is "{"): then the file is never parsed as one, which would only fail at line 2.
  std::string parse_error;
  nlohmann::json whole;
  std::size_t first_newline = text.find('\n');
  bool json_lines = false;
  if (first_newline != std::string::npos && first_newline + 1 < text.size()) {
    std::string first_error;
    auto first = parse_report(std::string_view(text).substr(0, first_newline), first_error);
    json_lines = first_error.empty() && first.is_object();
  }
  if (!json_lines) whole = parse_report(text, parse_error);
  if (!json_lines && parse_error.empty()) {
    if (whole.is_array()) {
      JsonCursor root(&whole, "");
      for (const auto& element : root.elements(file_errors))
        if (auto r = read_record(element, file_name + element.path(), file_errors))
          out.push_back(std::move(*r));
    } else if (auto r = read_record(JsonCursor(&whole, ""), file_name, file_errors)) {
      out.push_back(std::move(*r));
    }
  } else {
    // JSON lines: the daemon's report history, one cycle document per line. A file in which no
    // line parses is reported as one error about the whole file, not one per line.
    LineBatch all = parse_lines_in_parallel(file_name, text);
    out = std::move(all.records);
    if (all.parsed_lines == 0)
      file_errors.add("", "not JSON and not JSON lines: " + parse_error);
    else
      file_errors.absorb(all.errors);
  }
  errors.insert(errors.end(), file_errors.items().begin(), file_errors.items().end());
  return out;
}

}  // namespace latchwatch::plan
