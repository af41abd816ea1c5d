// Property: any bytes parse to a value or a named error; nothing hex-like of key length survives
// into the kept message, and the summary serialises strictly.
#include <nlohmann/json.hpp>

#include "probes/payloads/gpa_status_file.h"

namespace {
bool has_long_hex_run(const std::string& s) {
  int run = 0;
  for (unsigned char c : s) {
    run = std::isxdigit(c) ? run + 1 : 0;
    if (run >= 32) return true;
  }
  return false;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  auto parsed =
      latchwatch::probes::parse_gpa_status_file({reinterpret_cast<const char*>(data), size});
  if (!parsed) {
    if (parsed.error.empty()) __builtin_trap();
    return 0;
  }
  if (has_long_hex_run(parsed.value->key_latch_message)) __builtin_trap();
  nlohmann::json j = *parsed.value;
  (void)j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  return 0;
}
