// Property: any bytes as a config file give a config or an error naming what is wrong; never a
// crash, never an exception.
#include <nlohmann/json.hpp>

#include "agent/config/config.h"
#include "probes/base/json_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  std::string error;
  auto document =
      latchwatch::probes::parse_untrusted_json({reinterpret_cast<const char*>(data), size}, error);
  if (document.is_discarded()) return 0;
  latchwatch::agent::Config config;
  auto problem = latchwatch::agent::apply_config_json(document, config);
  if (problem.empty()) (void)latchwatch::agent::effective_config(config).dump();
  return 0;
}
