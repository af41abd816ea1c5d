// Property: any bytes as a boot diagnostics log give records or named errors, never a crash;
// every record's identity passed the resource checks; a line the writer formats from a parsed
// line parses again to the same verdict, time and keyIncarnationIds.
#include <string>

#include "agent/plan/boot_log_records.h"
#include "reporting/report/serial_line.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using namespace latchwatch;
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> errors;
  auto read = plan::read_boot_log_records("fuzz.log", text, errors);
  for (const auto& e : errors)
    if (e.rfind("fuzz.log:", 0) != 0) __builtin_trap();
  for (const auto& r : read.records)
    if (r.identity.resource_id.find_first_of("$`;|&<>\"' \\") != std::string::npos ||
        r.host.find_first_of("$`;|&<>\"' \\") != std::string::npos)
      __builtin_trap();
  auto parsed = reporting::parse_serial_line(text);
  if (parsed) {
    auto again = reporting::parse_serial_line(reporting::format_serial_line(*parsed.value));
    if (!again || again.value->verdict != parsed.value->verdict ||
        again.value->generated_at != parsed.value->generated_at ||
        again.value->incarnation != parsed.value->incarnation ||
        again.value->next_incarnation != parsed.value->next_incarnation)
      __builtin_trap();
  }
  return 0;
}
