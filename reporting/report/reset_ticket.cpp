#include "reporting/report/reset_ticket.h"

#include <vector>

#include "probes/base/azure_names.h"
#include "probes/base/json_limits.h"

namespace latchwatch {
namespace {

std::vector<std::string> segments(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto slash = text.find('/', start);
    if (slash == std::string::npos) slash = text.size();
    out.push_back(text.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool word_chars(const std::string& s, std::size_t max, bool parens) {
  if (s.empty() || s.size() > max || s == "." || s == "..") return false;
  for (unsigned char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || (parens && (c == '(' || c == ')'));
    if (!ok) return false;
  }
  return true;
}

bool subscription_chars(const std::string& s) {
  if (s.size() != 36) return false;
  for (unsigned char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '-'))
      return false;
  return true;
}

bool digits(const std::string& s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool is_verdict_code(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  return true;
}

/// RFC 3339 UTC as the schema wants it: YYYY-MM-DDTHH:MM:SS[.fraction]Z.
bool is_rfc3339_utc(const std::string& s) {
  if (s.size() < 20 || s.size() > 30 || s.back() != 'Z') return false;
  const std::string shape = "dddd-dd-ddTdd:dd:dd";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i]) return false;
  }
  const std::string rest = s.substr(19, s.size() - 20);
  if (!rest.empty() && (rest[0] != '.' || !digits(rest.substr(1), 9))) return false;
  return true;
}

nlohmann::json text_or_null(const std::string& value, bool valid) {
  return valid && !value.empty() ? nlohmann::json(value) : nlohmann::json(nullptr);
}

}  // namespace

bool is_ticket_resource_id(const std::string& rid) {
  auto s = segments(rid);
  auto lower = [](const std::string& x) { return probes::ascii_lower(x); };
  if (s.size() != 9 && s.size() != 11) return false;
  if (!s[0].empty() || lower(s[1]) != "subscriptions" || !subscription_chars(s[2]) ||
      lower(s[3]) != "resourcegroups" || !word_chars(s[4], 90, true) ||
      lower(s[5]) != "providers" || lower(s[6]) != "microsoft.compute")
    return false;
  if (s.size() == 9) return lower(s[7]) == "virtualmachines" && word_chars(s[8], 64, false);
  return lower(s[7]) == "virtualmachinescalesets" && word_chars(s[8], 64, false) &&
         lower(s[9]) == "virtualmachines" && digits(s[10], 10);
}

nlohmann::json reset_ticket(const Remedy& remedy, const std::string& verdict_code,
                            const std::string& vm_id, const std::string& smbios_uuid,
                            const std::string& host, const std::string& report_time,
                            const std::string& delivery_id) {
  const auto& kind = remedy.resource_kind;
  const bool known_kind =
      kind == "virtual_machine" || kind == "flexible_member" || kind == "uniform_instance";
  auto current = remedy.current_incarnation;
  auto next = remedy.next_incarnation;
  return {
      {"ticket_version", kResetTicketVersion},
      {"resource_id", text_or_null(remedy.resource_id, is_ticket_resource_id(remedy.resource_id))},
      {"resource_kind", known_kind ? kind : std::string("unknown")},
      {"cloud", text_or_null(remedy.cloud, probes::is_cloud_name(remedy.cloud))},
      {"current_key_incarnation_id", current && *current >= 0 && *current <= 2147483647
                                         ? nlohmann::json(*current)
                                         : nlohmann::json(nullptr)},
      {"next_key_incarnation_id",
       next && *next >= 1 && *next <= 2147483647 ? nlohmann::json(*next) : nlohmann::json(nullptr)},
      {"verdict", is_verdict_code(verdict_code) ? verdict_code : std::string("unknown")},
      {"vm_id", text_or_null(probes::ascii_lower(vm_id), probes::is_guid_text(vm_id))},
      {"smbios_uuid",
       text_or_null(probes::ascii_lower(smbios_uuid), probes::is_guid_text(smbios_uuid))},
      {"host", text_or_null(
                   host, probes::is_host_name(host) && host.front() != '-' && host.front() != '.')},
      {"report_time", is_rfc3339_utc(report_time) ? report_time : "1970-01-01T00:00:00Z"},
      {"delivery_id",
       text_or_null(probes::ascii_lower(delivery_id), probes::is_guid_text(delivery_id))}};
}

nlohmann::json reset_ticket(const Report& report, const std::string& delivery_id) {
  if (!report.remedy) return nullptr;
  const Identity& id = report.identity;
  // vmId only from IMDS or the cache: with an unknown identity the report's vm_id is the SMBIOS
  // UUID, which has its own field.
  const std::string vm_id = id.source == "imds" || id.source == "cache" ? id.vm_id : std::string();
  const std::string smbios =
      !report.host.smbios_uuid.empty() ? report.host.smbios_uuid : id.smbios_uuid;
  return reset_ticket(*report.remedy, to_string(report.verdict.code), vm_id, smbios,
                      report.host.host_name, report.generated_at, delivery_id);
}

}  // namespace latchwatch
