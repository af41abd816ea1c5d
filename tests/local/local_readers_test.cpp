// Local evidence: the key folder (listed, never opened), bounded file reads, GPA presence, SMBIOS.
// Cases with modes, FIFOs and symlinks are in local_readers_posix_test.cpp.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "probes/local/gpa_presence.h"
#include "probes/local/key_folder.h"
#include "probes/local/smbios.h"
#include "probes/os/bounded_file.h"
#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

using testing::TempDir;
using testing::write_file;

constexpr const char* kGuid = "e3882f98-da8d-4410-8394-06c23462781c";

TEST(KeyFolder, WindowsNamesCountAndOddNamesDoNot) {
  TempDir dir;
  write_file(dir / (std::string(kGuid) + ".encrypted"), "x");
  write_file(dir / "not-a-guid.key", "x");
  write_file(dir / (std::string(kGuid) + ".key.bak"), "x");
  auto listing = list_key_folder(dir.path());
  EXPECT_EQ(listing.key_guids(), std::vector<std::string>{kGuid});
}

TEST(KeyFolder, MissingAndNotAFolderAreNamed) {
  TempDir dir;
  auto missing = list_key_folder(dir / "nope");
  EXPECT_EQ(missing.state, ReadState::missing);
  EXPECT_NE(missing.error.find("nope"), std::string::npos);
  write_file(dir / "file", "x");
  EXPECT_EQ(list_key_folder(dir / "file").state, ReadState::not_a_directory);
  EXPECT_EQ(list_key_folder(dir / "file/keys").state, ReadState::not_a_directory);
}

TEST(BoundedFile, ReadsASmallRegularFile) {
  TempDir dir;
  write_file(dir / "f", "hello");
  auto r = read_bounded_file(dir / "f", 10);
  EXPECT_EQ(r.state, ReadState::ok);
  EXPECT_EQ(r.content, "hello");
}

TEST(BoundedFile, HugeFileIsTooLargeWithoutReadingIt) {
  TempDir dir;
  write_file(dir / "big", "");
  std::filesystem::resize_file(dir / "big", 1ull << 30);  // 1 GiB, sparse
  auto r = read_bounded_file(dir / "big", 1024 * 1024);
  EXPECT_EQ(r.state, ReadState::too_large);
  EXPECT_TRUE(r.content.empty());
}

TEST(BoundedFile, MissingIsMissing) {
  TempDir dir;
  EXPECT_EQ(read_bounded_file(dir / "none", 10).state, ReadState::missing);
}

// GpaPresence.AnyTraceCounts: gpa_presence_posix_test.cpp (Linux's traces).

TEST(Smbios, ReadsAndValidatesTheUuid) {
  TempDir dir;
  write_file(dir / "uuid", "D0A1B2C3-0000-4000-8000-000000000001\n");
  auto uuid = read_smbios_uuid(dir / "uuid");
  ASSERT_TRUE(uuid) << uuid.error;
  EXPECT_EQ(*uuid.value, "d0a1b2c3-0000-4000-8000-000000000001");
  write_file(dir / "bad", "not a uuid");
  EXPECT_FALSE(read_smbios_uuid(dir / "bad"));
  EXPECT_FALSE(read_smbios_uuid(dir / "missing"));
}

TEST(Smbios, Gen1ByteSwapMatchesVmId) {
  EXPECT_EQ(byte_swapped_uuid("d0a1b2c3-0000-4000-8000-000000000001"),
            "c3b2a1d0-0000-0040-8000-000000000001");
  EXPECT_TRUE(smbios_matches_vm_id("d0a1b2c3-0000-4000-8000-000000000001",
                                   "C3B2A1D0-0000-0040-8000-000000000001"));
  EXPECT_TRUE(smbios_matches_vm_id("d0a1b2c3-0000-4000-8000-000000000001",
                                   "d0a1b2c3-0000-4000-8000-000000000001"));
  EXPECT_FALSE(smbios_matches_vm_id("d0a1b2c3-0000-4000-8000-000000000001",
                                    "11111111-0000-4000-8000-000000000001"));
}

}  // namespace
}  // namespace latchwatch::probes
