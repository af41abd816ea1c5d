// The SMBIOS system UUID, and its Gen1 byte-swapped form that IMDS reports as vmId.

#include "probes/local/smbios.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

using testing::TempDir;
using testing::write_file;

constexpr const char* kUuid = "d0a1b2c3-0000-4000-8000-000000000001";
constexpr const char* kSwapped = "c3b2a1d0-0000-0040-8000-000000000001";

TEST(SmbiosTest, ReadsTrimsAndLowerCasesTheUuid) {
  TempDir dir;
  write_file(dir / "product_uuid", "D0A1B2C3-0000-4000-8000-000000000001\n");
  auto uuid = read_smbios_uuid(dir / "product_uuid");
  ASSERT_TRUE(uuid) << uuid.error;
  EXPECT_EQ(*uuid.value, kUuid);

  write_file(dir / "padded", " \t d0a1b2c3-0000-4000-8000-000000000001 \r\n\n");
  auto padded = read_smbios_uuid(dir / "padded");
  ASSERT_TRUE(padded) << padded.error;
  EXPECT_EQ(*padded.value, kUuid);
}

TEST(SmbiosTest, WhatIsNotAUuidIsRefusedNamingThePath) {
  TempDir dir;
  for (const char* content :
       {"", "\n", "not a uuid", "d0a1b2c3-0000-4000-8000-00000000000",
        "d0a1b2c3-0000-4000-8000-0000000000011", "d0a1b2c3000040008000000000000001",
        "z0a1b2c3-0000-4000-8000-000000000001",
        "d0a1b2c3-0000-4000-8000-000000000001 d0a1b2c3-0000-4000-8000-000000000001"}) {
    write_file(dir / "uuid", content);
    auto r = read_smbios_uuid(dir / "uuid");
    EXPECT_FALSE(r) << content;
    EXPECT_NE(r.error.find(dir / "uuid"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("not a UUID"), std::string::npos) << r.error;
  }
}

TEST(SmbiosTest, UnreadableSourcesAreRefusedWithTheReason) {
  TempDir dir;
  auto missing = read_smbios_uuid(dir / "missing");
  EXPECT_FALSE(missing);
  EXPECT_NE(missing.error.find(dir / "missing"), std::string::npos) << missing.error;

  // Larger than 4 KiB: refused before anything is parsed.
  write_file(dir / "huge", std::string(kUuid) + std::string(5000, '\n'));
  EXPECT_FALSE(read_smbios_uuid(dir / "huge"));
  // Planted symlinks and FIFOs: smbios_posix_test.cpp.
}

TEST(SmbiosTest, ByteSwapReversesTheFirstThreeGroups) {
  EXPECT_EQ(byte_swapped_uuid(kUuid), kSwapped);
  EXPECT_EQ(byte_swapped_uuid("00112233-4455-6677-8899-aabbccddeeff"),
            "33221100-5544-7766-8899-aabbccddeeff");
  EXPECT_EQ(byte_swapped_uuid(byte_swapped_uuid(kUuid)), kUuid) << "the swap is its own inverse";
  EXPECT_EQ(byte_swapped_uuid("D0A1B2C3-0000-4000-8000-000000000001"),
            "C3B2A1D0-0000-0040-8000-000000000001")
      << "case is kept";
}

TEST(SmbiosTest, ByteSwapLeavesNonUuidsUnchanged) {
  EXPECT_EQ(byte_swapped_uuid(""), "");
  EXPECT_EQ(byte_swapped_uuid("not-a-uuid"), "not-a-uuid");
}

TEST(SmbiosTest, MatchesVmIdDirectlyOrByteSwappedInAnyCase) {
  EXPECT_TRUE(smbios_matches_vm_id(kUuid, kUuid));
  EXPECT_TRUE(smbios_matches_vm_id(kUuid, kSwapped));
  EXPECT_TRUE(smbios_matches_vm_id(kUuid, "C3B2A1D0-0000-0040-8000-000000000001"));
  EXPECT_TRUE(smbios_matches_vm_id("D0A1B2C3-0000-4000-8000-000000000001", kUuid));
  EXPECT_FALSE(smbios_matches_vm_id(kUuid, "11111111-0000-4000-8000-000000000001"));
  EXPECT_FALSE(smbios_matches_vm_id(kUuid, "c3b2a1d0-0000-4000-8000-000000000001"))
      << "swapping only some groups is no match";
  EXPECT_FALSE(smbios_matches_vm_id("", "")) << "no SMBIOS UUID never matches";
  EXPECT_FALSE(smbios_matches_vm_id(kUuid, ""));
}

}  // namespace
}  // namespace latchwatch::probes
