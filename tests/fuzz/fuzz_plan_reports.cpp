// Property: any bytes as a collected report file give records or named errors, never a crash; a
// plan built from them prints only identities that passed the resource checks (no shell
// metacharacters reach a command).
#include <string>

#include "agent/plan/reset_plan.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using namespace latchwatch::plan;
  std::vector<std::string> errors;
  auto records =
      read_report_records("fuzz.json", {reinterpret_cast<const char*>(data), size}, errors);
  for (const auto& e : errors)
    if (e.rfind("fuzz.json", 0) != 0) __builtin_trap();
  auto plan = build_reset_plan(std::move(records), {});
  std::string text = reset_plan_text(plan);
  for (const auto& reset : plan.vms)
    if (reset.resource_id.find_first_of("$`;|&<>\"' \\") != std::string::npos) __builtin_trap();
  // Everything echoed is escaped on one line: the text holds no control character but '\n'.
  for (char c : text)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) __builtin_trap();
  return 0;
}
