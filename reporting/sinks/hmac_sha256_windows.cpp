// Windows CNG (bcrypt.dll): an HMAC algorithm provider (BCRYPT_ALG_HANDLE_HMAC_FLAG), one hash
// object per call, and the system-preferred RNG.
#include <windows.h>
// (windows.h first: bcrypt.h needs its types.)
#include <bcrypt.h>

#include "reporting/sinks/hmac_sha256.h"

namespace latchwatch::reporting {
namespace {

bool ok(NTSTATUS status) { return status >= 0; }

}  // namespace

std::string hmac_sha256(const std::string& key, const std::string& message) {
  BCRYPT_ALG_HANDLE algorithm = nullptr;
  if (!ok(BCryptOpenAlgorithmProvider(&algorithm, BCRYPT_SHA256_ALGORITHM, nullptr,
                                      BCRYPT_ALG_HANDLE_HMAC_FLAG)))
    return {};
  std::string digest;
  BCRYPT_HASH_HANDLE hash = nullptr;
  // CNG takes a non-const key buffer; it does not write to it.
  std::string key_copy = key;
  if (ok(BCryptCreateHash(algorithm, &hash, nullptr, 0, reinterpret_cast<PUCHAR>(key_copy.data()),
                          static_cast<ULONG>(key_copy.size()), 0))) {
    std::string data = message;
    unsigned char out[32];
    if (ok(BCryptHashData(hash, reinterpret_cast<PUCHAR>(data.data()),
                          static_cast<ULONG>(data.size()), 0)) &&
        ok(BCryptFinishHash(hash, out, sizeof out, 0)))
      digest.assign(reinterpret_cast<const char*>(out), sizeof out);
    BCryptDestroyHash(hash);
  }
  SecureZeroMemory(key_copy.data(), key_copy.size());
  BCryptCloseAlgorithmProvider(algorithm, 0);
  return digest;
}

bool random_bytes(unsigned char* out, std::size_t size) {
  return ok(
      BCryptGenRandom(nullptr, out, static_cast<ULONG>(size), BCRYPT_USE_SYSTEM_PREFERRED_RNG));
}

}  // namespace latchwatch::reporting
