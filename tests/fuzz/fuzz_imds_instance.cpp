// Property: any bytes parse to a value or a named error; a parsed identity serialises strictly
// (no invalid UTF-8 escapes into a report).
#include <nlohmann/json.hpp>

#include "probes/payloads/imds_instance.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  auto parsed =
      latchwatch::probes::parse_imds_instance({reinterpret_cast<const char*>(data), size});
  if (!parsed) {
    if (parsed.error.empty()) __builtin_trap();
    return 0;
  }
  nlohmann::json j = *parsed.value;
  (void)j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  return 0;
}
