// The serial sink's POSIX devices: FIFOs (a reader that comes and goes) and pseudo-terminals.
// Moved from serial_line_test.cpp and sink_files_test.cpp (mkfifo, posix_openpt); the Windows
// twin is tests/sinks/serial_sink_windows_test.cpp (a named pipe).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "reporting/report/serial_line.h"
#include "reporting/sinks/serial_sink.h"
#include "tests/sinks/delivery_test_reports.h"
#include "tests/sinks/serial_test_reports.h"
#include "tests/support/test_support.h"

namespace latchwatch::reporting {
namespace {

using namespace std::chrono_literals;
using testing::TempDir;

using testing::serial::cycle;

using testing::delivery::fired;

TEST(SerialSink, WritesOneAsciiLinePerTransitionAndNeverBlocks) {
  TempDir dir;
  std::string fifo = dir / "ttyS0";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  SerialSink sink(fifo);
  // Nobody reading: the line is dropped and counted, the call returns at once.
  EXPECT_TRUE(sink.publish(fired(latchwatch::VerdictCode::key_lost)).ok);
  EXPECT_EQ(sink.health()["dropped_lines"], 1);

  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  EXPECT_TRUE(sink.publish(fired(latchwatch::VerdictCode::key_lost)).ok);
  char buffer[512] = {};
  ssize_t n = ::read(reader, buffer, sizeof buffer - 1);
  ::close(reader);
  ASSERT_GT(n, 0);
  std::string line(buffer, static_cast<std::size_t>(n));
  EXPECT_EQ(line.rfind("latchwatch: v1 fired key_lost ", 0), 0u) << line;
  EXPECT_EQ(line.substr(line.size() - 2), "\r\n");
  for (char c : line.substr(0, line.size() - 2))
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "non-ASCII byte in " << line;

  auto unchanged = fired(latchwatch::VerdictCode::key_lost);
  unchanged.transition = Transition::unchanged;
  EXPECT_TRUE(sink.publish(unchanged).ok);
  EXPECT_EQ(sink.health()["dropped_lines"], 1) << "unchanged cycles write nothing";
}

TEST(SerialSink, APlantedLinkAtTheDevicePathIsNeverWrittenThrough) {
  // Issue 26: a local user plants a link where the console is named; root must not append its
  // line to the file the link names. The reason is the sink's error (its health in the report).
  TempDir dir;
  testing::write_file(dir / "target", "");
  ASSERT_EQ(::symlink((dir / "target").c_str(), (dir / "ttyS0").c_str()), 0);
  SerialSink sink(dir / "ttyS0");
  auto result = sink.publish(fired(latchwatch::VerdictCode::key_lost));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, dir / "ttyS0" + ": is a symbolic link; not written through");
  EXPECT_EQ(testing::read_file(dir / "target"), "");
  std::string why;
  EXPECT_FALSE(serial_console_usable(dir / "ttyS0", dir / "none", why));
  EXPECT_NE(why.find("a symbolic link; latchwatch never writes through one"), std::string::npos)
      << why;
}

TEST(SerialSink, AConsoleThatWasACharacterDeviceRefusesAFileOrFifoPutInItsPlace) {
  TempDir dir;
  EXPECT_TRUE(is_character_device("/dev/null"));
  SerialSinkOptions options;
  options.device = dir / "ttyS0";
  ASSERT_TRUE(options.character_device_only) << "the default: only a character device";
  testing::write_file(options.device, "");
  SerialSink sink(options);
  auto result = sink.publish(fired(latchwatch::VerdictCode::key_lost));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error, options.device +
                              ": not a character device (something else was put in its place); "
                              "not written");
  EXPECT_EQ(testing::read_file(options.device), "");
  EXPECT_FALSE(is_character_device(options.device));
  // A character device is written as before.
  options.device = "/dev/null";
  SerialSink null_sink(options);
  EXPECT_TRUE(null_sink.publish(fired(latchwatch::VerdictCode::key_lost)).ok);
  EXPECT_EQ(null_sink.health()["lines_written"], 1);
}

TEST(SerialSinkPolicy, AFiringVerdictAfterARestartIsRepeatedAtOnceAndADroppedOneRetried) {
  TempDir dir;
  std::string fifo = dir / "ttyS0";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  SerialSink sink(fifo);
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1795000000));
  // The daemon restarted with key_lost already confirmed: reporting::Transition::unchanged, yet
  // this boot's log needs the line. Nobody reads the FIFO: dropped, counted, and due again next
  // cycle.
  ASSERT_TRUE(
      sink.publish(cycle(latchwatch::VerdictCode::key_lost, reporting::Transition::unchanged, t0))
          .ok);
  EXPECT_EQ(sink.health()["dropped_lines"], 1);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ASSERT_TRUE(sink.publish(cycle(latchwatch::VerdictCode::key_lost,
                                 reporting::Transition::unchanged, t0 + 5min))
                  .ok);
  char buffer[512] = {};
  ssize_t n = ::read(reader, buffer, sizeof buffer - 1);
  ::close(reader);
  ASSERT_GT(n, 0);
  auto parsed = parse_serial_line(std::string(buffer, static_cast<std::size_t>(n)));
  ASSERT_TRUE(parsed) << parsed.error;
  EXPECT_EQ(parsed.value->event, "reminder");
  EXPECT_EQ(parsed.value->next_incarnation, 7);
}

TEST(SerialConsoleUsable, DefaultOnOnlyWhereBootDiagnosticsCanReadIt) {
  TempDir dir;
  std::string why;
  EXPECT_FALSE(serial_console_usable(dir / "absent", dir / "tag", why));
  EXPECT_NE(why.find("No such file"), std::string::npos) << why;

  testing::write_file(dir / "console.log", "");
  EXPECT_TRUE(serial_console_usable(dir / "console.log", dir / "tag", why)) << why;

  // /dev/null is a writable character device, like a console.
  testing::write_file(dir / "tag", "Default string\n");
  EXPECT_FALSE(serial_console_usable("/dev/null", dir / "tag", why));
  EXPECT_NE(why.find("not an Azure VM"), std::string::npos) << why;
  // A pseudo-terminal someone reads is not the machine's console: used anywhere.
  int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  std::string pty = ::ptsname(master);
  EXPECT_TRUE(serial_console_usable(pty, dir / "tag", why)) << why;
  EXPECT_NE(why.find("pseudo-terminal"), std::string::npos) << why;
  ::close(master);
  testing::write_file(dir / "tag", std::string(kAzureChassisAssetTag) + "\n");
  EXPECT_TRUE(serial_console_usable("/dev/null", dir / "tag", why)) << why;
}

}  // namespace
}  // namespace latchwatch::reporting
