// Property: any bytes give a cache or a named error; a parsed cache round-trips through its own
// serialiser unchanged.
#include <nlohmann/json.hpp>

#include "agent/diagnosis/identity_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using namespace latchwatch::diagnosis;
  auto parsed = parse_identity_cache({reinterpret_cast<const char*>(data), size});
  if (!parsed) {
    if (parsed.error.empty()) __builtin_trap();
    return 0;
  }
  nlohmann::json first = *parsed.value;
  auto again =
      parse_identity_cache(first.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!again) __builtin_trap();
  nlohmann::json second = *again.value;
  if (first != second) __builtin_trap();
  return 0;
}
