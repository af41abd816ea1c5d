#pragma once
/// GPA local listener `GET /provision` reply: {"finished":bool,"errorMessage":"..."}.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "probes/base/parsed.h"

namespace latchwatch::probes {

struct ProvisionReply {
  bool finished = false;
  std::string error_message;
  /// Module names that errorMessage lists as unready ("keyLatchStatus - <msg>\r\n" lines).
  std::vector<std::string> unready_modules;
};

Parsed<ProvisionReply> parse_provision_reply(std::string_view body);

void to_json(nlohmann::json& j, const ProvisionReply& r);

}  // namespace latchwatch::probes
