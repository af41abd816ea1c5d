#include "reporting/sinks/health_answer.h"

#include <algorithm>

#include "probes/base/azure_names.h"

namespace latchwatch::reporting {

std::vector<latchwatch::VerdictCode> default_health_verdicts() {
  using V = latchwatch::VerdictCode;
  return {V::key_lost, V::key_mismatch, V::key_suspect_mismatch};
}

bool parse_health_verdicts(const std::string& text, std::vector<latchwatch::VerdictCode>& out,
                           std::string& error) {
  std::vector<latchwatch::VerdictCode> codes;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    auto code = latchwatch::verdict_from_string(item);
    if (!code || *code == latchwatch::VerdictCode::healthy) {
      error =
          "must list verdict codes other than healthy, separated by commas (e.g. "
          "key_lost,key_mismatch); '" +
          item.substr(0, 64) + "' is not one";
      return false;
    }
    if (std::find(codes.begin(), codes.end(), *code) == codes.end()) codes.push_back(*code);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  out = std::move(codes);
  return true;
}

std::string health_verdicts_text(const std::vector<latchwatch::VerdictCode>& codes) {
  std::string text;
  for (auto code : codes) text += (text.empty() ? "" : ",") + std::string(to_string(code));
  return text;
}

void HealthAnswer::configure(bool enabled, std::vector<latchwatch::VerdictCode> counted) {
  std::lock_guard<std::mutex> lock(mutex_);
  enabled_ = enabled;
  counted_ = std::move(counted);
}

bool HealthAnswer::enabled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return enabled_;
}

void HealthAnswer::update(const CycleReport& report) {
  std::lock_guard<std::mutex> lock(mutex_);
  seen_ = true;
  verdict_ = report.has_confirmed ? report.confirmed : latchwatch::VerdictCode::healthy;
  const auto& id = report.report.identity.resource_id;
  resource_ = probes::is_azure_resource_id(id) ? id : std::string();
}

HealthAnswer::Reply HealthAnswer::compute() const {
  if (!seen_) return {200, R"({"status":"starting"})"};
  nlohmann::json body = {{"verdict", to_string(verdict_)}};
  const bool counted = std::find(counted_.begin(), counted_.end(), verdict_) != counted_.end();
  body["status"] = counted ? "unhealthy" : "ok";
  if (counted) {
    body["action"] = latchwatch::info(verdict_).owner_action;
    body["resource"] = resource_.empty() ? nlohmann::json() : nlohmann::json(resource_);
  }
  return {counted ? 503 : 200, dump_json(body)};
}

HealthAnswer::Reply HealthAnswer::reply() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return compute();
}

}  // namespace latchwatch::reporting
