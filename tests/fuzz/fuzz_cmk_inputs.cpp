// Property: any bytes as the VM export (with the test fleet's disks and DES) give a plan or
// errors naming the file, never a crash; no printed command carries shell metacharacters beyond
// the plan's own quoting.
#include <fstream>
#include <sstream>
#include <string>

#include "agent/plan/cmk_plan.h"

namespace {
std::string fixture(const char* name) {
  std::ifstream in(std::string(LATCHWATCH_FIXTURES_DIR) + "/plan/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using namespace latchwatch::plan;
  static const NamedFile disks{"disks.json", fixture("disks.json")};
  static const NamedFile des{"des.json", fixture("des-cvm-a.json")};
  NamedFile vms{"vms.json", std::string(reinterpret_cast<const char*>(data), size)};
  auto inputs = read_cmk_inputs(vms, disks, des, std::nullopt);
  for (const auto& e : inputs.errors)
    if (e.rfind("vms.json", 0) != 0) __builtin_trap();
  if (!inputs.errors.empty()) return 0;
  auto plan = build_cmk_plan(inputs);
  for (const auto& vm : plan.confidential)
    if (vm.id.find_first_of("$`;|&<>\"' \\") != std::string::npos) __builtin_trap();
  cmk_plan_text(plan);
  return 0;
}
