// The serial sink on Windows, over real named pipes (the test serves the pipe with
// CreateNamedPipeW and reads what the sink wrote) and a real file; COM1 itself is the same
// CreateFileW path with SetCommTimeouts.
#include <windows.h>

#include <gtest/gtest.h>

#include <string>

#include "reporting/report/serial_line.h"
#include "reporting/sinks/serial_sink.h"
#include "tests/support/test_support.h"

namespace latchwatch::reporting {
namespace {

std::string unique_pipe() {
  static int counter = 0;
  return "\\\\.\\pipe\\latchwatch-test-" + std::to_string(GetCurrentProcessId()) + "-" +
         std::to_string(++counter);
}

std::wstring wide(const std::string& text) { return std::wstring(text.begin(), text.end()); }

CycleReport fired() {
  CycleReport r;
  auto code = latchwatch::VerdictCode::key_lost;
  r.report.verdict = {code, latchwatch::info(code).severity, latchwatch::info(code).meaning};
  r.report.generated_at = "2026-12-01T14:00:05.123Z";
  r.report.identity.vm_id = "8a3c1f52-6d0e-4b7a-9c21-5e4f3a2b1c0d";
  latchwatch::Remedy remedy;
  remedy.current_incarnation = 6;
  remedy.next_incarnation = 7;
  r.report.remedy = remedy;
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = Transition::fired;
  return r;
}

/// One instance of an inbound pipe, served by the test.
struct PipeServer {
  HANDLE pipe;
  explicit PipeServer(const std::string& name, DWORD buffer = 4096) {
    pipe = CreateNamedPipeW(wide(name).c_str(), PIPE_ACCESS_INBOUND,
                            PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 1, buffer, buffer, 0,
                            nullptr);
  }
  ~PipeServer() {
    if (pipe != INVALID_HANDLE_VALUE) CloseHandle(pipe);
  }
  std::string read_some() {
    char buffer[1024];
    DWORD got = 0;
    if (!ReadFile(pipe, buffer, sizeof buffer, &got, nullptr)) return {};
    return std::string(buffer, got);
  }
};

TEST(SerialSinkWindows, WritesOneParsableLineToANamedPipe) {
  const std::string name = unique_pipe();
  PipeServer server(name);
  ASSERT_NE(server.pipe, INVALID_HANDLE_VALUE) << GetLastError();
  SerialSink sink(name);
  auto result = sink.publish(fired());
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(sink.health()["lines_written"], 1);
  std::string line = server.read_some();
  ASSERT_GE(line.size(), 2u);
  EXPECT_EQ(line.substr(line.size() - 2), "\r\n");
  auto parsed = parse_serial_line(line);
  ASSERT_TRUE(parsed) << parsed.error << ": " << line;
  EXPECT_EQ(parsed.value->event, "fired");
  EXPECT_EQ(parsed.value->verdict, "key_lost");
  EXPECT_EQ(parsed.value->next_incarnation, 7);
}

TEST(SerialSinkWindows, APipeNobodyServesDropsTheLineAndCountsIt) {
  SerialSink sink(unique_pipe());
  auto result = sink.publish(fired());
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(sink.health()["dropped_lines"], 1);
  EXPECT_EQ(sink.health()["lines_written"], 0);
}

TEST(SerialSinkWindows, APortNobodyReadsNeverBlocksPastTheWriteDeadline) {
  const std::string name = unique_pipe();
  PipeServer server(name, 1);  // a one-byte buffer nobody reads: the write cannot complete
  ASSERT_NE(server.pipe, INVALID_HANDLE_VALUE) << GetLastError();
  SerialSinkOptions options;
  options.device = name;
  options.character_device_only = false;  // a pipe named in the configuration
  options.write_timeout = std::chrono::milliseconds(100);
  SerialSink sink(options);
  auto result = sink.publish(fired());
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(sink.health()["dropped_lines"], 1) << "cancelled at the deadline, counted";
}

TEST(SerialSinkWindows, AFileNamedInTheConfigurationIsAppendedTo) {
  testing::TempDir dir;
  std::string path = dir / "console.log";
  testing::write_file(path, "boot\r\n");
  SerialSink sink(path);
  ASSERT_TRUE(sink.publish(fired()).ok);
  ASSERT_TRUE(sink.publish(fired()).ok);
  std::string text = testing::read_file(path);
  EXPECT_EQ(text.rfind("boot\r\nlatchwatch: v1 fired key_lost ", 0), 0u) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
  std::string why;
  EXPECT_TRUE(serial_console_usable(path, "", why)) << why;
  EXPECT_FALSE(serial_console_usable(dir / "absent", "", why));
}

TEST(SerialSinkWindows, AMissingComPortIsAClearError) {
  SerialSink sink("COM199");
  auto result = sink.publish(fired());
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("COM199"), std::string::npos) << result.error;
}

}  // namespace
}  // namespace latchwatch::reporting
