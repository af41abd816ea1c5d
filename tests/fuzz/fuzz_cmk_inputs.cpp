// Property: any bytes as the VM export, as a scale-set export or as the associated-resources list
// (with the test fleet's other exports) give a plan or errors naming that file, never a crash; no
// printed command carries a value outside the plan's own single quotes.
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

/// Outside single quotes, a command holds only code text: no shell metacharacter may appear
/// there except the plan's own `"$NEW_KEY_URL"`, `$(` … `)` and `>` redirections.
bool quoted_safely(const std::string& command) {
  bool inside = false;
  for (char c : command) {
    if (c == '\'') {
      inside = !inside;
      continue;
    }
    if (!inside && (c == ';' || c == '&' || c == '|' || c == '`' || c == '\n' || c == '<'))
      return false;
  }
  return !inside;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using namespace latchwatch::plan;
  static const std::string vms = fixture("vms.json"), disks = fixture("disks.json"),
                           des = fixture("des-cvm-a-rotating.json"),
                           vmss = fixture("vmss-cvm-pool.json"),
                           associated = fixture("associated-cvm-a.json");
  std::string bytes(reinterpret_cast<const char*>(data), size);
  // The length picks which file the bytes stand for (every JSON seed starts with '[').
  int target = static_cast<int>(size % 3);
  CmkFiles files;
  files.vms = {"vms.json", target == 0 ? bytes : vms};
  files.disks = {"disks.json", disks};
  files.des = {"des.json", des};
  files.vmss = {{"vmss.json", target == 1 ? bytes : vmss}};
  files.associated = NamedFile{"associated.json", target == 2 ? bytes : associated};
  files.new_key_url =
      "https://kv-cvm.vault.azure.net/keys/cvm-key/5d4c3b2a1f0e4d9c8b7a6f5e4d3c2b1a";
  const char* names[] = {"vms.json", "vmss.json", "associated.json"};
  auto inputs = read_cmk_inputs(files);
  for (const auto& e : inputs.errors)
    if (e.rfind(names[target], 0) != 0) __builtin_trap();
  if (!inputs.errors.empty()) return 0;
  auto plan = build_cmk_plan(inputs);
  for (const auto& step : plan.steps)
    for (const auto& c : step.commands)
      if (!quoted_safely(c)) __builtin_trap();
  for (const auto& u : plan.not_verified)
    for (const auto& c : u.commands)
      if (!quoted_safely(c)) __builtin_trap();
  cmk_plan_text(plan);
  cmk_plan_document(plan).dump();
  return 0;
}
