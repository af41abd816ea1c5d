#include "reporting/sinks/hmac_sha256.h"

namespace latchwatch::reporting {

std::string hmac_sha256_hex(const std::string& key, const std::string& message) {
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : hmac_sha256(key, message)) {
    hex += digits[byte >> 4];
    hex += digits[byte & 0x0F];
  }
  return hex;
}

}  // namespace latchwatch::reporting
