#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "reporting/sinks/hmac_sha256.h"

namespace latchwatch::reporting {

std::string hmac_sha256(const std::string& key, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
            &length))
    return {};
  return std::string(reinterpret_cast<const char*>(digest), length);
}

bool random_bytes(unsigned char* out, std::size_t size) {
  return RAND_bytes(out, static_cast<int>(size)) == 1;
}

}  // namespace latchwatch::reporting
