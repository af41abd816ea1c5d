// Property: any bytes as an `az graph query` export give rows or named errors, never a crash;
// a kept row's resource id passed the resource checks; the HTML page of a plan built with it
// never carries markup from the input.
#include <string>

#include "agent/plan/reset_plan_html.h"
#include "agent/plan/resource_graph.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using namespace latchwatch::plan;
  std::vector<std::string> errors;
  Inventory inventory;
  read_resource_graph("fuzz.json", {reinterpret_cast<const char*>(data), size}, inventory, errors);
  for (const auto& e : errors)
    if (e.rfind("fuzz.json", 0) != 0) __builtin_trap();
  std::vector<ReportRecord> records(1);
  records[0].origin = "r.json";
  records[0].verdict_code = "key_lost";
  records[0].identity.source = "unknown";
  for (const auto& vm : inventory.vms) {
    if (vm.resource_id.find_first_of("$`;|&<>\"' \\") != std::string::npos) __builtin_trap();
    if (records[0].identity.vm_id.empty()) records[0].identity.vm_id = vm.vm_id;
  }
  auto use = apply_inventory(records, inventory);
  ResetPlan plan = build_reset_plan(records, {});
  plan.input_errors = errors;
  std::string page = reset_plan_html(plan, &inventory, &use);
  if (page.find("<script") != std::string::npos || page.find("<img") != std::string::npos)
    __builtin_trap();
  return 0;
}
