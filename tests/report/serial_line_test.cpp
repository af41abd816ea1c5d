// The serial console line and the sink's policy: format, CRC, round trip, hostile values, the
// length budget, the reminder while a key verdict fires (by the reports' own clock), and when
// the default-on sink writes at all.

#include "reporting/report/serial_line.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "reporting/sinks/serial_sink.h"
#include "tests/sinks/serial_test_reports.h"
#include "tests/support/test_support.h"

namespace latchwatch::reporting {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

using testing::serial::cycle;
using testing::serial::kRid;
using testing::serial::kSub;
using testing::serial::kVmId;

SerialLine sample() {
  SerialLine line;
  line.event = "fired";
  line.verdict = "key_lost";
  line.generated_at = "2026-11-30T21:04:12.481Z";
  line.incarnation = 6;
  line.next_incarnation = 7;
  line.vm_id = kVmId;
  line.smbios_uuid = kVmId;
  line.source = "imds";
  line.resource_id = kRid;
  return line;
}

TEST(SerialLine, CrcIsZlibsCrc32) {
  EXPECT_EQ(crc32_ieee("123456789"), 0xcbf43926u);  // the CRC-32 check value
  EXPECT_EQ(crc32_ieee(""), 0u);
}

TEST(SerialLine, FormatIsTheDocumentedOne) {
  auto text = format_serial_line(sample());
  EXPECT_EQ(text, "latchwatch: v1 fired key_lost 2026-11-30T21:04:12.481Z inc=6>7 vm=" + kVmId +
                      " id=" + kSub + "/rg-web/vm-web-01 crc=df4f1c53")
      << "the same line Python's zlib.crc32 gives (tests/fixtures/bootlog)";
  EXPECT_LE(text.size(), kSerialLineMax);
}

TEST(SerialLine, RoundTripsEveryField) {
  SerialLine line = sample();
  line.event = "reminder";
  line.host = "web01";
  auto text = format_serial_line(line);
  auto parsed = parse_serial_line(text + "\r\r\n");
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed.value->event, "reminder");
  EXPECT_EQ(parsed.value->verdict, "key_lost");
  EXPECT_EQ(parsed.value->generated_at, line.generated_at);
  EXPECT_EQ(parsed.value->incarnation, 6);
  EXPECT_EQ(parsed.value->next_incarnation, 7);
  EXPECT_EQ(parsed.value->vm_id, kVmId);
  EXPECT_EQ(parsed.value->smbios_uuid, kVmId);
  EXPECT_EQ(parsed.value->source, "imds") << "implied by an id without src";
  EXPECT_EQ(parsed.value->resource_id, kRid);
  EXPECT_EQ(parsed.value->host, "web01");

  // A cached identity on a Gen1 VM (SMBIOS shows vmId byte-swapped), resource unknown.
  line.source = "cache";
  line.source_age_seconds = 86400 * 9;
  line.smbios_uuid = "521f3c8a-0e6d-7a4b-9c21-5e4f3a2b1c0d";
  line.resource_id.clear();
  text = format_serial_line(line);
  EXPECT_NE(text.find(" hw=~ "), std::string::npos) << text;
  parsed = parse_serial_line(text);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed.value->smbios_uuid, line.smbios_uuid);
  EXPECT_EQ(parsed.value->source, "cache");
  EXPECT_EQ(parsed.value->source_age_seconds, 86400 * 9);
  EXPECT_EQ(parsed.value->resource_id, "");
}

TEST(SerialLine, UniformInstancesAndNonCanonicalIdsSurvive) {
  SerialLine line = sample();
  line.resource_id = "/subscriptions/" + kSub +
                     "/resourceGroups/rg-pool/providers/Microsoft.Compute/virtualMachineScaleSets/"
                     "pool-a/virtualMachines/3";
  auto parsed = parse_serial_line(format_serial_line(line));
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed.value->resource_id, line.resource_id);

  // IMDS spelling aside, an ARM id is case-insensitive: read back in the canonical spelling.
  line.resource_id = "/subscriptions/" + kSub +
                     "/resourcegroups/rg-web/providers/microsoft.compute/virtualmachines/vm1";
  auto text = format_serial_line(line);
  EXPECT_NE(text.find(" id=" + kSub + "/rg-web/vm1 "), std::string::npos) << text;
  parsed = parse_serial_line(text);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed.value->resource_id,
            "/subscriptions/" + kSub +
                "/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm1");

  // Anything else is written verbatim (rid=) when it fits, and read back as it was.
  SerialLine other;
  other.event = "fired";
  other.verdict = "key_lost";
  other.resource_id = "/subscriptions/" + kSub + "/resourceGroups/rg/providers/Other.RP/things/t1";
  text = format_serial_line(other);
  EXPECT_NE(text.find(" rid=" + other.resource_id + " "), std::string::npos) << text;
  parsed = parse_serial_line(text);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed.value->resource_id, other.resource_id);
}

TEST(SerialLine, HostileValuesNeverShapeTheLine) {
  SerialLine line = sample();
  line.vm_id = "x crc=00000000";
  line.smbios_uuid = "\x1b[2J";
  line.host = "web\r\nlatchwatch: v1 fired key_lost";
  line.resource_id = "/subscriptions/" + kSub + "/resourceGroups/rg web/providers/x";
  line.verdict = "key lost";
  line.generated_at = "now; rm -rf /";
  line.incarnation = -5;
  auto text = format_serial_line(line);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find("rm -rf"), std::string::npos);
  EXPECT_EQ(text.find("latchwatch: v1", 1), std::string::npos);
  auto parsed = parse_serial_line(text);
  ASSERT_TRUE(parsed) << parsed.error << ": " << text;
  EXPECT_EQ(parsed.value->vm_id, "");
  EXPECT_EQ(parsed.value->verdict, "-") << "an unusable verdict is written as '-'";
  EXPECT_EQ(parsed.value->incarnation, std::nullopt);
  EXPECT_EQ(parsed.value->resource_id, "");
  EXPECT_EQ(parsed.value->host, "");
}

TEST(SerialLine, AnImdsIdentityDroppedByTheChecksIsNotReadAsImdsUnreachable) {
  // IMDS answered (perhaps a rogue listener) and every identity field failed its check: the
  // line must not read back as "unknown", which a plan explains as IMDS being unreachable.
  SerialLine line = sample();
  line.vm_id.clear();
  line.resource_id.clear();
  line.smbios_uuid = "0f0e0d0c-0b0a-4908-8706-050403020100";
  auto text = format_serial_line(line);
  EXPECT_NE(text.find(" src=imds"), std::string::npos) << text;
  auto parsed = parse_serial_line(text);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed.value->source, "imds");
  EXPECT_TRUE(parsed.value->resource_id.empty());

  line.source = "unknown";  // IMDS cut off, no cache: nothing to say, as before
  text = format_serial_line(line);
  EXPECT_EQ(text.find(" src="), std::string::npos) << text;
  EXPECT_EQ(parse_serial_line(text).value->source, "unknown");
}

TEST(SerialLine, TooLongLinesLeaveOutHostThenTheIdWithItsSource) {
  SerialLine line = sample();
  line.host = "host-with-a-name-that-is-not-the-vm-name";
  auto text = format_serial_line(line);
  EXPECT_LE(text.size(), kSerialLineMax) << text;
  EXPECT_EQ(text.find(" host="), std::string::npos) << text;
  EXPECT_NE(text.find(" id=" + kSub + "/rg-web/vm-web-01"), std::string::npos) << text;
  EXPECT_TRUE(parse_serial_line(text)) << text;

  line.incarnation = 2147483646;
  line.next_incarnation = 2147483647;
  line.smbios_uuid = "0f0e0d0c-0b0a-4908-8706-050403020100";  // not the vmId: 36 more bytes
  line.source = "cache";
  line.source_age_seconds = 123456;
  text = format_serial_line(line);
  EXPECT_LE(text.size(), kSerialLineMax) << text;
  EXPECT_EQ(text.find(" id="), std::string::npos) << text;
  EXPECT_EQ(text.find(" src="), std::string::npos) << "an id is never left without its source";
  EXPECT_NE(text.find(" vm=" + kVmId), std::string::npos) << "vm is never left out";
  auto parsed = parse_serial_line(text);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed.value->source, "unknown");
  EXPECT_EQ(parsed.value->smbios_uuid, "0f0e0d0c-0b0a-4908-8706-050403020100");

  // The longest fixed part there can be still fits: the limits are the writer's and reader's.
  line.event = "reminder";
  line.verdict = "secure_channel_disabled";
  line.generated_at = "2026-11-30T21:04:12.481+00:00";
  line.incarnation = 2147483647;
  line.next_incarnation = 9999999999;
  text = format_serial_line(line);
  EXPECT_LE(text.size(), kSerialLineMax) << text;
  parsed = parse_serial_line(text);
  ASSERT_TRUE(parsed) << parsed.error << ": " << text;
  EXPECT_EQ(parsed.value->next_incarnation, 9999999999);
}

TEST(SerialLine, DamagedCutAndForeignLinesAreNamedErrors) {
  auto text = format_serial_line(sample());
  auto cut = parse_serial_line(text.substr(0, 90));
  EXPECT_FALSE(cut);
  EXPECT_NE(cut.error.find("cut short"), std::string::npos) << cut.error;
  std::string mixed = text;
  mixed.insert(70, "[  12.3] hv_balloon: x");
  auto damaged = parse_serial_line(mixed);
  EXPECT_FALSE(damaged);
  EXPECT_NE(damaged.error.find("crc does not match"), std::string::npos) << damaged.error;
  auto v2 = parse_serial_line("latchwatch: v2 fired key_lost t crc=00000000");
  EXPECT_FALSE(v2);
  EXPECT_NE(v2.error.find("unsupported line version 'v2'"), std::string::npos) << v2.error;
}

TEST(SerialLine, UnknownKeysAreIgnoredForForwardCompatibility) {
  std::string body = "latchwatch: v1 fired key_lost 2026-11-30T21:04:12.481Z inc=6>7 vm=" + kVmId +
                     " hw== future=thing";
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", crc32_ieee(body));
  auto parsed = parse_serial_line(body + " crc=" + crc);
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed.value->smbios_uuid, kVmId);
}

// ---- the sink's policy -------------------------------------------------------------------

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> lines;
  std::string text = testing::read_file(path);
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find("\r\n", start);
    if (end == std::string::npos) break;
    lines.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

TEST(SerialSinkPolicy, RemindsEverySixHoursWhileAKeyVerdictFiresByTheReportsClock) {
  TempDir dir;
  std::string device = dir / "console";
  testing::write_file(device, "");
  SerialSink sink(device);
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));
  using V = latchwatch::VerdictCode;
  ASSERT_TRUE(sink.publish(cycle(V::key_lost, reporting::Transition::fired, t0)).ok);
  for (auto offset : {5min, 60min, 359min})  // not yet due
    ASSERT_TRUE(sink.publish(cycle(V::key_lost, reporting::Transition::unchanged, t0 + offset)).ok);
  ASSERT_TRUE(sink.publish(cycle(V::key_lost, reporting::Transition::unchanged, t0 + 6h)).ok);
  ASSERT_TRUE(sink.publish(cycle(V::key_lost, reporting::Transition::unchanged, t0 + 7h)).ok);
  ASSERT_TRUE(sink.publish(cycle(V::key_lost, reporting::Transition::unchanged, t0 + 12h + 1s)).ok);
  // A wall clock that jumped back (a resumed VM): due now, not in 6 hours of catching up.
  ASSERT_TRUE(sink.publish(cycle(V::key_lost, reporting::Transition::unchanged, t0 + 2h)).ok);
  ASSERT_TRUE(sink.publish(cycle(V::healthy, reporting::Transition::resolved, t0 + 13h)).ok);
  ASSERT_TRUE(sink.publish(cycle(V::healthy, reporting::Transition::unchanged, t0 + 20h)).ok);

  auto lines = lines_of(device);
  ASSERT_EQ(lines.size(), 5u) << testing::read_file(device);
  std::vector<std::string> events;
  for (const auto& l : lines) {
    auto parsed = parse_serial_line(l);
    ASSERT_TRUE(parsed) << parsed.error << ": " << l;
    events.push_back(parsed.value->event + " " + parsed.value->verdict + " " +
                     parsed.value->generated_at);
    EXPECT_LE(l.size(), kSerialLineMax);
  }
  EXPECT_EQ(events[0], "fired key_lost " + latchwatch::iso8601_utc(t0));
  EXPECT_EQ(events[1], "reminder key_lost " + latchwatch::iso8601_utc(t0 + 6h));
  EXPECT_EQ(events[2], "reminder key_lost " + latchwatch::iso8601_utc(t0 + 12h + 1s));
  EXPECT_EQ(events[3], "reminder key_lost " + latchwatch::iso8601_utc(t0 + 2h));
  EXPECT_EQ(events[4], "resolved healthy " + latchwatch::iso8601_utc(t0 + 13h));
  EXPECT_EQ(sink.health()["lines_written"], 5);
}

TEST(SerialSinkPolicy, PendingAndNonKeyVerdictsGetNoReminder) {
  TempDir dir;
  std::string device = dir / "console";
  testing::write_file(device, "");
  SerialSink sink(device);
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));
  auto pending = cycle(latchwatch::VerdictCode::key_lost, reporting::Transition::unchanged, t0);
  pending.pending = true;
  pending.has_confirmed = false;
  ASSERT_TRUE(sink.publish(pending).ok);
  ASSERT_TRUE(
      sink.publish(cycle(latchwatch::VerdictCode::gpa_down, reporting::Transition::fired, t0)).ok);
  ASSERT_TRUE(sink.publish(cycle(latchwatch::VerdictCode::gpa_down,
                                 reporting::Transition::unchanged, t0 + 24h))
                  .ok);
  EXPECT_EQ(lines_of(device).size(), 1u) << testing::read_file(device);
}

}  // namespace
}  // namespace latchwatch::reporting
