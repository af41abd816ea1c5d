// Property: any bytes as an `az monitor activity-log list` export give operations or named
// errors, never a crash; explaining a plan's resets with them and rendering the plan (text, JSON,
// HTML) never carries markup from the input into the page.
#include <string>

#include "agent/plan/activity_log.h"
#include "agent/plan/reset_plan.h"
#include "agent/plan/reset_plan_html.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using namespace latchwatch::plan;
  std::vector<std::string> errors;
  ActivityLog log;
  read_activity_log("fuzz.json", {reinterpret_cast<const char*>(data), size}, log, errors);
  for (const auto& e : errors)
    if (e.rfind("fuzz.json", 0) != 0) __builtin_trap();
  std::vector<ReportRecord> records(1);
  records[0].origin = "r.json";
  records[0].verdict_code = "key_lost";
  records[0].identity.source = "imds";
  records[0].identity.resource_id =
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
      "Microsoft.Compute/virtualMachines/vm1";
  ResetPlan plan = build_reset_plan(records, {});
  explain_resets(plan, log, 24 * 3600);
  std::string page = reset_plan_html(plan, nullptr, nullptr);
  if (page.find("<script") != std::string::npos || page.find("<img") != std::string::npos)
    __builtin_trap();
  return 0;
}
