// Boot diagnostics logs as plan inputs: latchwatch's lines found among kernel, systemd,
// cloud-init and waagent output, CR LF and ANSI colour; damaged and cut lines named; the newest
// line per machine kept; a line is data, checked like a JSON report.

#include "agent/plan/boot_log_records.h"

#include <gtest/gtest.h>

#include "reporting/report/serial_line.h"
#include "tests/support/test_support.h"

namespace latchwatch::plan {
namespace {

const std::string kSub = "6f1c2d3e-4a5b-4c6d-8e7f-0a1b2c3d4e5f";

std::string fixture(const std::string& name) {
  return testing::read_file(std::string(LATCHWATCH_FIXTURES_DIR) + "/bootlog/" + name);
}

std::string signed_line(const std::string& body) {
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", reporting::crc32_ieee(body));
  return body + " crc=" + crc;
}

TEST(BootLogRecords, FindsTheNewestLineAmongConsoleNoise) {
  std::vector<std::string> errors;
  auto read =
      read_boot_log_records("vm-web-01.serial.log", fixture("vm-web-01.serial.log"), errors);
  ASSERT_EQ(read.records.size(), 1u);
  EXPECT_EQ(read.lines_found, 2);
  const auto& r = read.records[0];
  EXPECT_EQ(r.origin, "vm-web-01.serial.log:30");
  EXPECT_EQ(r.verdict_code, "key_lost");
  EXPECT_EQ(r.generated_at, "2026-12-01T03:04:40.002Z");
  EXPECT_EQ(r.largest_incarnation, 6);
  EXPECT_EQ(r.identity.source, "imds");
  EXPECT_EQ(r.identity.resource_id,
            "/subscriptions/" + kSub +
                "/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-web-01");
  EXPECT_EQ(r.identity.name, "vm-web-01");
  EXPECT_EQ(r.host, "vm-web-01");
  EXPECT_EQ(r.identity.vm_id, "8a3c1f52-6d0e-4b7a-9c21-5e4f3a2b1c0d");
  EXPECT_EQ(r.identity.smbios_uuid, r.identity.vm_id);
  // The line another console message broke into, and the one cut by reading the blob mid-write.
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("vm-web-01.serial.log:31: latchwatch line damaged"), std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("vm-web-01.serial.log:32: latchwatch line cut short"), std::string::npos)
      << errors[1];
}

TEST(BootLogRecords, ALogSavedAsUtf16ByWindowsPowerShellIsRead) {
  // Windows PowerShell 5.1's `>` and Out-File write UTF-16LE with a BOM: the same log, saved by
  // `az vm boot-diagnostics get-boot-log ... > vm.log` there, must give the same record.
  std::string utf8 = fixture("vm-web-01.serial.log");
  std::string utf16 = "\xff\xfe";
  for (char c : utf8) {
    utf16 += c;
    utf16 += '\0';
  }
  std::vector<std::string> errors8, errors16;
  auto read8 = read_boot_log_records("vm-web-01.serial.log", utf8, errors8);
  auto read16 = read_boot_log_records("vm-web-01.serial.log", utf16, errors16);
  ASSERT_EQ(read16.records.size(), 1u);
  EXPECT_EQ(read16.lines_found, read8.lines_found);
  EXPECT_EQ(read16.records[0].origin, read8.records[0].origin);
  EXPECT_EQ(read16.records[0].identity.resource_id, read8.records[0].identity.resource_id);
  EXPECT_EQ(read16.records[0].largest_incarnation, 6);
  EXPECT_EQ(errors16.size(), errors8.size());
}

TEST(BootLogRecords, AFloodOfBrokenLinesIsCountedNotEachPrinted) {
  // A VM writes its own console: 200000 broken markers on one line once made 200000 input
  // errors, burying every other machine's. The first ones are named, the rest counted. (50000
  // markers: a line past 1 MiB is skipped whole, see PlanStreaming.)
  std::string text = "[  1.0] kernel\n";
  for (int i = 0; i < 50000; ++i) text += "latchwatch: v1 x ";
  text += "\n" +
          signed_line(
              "latchwatch: v1 fired key_lost 2026-12-01T03:04:40.002Z inc=6>7 "
              "vm=8a3c1f52-6d0e-4b7a-9c21-5e4f3a2b1c0d") +
          "\n";
  std::vector<std::string> errors;
  auto read = read_boot_log_records("flood.log", text, errors);
  ASSERT_EQ(read.records.size(), 1u) << "the good line after the flood is still read";
  ASSERT_LE(errors.size(), 21u);
  ASSERT_GE(errors.size(), 2u);
  EXPECT_NE(errors.front().find("flood.log:2: latchwatch line"), std::string::npos)
      << errors.front();
  EXPECT_NE(errors.back().find("flood.log: "), std::string::npos) << errors.back();
  EXPECT_NE(errors.back().find("more broken latchwatch lines"), std::string::npos) << errors.back();
}

TEST(BootLogRecords, ALogWithoutLatchwatchLinesIsNotAnError) {
  std::vector<std::string> errors;
  auto read =
      read_boot_log_records("quiet.log",
                            "[    0.000000] Linux version 6.5.0-1025-azure\r\n"
                            "[  OK  ] Started latchwatch.service - latchwatch.\r\nvm login: ",
                            errors);
  EXPECT_TRUE(read.records.empty());
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(read.logs_without_lines, 1);
}

TEST(BootLogRecords, EscapesAndPrefixesAroundTheLineAreTolerated) {
  std::string line = signed_line(
      "latchwatch: v1 fired key_mismatch 2026-11-30T21:04:12.481Z inc=2>3 "
      "vm=3f7e9a10-c4b2-4d58-a6e1-92b0d7c5f834 hw=- src=unknown");
  std::string log = "[   40.1] systemd[1]: Starting foo...\x1b[0m" + line + "\x1b[K\r\r\n";
  std::vector<std::string> errors;
  auto read = read_boot_log_records("x.log", log, errors);
  ASSERT_EQ(read.records.size(), 1u) << (errors.empty() ? "" : errors[0]);
  EXPECT_EQ(read.records[0].identity.resource_id, "");
  EXPECT_EQ(read.records[0].identity.vm_id, "3f7e9a10-c4b2-4d58-a6e1-92b0d7c5f834");
  EXPECT_EQ(read.records[0].largest_incarnation, 2);
  EXPECT_EQ(strip_terminal_escapes("a\x1b[0;1;39mb\x1b]0;title\x07"
                                   "c\x1b(Bd"),
            "abcd");
}

TEST(BootLogRecords, ACorrectlySignedHostileLineIsStillOnlyData) {
  // Anything in the VM can write to its own console, CRC included.
  std::vector<std::string> errors;
  std::string log =
      signed_line(
          "latchwatch: v1 fired no_such_verdict 2026-11-30T21:04:12.481Z inc=1>2 vm=- hw=-") +
      "\n" +
      signed_line("latchwatch: v1 fired key_lost 2026-11-30T21:04:12.481Z inc=1>9 vm=- hw=-") +
      "\n" +
      signed_line(
          "latchwatch: v1 fired key_lost 2026-11-30T21:04:12.481Z inc=1>2 vm=- hw=- id=x/y/z") +
      "\n" +
      signed_line(
          "latchwatch: v1 fired key_lost 2026-11-30T21:04:12.481Z inc=1>2 vm=- hw=- "
          "rid=/subscriptions/a;b") +
      "\n";
  auto read = read_boot_log_records("evil.log", log, errors);
  EXPECT_TRUE(read.records.empty());
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_NE(errors[0].find("evil.log:1: latchwatch line unknown verdict 'no_such_verdict'"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[1].find("next=9 is not inc+1"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("id=x/y/z: not SUB/RG/VM"), std::string::npos) << errors[2];
  EXPECT_NE(errors[3].find("evil.log:4: latchwatch line"), std::string::npos) << errors[3];
}

TEST(BootLogRecords, ALogNamingSeveralMachinesAndNoneByItsFileNameSpeaksForNone) {
  // A log concatenated from two VMs' blobs (the README loop writes one file per VM): a VM's
  // console speaks only for that VM, and this file's name binds it to neither (issue 26).
  std::string a = "8a3c1f52-6d0e-4b7a-9c21-5e4f3a2b1c0d",
              b = "3f7e9a10-c4b2-4d58-a6e1-92b0d7c5f834";
  std::string log =
      signed_line("latchwatch: v1 fired key_lost 2026-11-30T10:00:00.000Z inc=1>2 vm=" + a +
                  " hw==") +
      "\n" +
      signed_line("latchwatch: v1 fired key_lost 2026-11-30T11:00:00.000Z inc=4>5 vm=" + b +
                  " hw==") +
      "\n" +
      signed_line("latchwatch: v1 resolved healthy 2026-11-30T12:00:00.000Z inc=2>? vm=" + a +
                  " hw==") +
      "\n";
  std::vector<std::string> errors;
  auto read = read_boot_log_records("two.log", log, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_TRUE(read.records.empty());
  ASSERT_EQ(read.conflicts.size(), 2u);
  EXPECT_EQ(read.conflicts[0].claims[0].origin, "two.log:3") << "each machine's newest line";
  EXPECT_EQ(read.conflicts[1].claims[0].verdict_code, "key_lost");
}

}  // namespace
}  // namespace latchwatch::plan
