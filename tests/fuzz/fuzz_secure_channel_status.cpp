// Property: any bytes parse to a value or a named error, never a crash; a parsed status is
// self-consistent (disabled means every mode disabled, HostGA follows WireServer) and its summary
// serialises.
#include <nlohmann/json.hpp>

#include "probes/payloads/secure_channel_status.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using namespace latchwatch::probes;
  auto parsed = parse_secure_channel_status({reinterpret_cast<const char*>(data), size});
  if (!parsed) {
    if (parsed.error.empty()) __builtin_trap();
    return 0;
  }
  const auto& s = *parsed.value;
  if (!s.enabled && (s.wireserver != Mode::disabled || s.imds != Mode::disabled)) __builtin_trap();
  // HostGAPlugin always follows WireServer, as in GPA (key.rs get_hostga_mode).
  if (s.hostga != s.wireserver) __builtin_trap();
  nlohmann::json j = s;
  (void)j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  return 0;
}
