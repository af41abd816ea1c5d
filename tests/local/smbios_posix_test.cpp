// The SMBIOS UUID file on Linux: what only POSIX file systems can plant.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probes/local/smbios.h"
#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

using testing::TempDir;
using testing::write_file;

constexpr const char* kUuid = "d0a1b2c3-0000-4000-8000-000000000001";

TEST(SmbiosTest, PlantedSymlinkAndFifoAreRefused) {
  TempDir dir;
  write_file(dir / "target", kUuid);
  ASSERT_EQ(::symlink((dir / "target").c_str(), (dir / "link").c_str()), 0);
  auto link = read_smbios_uuid(dir / "link");
  EXPECT_FALSE(link) << "a planted symlink is not followed";
  EXPECT_NE(link.error.find("symbolic link"), std::string::npos) << link.error;

  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_FALSE(read_smbios_uuid(dir / "fifo")) << "and does not block";
}

TEST(SmbiosTest, TheFirmwareTableAgreesWithTheKernelsUuidOrFailsClearly) {
  // Root on a machine with DMI: the parser over the real table must print what the kernel
  // prints in product_uuid. Anywhere else (containers, no root): a named error.
  auto from_table = read_firmware_smbios_uuid();
  auto from_kernel = read_smbios_uuid("/sys/class/dmi/id/product_uuid");
  if (from_table) {
    ASSERT_TRUE(from_kernel) << from_kernel.error;
    EXPECT_EQ(*from_table.value, *from_kernel.value);
  } else {
    EXPECT_NE(from_table.error.find("/sys/firmware/dmi/tables/"), std::string::npos)
        << from_table.error;
  }
  auto by_empty_path = read_smbios_uuid("");
  EXPECT_EQ(by_empty_path.value, from_table.value);
}

}  // namespace
}  // namespace latchwatch::probes
