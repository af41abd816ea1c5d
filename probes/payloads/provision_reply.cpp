#include "probes/payloads/provision_reply.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "probes/base/json_limits.h"
#include "probes/payloads/gpa_status_file.h"

namespace latchwatch::probes {
namespace {

std::string trim(std::string_view s) {
  auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  auto end = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(begin, end - begin + 1));
}

/// GPA module names are identifiers ("keyLatchStatus", "ebpfProgramStatus",
/// "proxyListenerStatus"); a module's own message can span lines and contain " - " itself, so a
/// continuation line never yields a "module" with spaces in it.
bool is_module_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

/// "keyLatchStatus - <message>\r\n" lines (\r\n or \n): the module names before " - ".
std::vector<std::string> unready_modules(const std::string& message) {
  std::vector<std::string> modules;
  std::size_t start = 0;
  while (start < message.size()) {
    auto end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    std::string line = trim(std::string_view(message).substr(start, end - start));
    auto dash = line.find(" - ");
    if (dash != std::string::npos && is_module_name(std::string_view(line).substr(0, dash)))
      modules.push_back(line.substr(0, dash));
    start = end + 1;
  }
  return modules;
}

}  // namespace

Parsed<ProvisionReply> parse_provision_reply(std::string_view body) {
  std::string error;
  auto j = parse_untrusted_json(body, error);
  if (j.is_discarded()) return Parsed<ProvisionReply>::fail(error);
  if (!j.is_object()) return Parsed<ProvisionReply>::fail("not a JSON object");
  ProvisionReply reply;
  auto finished = j.find("finished");
  if (finished == j.end()) return Parsed<ProvisionReply>::fail("/finished is missing");
  // GPA sends a bool; a string "true"/"false" (any case) is tolerated as IMDS-style JSON.
  const std::string text =
      finished->is_string() ? ascii_lower(finished->get_ref<const std::string&>()) : std::string();
  if (finished->is_boolean())
    reply.finished = finished->get<bool>();
  else if (text == "true" || text == "false")
    reply.finished = text == "true";
  else
    return Parsed<ProvisionReply>::fail("/finished must be true or false");
  if (auto message = j.find("errorMessage"); message != j.end() && !message->is_null()) {
    if (!message->is_string())
      return Parsed<ProvisionReply>::fail("/errorMessage must be a string");
    // Redact before cutting: a cut through a hex run would leave a piece of it unredacted.
    reply.error_message = sanitize_text(redact_hex(message->get_ref<const std::string&>()), 2048);
  }
  reply.unready_modules = unready_modules(reply.error_message);
  return Parsed<ProvisionReply>::ok(std::move(reply));
}

void to_json(nlohmann::json& j, const ProvisionReply& r) {
  j = {{"finished", r.finished},
       {"errorMessage", r.error_message},
       {"unreadyModules", r.unready_modules}};
}

}  // namespace latchwatch::probes
