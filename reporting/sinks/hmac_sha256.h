#pragma once
/// The platform's crypto that the webhook needs: HMAC-SHA256 for the signature header and random
/// bytes for delivery ids. One header, two implementations: OpenSSL on Linux
/// (hmac_sha256_posix.cpp), Windows CNG (bcrypt) on Windows (hmac_sha256_windows.cpp); both give
/// the same bytes (tests/sinks/hmac_sha256_test.cpp runs RFC 4231's vectors on both).
///
/// Errors: never throws. The key is never logged or kept.

#include <cstddef>
#include <string>

namespace latchwatch::reporting {

/// Raw HMAC-SHA256(key, message): 32 bytes; empty only if the platform's crypto failed.
std::string hmac_sha256(const std::string& key, const std::string& message);

/// hex(HMAC-SHA256(key, message)), lower case; empty only if the platform's crypto failed.
std::string hmac_sha256_hex(const std::string& key, const std::string& message);

/// Fills `out` with `size` bytes from the platform's CSPRNG; false if it failed.
bool random_bytes(unsigned char* out, std::size_t size);

}  // namespace latchwatch::reporting
