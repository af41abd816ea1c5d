// Reading collected latchwatch reports: one report, an array of reports, or JSON lines; read as
// a stream (a fleet's history runs to hundreds of MiB: no input is held whole).

#include <algorithm>
#include <deque>
#include <future>
#include <istream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <streambuf>
#include <thread>

#include "agent/plan/boot_log_records.h"
#include "agent/plan/input_stream.h"
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

/// The keys of a report that a plan never reads (see parse_report).
bool dropped_key(const std::string& key) {
  return key == "findings" || key == "probes" || key == "evidence" || key == "advisories" ||
         key == "sinks";
}

struct LineBatch {
  std::vector<ReportRecord> records;
  InputErrors errors;
  int parsed_lines = 0;
};

struct NumberedLine {
  int number = 0;
  std::string text;
};

/// One batch of JSON lines.
LineBatch parse_lines(const std::string& file_name, const std::vector<NumberedLine>& lines) {
  LineBatch batch{{}, InputErrors(file_name), 0};
  for (const auto& [number, line] : lines) {
    InputErrors this_line(file_name + ":" + std::to_string(number));
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

/// JSON lines, read line by line: parsing is the whole cost, so batches of lines are parsed on
/// every core while the next is read; at most one batch per core is held. Order is kept.
/// `first` is a line already read (numbered 1), if any.
LineBatch read_json_lines(const std::string& file_name, LineReader& lines,
                          std::optional<NumberedLine> first) {
  constexpr std::size_t kBatchBytes = 4u << 20;
  const std::size_t workers = std::max(1u, std::thread::hardware_concurrency());
  LineBatch all{{}, InputErrors(file_name), 0};
  std::deque<std::future<LineBatch>> running;
  auto take_oldest = [&] {
    LineBatch batch = running.front().get();
    running.pop_front();
    std::move(batch.records.begin(), batch.records.end(), std::back_inserter(all.records));
    all.errors.absorb(batch.errors);
    all.parsed_lines += batch.parsed_lines;
  };
  std::vector<NumberedLine> batch;
  std::size_t batch_bytes = 0;
  auto submit = [&] {
    if (batch.empty()) return;
    if (running.size() >= workers) take_oldest();
    running.push_back(std::async(workers == 1 ? std::launch::deferred : std::launch::async,
                                 parse_lines, std::cref(file_name), std::move(batch)));
    batch.clear();
    batch_bytes = 0;
  };
  if (first) {
    batch_bytes += first->text.size();
    batch.push_back(std::move(*first));
  }
  std::string_view line;
  for (LineReader::Got got; (got = lines.next(line)) != LineReader::Got::end;) {
    if (got == LineReader::Got::error) {
      all.errors.add(
          "", lines.error() + " (read up to line " + std::to_string(lines.line_number()) + ")");
      break;
    }
    if (got == LineReader::Got::too_long) {
      InputErrors this_line(file_name + ":" + std::to_string(lines.line_number()));
      this_line.add("", "a line of more than " + std::to_string(kMaxReportLine >> 20) +
                            " MiB: not read (a report is tens of KiB)");
      all.errors.absorb(this_line);
      continue;
    }
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    batch.push_back({lines.line_number(), std::string(line)});
    if ((batch_bytes += line.size()) >= kBatchBytes) submit();
  }
  submit();
  while (!running.empty()) take_oldest();
  return all;
}

/// A std::streambuf over a ByteSource, for nlohmann's SAX parser.
class SourceBuffer final : public std::streambuf {
 public:
  explicit SourceBuffer(ByteSource& source) : source_(source) {}
  const std::string& error() const { return error_; }

 protected:
  int_type underflow() override {
    long long n = source_.read(buffer_, sizeof buffer_, error_);
    if (n <= 0) return traits_type::eof();
    setg(buffer_, buffer_, buffer_ + n);
    return traits_type::to_int_type(buffer_[0]);
  }

 private:
  ByteSource& source_;
  char buffer_[64 * 1024];
  std::string error_;
};

/// One document (a report, or an array of reports) read by SAX events: each report is built as
/// a small DOM without the parts a plan never reads, turned into a record and freed before the
/// next, so an array of 100,000 reports costs one report's memory plus the records.
class ReportSax final : public nlohmann::json::json_sax_t {
 public:
  using json = nlohmann::json;
  ReportSax(const std::string& file_name, LineBatch& out) : file_name_(file_name), out_(out) {}
  std::string error;

  bool null() override { return value(json(nullptr)); }
  bool boolean(bool v) override { return value(json(v)); }
  bool number_integer(number_integer_t v) override { return value(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return value(json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return value(json(v)); }
  bool string(string_t& v) override { return value(json(std::move(v))); }
  bool binary(binary_t&) override { return value(json()); }
  bool start_object(std::size_t) override { return open(json::value_t::object); }
  bool start_array(std::size_t) override { return open(json::value_t::array); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (skip_depth_ > 0) return true;
    // A report's own keys: its object is the bottom of the stack.
    drop_next_ = stack_.size() == 1 && dropped_key(k);
    key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    if (error.empty()) error = probes::parse_error_text(ex.what());
    return false;
  }

 private:
  bool open(json::value_t kind) {
    if (++depth_ > probes::kMaxJsonDepth) {
      error = "nested deeper than " + std::to_string(probes::kMaxJsonDepth) + " levels";
      return false;
    }
    if (skip_depth_ > 0 || drop_next_) {
      drop_next_ = false;
      ++skip_depth_;
      return true;
    }
    if (depth_ == 1 && kind == json::value_t::array) {
      outer_array_ = true;  // an array of reports: each element is one
      return true;
    }
    if (stack_.empty()) {
      doc_ = json(kind);
      stack_.push_back(&doc_);
    } else {
      stack_.push_back(&insert(json(kind)));
    }
    return true;
  }
  bool close() {
    --depth_;
    if (skip_depth_ > 0) {
      --skip_depth_;
      return true;
    }
    if (stack_.empty()) return true;  // the outer array
    stack_.pop_back();
    if (stack_.empty()) emit();
    return true;
  }
  bool value(json v) {
    if (skip_depth_ > 0) return true;
    if (drop_next_) {
      drop_next_ = false;
      return true;
    }
    if (stack_.empty()) {  // a scalar where a report should be
      doc_ = std::move(v);
      emit();
      return true;
    }
    insert(std::move(v));
    return true;
  }
  json& insert(json v) {
    json& top = *stack_.back();
    if (top.is_object()) return top[key_] = std::move(v);
    top.push_back(std::move(v));
    return top.back();
  }
  void emit() {
    std::string path = outer_array_ ? "[" + std::to_string(index_++) + "]" : "";
    if (auto r = read_record(JsonCursor(&doc_, path), file_name_ + path, out_.errors))
      out_.records.push_back(std::move(*r));
    ++out_.parsed_lines;
    doc_ = json();
  }

  const std::string& file_name_;
  LineBatch& out_;
  json doc_;
  std::vector<json*> stack_;
  std::string key_;
  int depth_ = 0;
  int skip_depth_ = 0;
  bool drop_next_ = false;
  bool outer_array_ = false;
  std::size_t index_ = 0;
};

/// The whole input as one document; false with `error` when it is not one.
bool read_one_document(const std::string& file_name, ByteSource& source, LineBatch& out,
                       std::string& error) {
  SourceBuffer buffer(source);
  std::istream in(&buffer);
  ReportSax sax(file_name, out);
  bool ok = false;
  try {
    ok = nlohmann::json::sax_parse(in, &sax);
  } catch (const std::exception& e) {
    // sax_parse reports through parse_error; this only guards the promise of no throw.
    sax.error = std::string("not JSON: ") + probes::sanitize_text(e.what(), 200);
  }
  if (!buffer.error().empty()) {
    error = buffer.error();
    return false;
  }
  if (!ok) error = sax.error.empty() ? "not JSON: malformed or truncated" : sax.error;
  return ok;
}

}  // namespace

ReportFileRead bind_reports_to_file_name(const std::string& file_name,
                                         std::vector<ReportRecord> records) {
  ReportFileRead read;
  for (const auto& r : records)
    if (file_name_names(file_name, r)) {
      read.bound_to = machine_name(r);
      break;
    }
  if (read.bound_to.empty()) {  // a collection of reports (a fleet's folder or history)
    read.records = std::move(records);
    return read;
  }
  const std::string bound = ascii_lower(read.bound_to);
  auto hardware = [](const ReportRecord& r) {
    return ascii_lower(!r.identity.smbios_uuid.empty() ? r.identity.smbios_uuid : r.identity.vm_id);
  };
  std::set<std::string> bound_hardware;
  for (const auto& r : records)
    if (ascii_lower(machine_name(r)) == bound && !hardware(r).empty())
      bound_hardware.insert(hardware(r));
  // One conflict per other machine, naming its first claims and counting the rest.
  constexpr std::size_t kNamedClaims = 10;
  std::map<std::string, std::size_t> by_machine;
  std::vector<std::size_t> counts;
  for (auto& r : records) {
    const std::string name = machine_name(r);
    const std::string lower = ascii_lower(name);
    if (lower == bound ||
        (name.empty() && (hardware(r).empty() || bound_hardware.count(hardware(r)) > 0))) {
      read.records.push_back(std::move(r));
      continue;
    }
    const std::string key = name.empty() ? "#" + hardware(r) : lower;
    auto [it, added] = by_machine.emplace(key, read.conflicts.size());
    if (added) {
      Conflict c;
      c.resource_id = r.identity.resource_id;
      c.message = "a report in the file of " + read.bound_to + " speaks for " +
                  (name.empty() ? std::string("another machine") : name) +
                  ": a VM's report speaks only for that VM; not used";
      read.conflicts.push_back(std::move(c));
      counts.push_back(0);
    }
    Conflict& c = read.conflicts[it->second];
    if (++counts[it->second] <= kNamedClaims)
      c.claims.push_back(
          {r.origin, r.host,
           r.identity.smbios_uuid.empty() ? r.identity.vm_id : r.identity.smbios_uuid,
           r.identity.source, r.verdict_code});
  }
  for (std::size_t i = 0; i < counts.size(); ++i)
    if (counts[i] > kNamedClaims)
      read.conflicts[i].message += " (" + std::to_string(counts[i]) + " reports; the first " +
                                   std::to_string(kNamedClaims) + " are listed)";
  return read;
}

std::vector<Conflict> set_aside_records_their_file_names_deny(
    std::vector<ReportRecord>& records, const std::vector<std::string>& known_names) {
  std::set<std::string> known;
  for (const auto& name : known_names)
    if (!name.empty()) known.insert(ascii_lower(name));
  for (const auto& r : records)
    if (auto name = machine_name(r); !name.empty()) known.insert(ascii_lower(name));
  // The machine a file's name names: "NAME" or "NAME.anything"; the longest known name wins.
  auto bound_name = [&](const std::string& file) {
    const std::string base = ascii_lower(file.substr(file.find_last_of("/\\") + 1));
    std::string best;
    for (std::size_t dot = base.find('.');; dot = base.find('.', dot + 1)) {
      std::string candidate = base.substr(0, dot);
      if (known.count(candidate) > 0) best = candidate;
      if (dot == std::string::npos) break;
    }
    return best;
  };
  std::vector<Conflict> conflicts;
  std::map<std::pair<std::string, std::string>, std::size_t> by_file_and_machine;
  std::vector<ReportRecord> kept;
  kept.reserve(records.size());
  std::map<std::string, std::string> bound_cache;
  for (auto& r : records) {
    const std::string name = machine_name(r);
    if (r.file.empty() || name.empty()) {  // nameless records never reset anything by name
      kept.push_back(std::move(r));
      continue;
    }
    auto cached = bound_cache.find(r.file);
    if (cached == bound_cache.end()) cached = bound_cache.emplace(r.file, bound_name(r.file)).first;
    const std::string& bound = cached->second;
    if (bound.empty() || bound == ascii_lower(name)) {
      kept.push_back(std::move(r));
      continue;
    }
    auto [it, added] =
        by_file_and_machine.emplace(std::pair{r.file, ascii_lower(name)}, conflicts.size());
    if (added) {
      Conflict c;
      c.resource_id = r.identity.resource_id;
      c.message = r.boot_log ? "a line in the boot log of " + bound + " speaks for " + name +
                                   ": a VM's console speaks only for that VM; not used"
                             : "a report in the file of " + bound + " speaks for " + name +
                                   ": a VM's report speaks only for that VM; not used";
      conflicts.push_back(std::move(c));
    }
    if (conflicts[it->second].claims.size() < 10)
      conflicts[it->second].claims.push_back(
          {r.origin, r.host,
           r.identity.smbios_uuid.empty() ? r.identity.vm_id : r.identity.smbios_uuid,
           r.identity.source, r.verdict_code});
  }
  records = std::move(kept);
  return conflicts;
}

ReportFileRead read_report_input(const std::string& file_name, const OpenSource& open,
                                 std::vector<std::string>& errors) {
  InputErrors file_errors(file_name);
  std::vector<ReportRecord> out;
  auto finish = [&] {
    for (auto& r : out) r.file = file_name;
    errors.insert(errors.end(), file_errors.items().begin(), file_errors.items().end());
    return bind_reports_to_file_name(file_name, std::move(out));
  };
  std::string open_error;
  auto source = open(open_error);
  if (!source) {
    errors.push_back(open_error);
    return finish();
  }
  // JSON lines when the first line is a whole document by itself (a pretty-printed report's
  // first line is "{"): then the file is never parsed as one, which would only fail at line 2.
  {
    LineReader lines(*source, kMaxReportLine);
    std::string_view first_line;
    if (lines.next(first_line) == LineReader::Got::line) {
      std::string first_error;
      auto first = parse_report(first_line, first_error);
      if (first_error.empty() && first.is_object()) {
        LineBatch all = read_json_lines(file_name, lines, NumberedLine{1, std::string(first_line)});
        if (lines.line_number() == 1 && lines.error().empty()) {
          // The whole input is one line: one report, named by its file.
          if (auto r = read_record(JsonCursor(&first, ""), file_name, file_errors))
            out.push_back(std::move(*r));
        } else {
          out = std::move(all.records);
          file_errors.absorb(all.errors);
        }
        return finish();
      }
    }
  }
  // One document (a report or an array of reports), by SAX events.
  std::string parse_error;
  {
    auto again = open(open_error);
    if (!again) {
      errors.push_back(open_error);
      return finish();
    }
    LineBatch whole{{}, InputErrors(file_name), 0};
    if (read_one_document(file_name, *again, whole, parse_error)) {
      out = std::move(whole.records);
      file_errors.absorb(whole.errors);
      return finish();
    }
  }
  // Neither: JSON lines after a first line that is not a report (or a damaged file). A file in
  // which no line parses is reported as one error about the whole file, not one per line.
  auto third = open(open_error);
  if (!third) {
    errors.push_back(open_error);
    return finish();
  }
  LineReader lines(*third, kMaxReportLine);
  LineBatch all = read_json_lines(file_name, lines, std::nullopt);
  out = std::move(all.records);
  if (all.parsed_lines == 0)
    file_errors.add("", "not JSON and not JSON lines: " + parse_error);
  else
    file_errors.absorb(all.errors);
  return finish();
}

std::vector<ReportRecord> read_report_records(const std::string& file_name, const std::string& text,
                                              std::vector<std::string>& errors) {
  ReportFileRead read = read_report_input(file_name, text_input(text), errors);
  for (const auto& c : read.conflicts) errors.push_back(file_name + ": " + c.message);
  return std::move(read.records);
}

}  // namespace latchwatch::plan
