#pragma once
/// The planted key the key-folder tests share (key_folder_test.cpp and its POSIX half): two
/// guids, key hex that must never appear in any output, and a key file written as GPA writes it.

#include <string>

#include "tests/support/test_support.h"

namespace latchwatch::testing::keys {

constexpr const char* kGuid = "e3882f98-da8d-4410-8394-06c23462781c";
constexpr const char* kOtherGuid = "0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9";
constexpr const char* kKeyHex = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

inline std::string key_name(const std::string& guid) { return guid + ".key"; }

/// Writes a key file the way GPA does: JSON holding the key in hex.
inline void plant_key(const std::string& dir, const std::string& guid) {
  write_file(dir + "/" + key_name(guid),
             R"({"guid":")" + guid + R"(","key":")" + kKeyHex + R"(","incarnationId":1})");
}

}  // namespace latchwatch::testing::keys
