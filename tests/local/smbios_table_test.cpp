// The pure SMBIOS table parser (probes/local/smbios.h) on real table bytes
// (tests/fixtures/smbios/README.md): what wine 8.0's GetSystemFirmwareTable('RSMB') returns, and
// the head of a Microsoft firmware's SMBIOS 3.2 table with its entry point as hwinfo logged them
// from Linux's sysfs. Runs on Linux and, compiled for Windows, under wine.

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "probes/local/smbios.h"
#include "tests/support/test_support.h"

namespace latchwatch::probes {
namespace {

constexpr const char* kInOrder = "3d1219c7-c4c5-404a-aa1f-6d2a48adfda4";
constexpr const char* kLittleEndian = "c719123d-c5c4-4a40-aa1f-6d2a48adfda4";
constexpr std::size_t kType1 = 8 + 26;  // header, then type 0 (24 bytes and "\0\0")

std::string fixture(const std::string& name) {
  return testing::read_file(std::string(LATCHWATCH_FIXTURES_DIR) + "/smbios/" + name);
}

std::string raw() { return fixture("wine-8.0-rsmb.bin"); }

TEST(SmbiosTable, MicrosoftFirmwareTableFromSysfsIsLittleEndianPer32) {
  auto version = smbios_version_from_entry_point(fixture("hwinfo-sm3-entry-point.bin"));
  ASSERT_TRUE(version) << version.error;
  EXPECT_EQ(version.value->first, 3);
  EXPECT_EQ(version.value->second, 2);
  std::string table = fixture("hwinfo-dmi-table-head.bin");
  ASSERT_EQ(table.size(), 112u);
  // Type 1 sits at 48h; its 27 bytes are all there (the log was cut in its strings).
  auto uuid = smbios_uuid_from_table(table, version.value->first, version.value->second);
  ASSERT_TRUE(uuid) << uuid.error;
  EXPECT_EQ(*uuid.value, "1a37c045-885f-5ee5-4736-4c065b0ddb39");
  // The same bytes as Windows hands them over: RawSMBIOSData's header, then the table.
  std::string windows("\x00\x03\x02\x00", 4);
  windows += std::string("\x70\x00\x00\x00", 4) + table;
  auto same = smbios_uuid_from_raw_smbios_data(windows);
  ASSERT_TRUE(same) << same.error;
  EXPECT_EQ(*same.value, *uuid.value);
}

TEST(SmbiosTable, EntryPointsOtherThanSm3AndSmAreRefused) {
  std::string sm3 = fixture("hwinfo-sm3-entry-point.bin");
  EXPECT_FALSE(smbios_version_from_entry_point(sm3.substr(0, 23)));
  EXPECT_FALSE(smbios_version_from_entry_point("_DMI_" + sm3.substr(5)));
  EXPECT_FALSE(smbios_version_from_entry_point(""));
  std::string sm2(0x1F, '\0');
  sm2.replace(0, 4, "_SM_");
  sm2[6] = 2;
  sm2[7] = 8;
  auto v2 = smbios_version_from_entry_point(sm2);
  ASSERT_TRUE(v2) << v2.error;
  EXPECT_EQ(*v2.value, std::make_pair(2, 8));
}

TEST(SmbiosTable, TheFixtureIsTheDocumentedTable) {
  std::string bytes = raw();
  ASSERT_EQ(bytes.size(), 131u);
  EXPECT_EQ(bytes[kType1], '\x01');
  EXPECT_EQ(bytes[kType1 + 1], '\x1b');
}

TEST(SmbiosTable, VersionBefore26PrintsTheBytesInOrder) {
  auto uuid = smbios_uuid_from_raw_smbios_data(raw());
  ASSERT_TRUE(uuid) << uuid.error;
  EXPECT_EQ(*uuid.value, kInOrder);
  // The same table without Windows' header, as Linux exports it (/sys/firmware/dmi/tables/DMI).
  auto table = smbios_uuid_from_table(raw().substr(8), 2, 4);
  ASSERT_TRUE(table) << table.error;
  EXPECT_EQ(*table.value, kInOrder);
}

TEST(SmbiosTable, From26OnTheFirstThreeFieldsAreLittleEndian) {
  std::string bytes = raw();
  for (auto [major, minor] : {std::pair{2, 6}, std::pair{3, 0}, std::pair{3, 7}}) {
    bytes[1] = static_cast<char>(major);
    bytes[2] = static_cast<char>(minor);
    auto uuid = smbios_uuid_from_raw_smbios_data(bytes);
    ASSERT_TRUE(uuid) << uuid.error;
    EXPECT_EQ(*uuid.value, kLittleEndian) << major << "." << minor;
    EXPECT_EQ(byte_swapped_uuid(*uuid.value), kInOrder);
  }
}

TEST(SmbiosTable, UnsetAndAbsentUuidsAreNamed) {
  std::string bytes = raw();
  for (std::size_t i = 0; i < 16; ++i) bytes[kType1 + 8 + i] = '\0';
  auto zero = smbios_uuid_from_raw_smbios_data(bytes);
  EXPECT_FALSE(zero);
  EXPECT_NE(zero.error.find("not set"), std::string::npos) << zero.error;
  for (std::size_t i = 0; i < 16; ++i) bytes[kType1 + 8 + i] = '\xff';
  auto ff = smbios_uuid_from_raw_smbios_data(bytes);
  EXPECT_FALSE(ff);
  EXPECT_NE(ff.error.find("not present"), std::string::npos) << ff.error;
}

TEST(SmbiosTable, TruncatedOrCorruptTablesFailWithTheReason) {
  std::string bytes = raw();
  // Every cut of the whole buffer: never a read past the end, never a UUID from half a table.
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    auto r = smbios_uuid_from_raw_smbios_data(bytes.substr(0, cut));
    EXPECT_FALSE(r) << cut;
    EXPECT_FALSE(r.error.empty()) << cut;
  }
  // The table alone, cut inside type 1: the structure no longer fits.
  std::string table = bytes.substr(8);
  auto cut_type1 = smbios_uuid_from_table(table.substr(0, kType1 - 8 + 20), 2, 4);
  EXPECT_FALSE(cut_type1);
  EXPECT_NE(cut_type1.error.find("bad length"), std::string::npos) << cut_type1.error;
  // A structure length below the 4-byte header.
  std::string bad_length = table;
  bad_length[1] = '\x02';
  EXPECT_NE(smbios_uuid_from_table(bad_length, 2, 4).error.find("bad length"), std::string::npos);
  // Type 0's strings never terminated.
  auto unterminated = smbios_uuid_from_table(table.substr(0, 25), 2, 4);
  EXPECT_NE(unterminated.error.find("not terminated"), std::string::npos) << unterminated.error;
  // A System Information structure too short to hold a UUID (SMBIOS 2.0's 8 bytes).
  std::string short_type1 = table;
  short_type1[kType1 - 8 + 1] = '\x08';
  auto too_short = smbios_uuid_from_table(short_type1, 2, 4);
  EXPECT_FALSE(too_short);
  // A table without type 1: the End-of-Table ends the search.
  std::string no_type1 = table;
  no_type1[kType1 - 8] = '\x7e';
  auto none = smbios_uuid_from_table(no_type1, 2, 4);
  EXPECT_NE(none.error.find("no System Information"), std::string::npos) << none.error;
  EXPECT_FALSE(smbios_uuid_from_table("", 3, 0));
}

}  // namespace
}  // namespace latchwatch::probes
