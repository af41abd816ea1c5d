// The serial sink on Windows, over real named pipes (the test serves the pipe with
// CreateNamedPipeW and reads what the sink wrote) and a real file; COM1 itself is the same
// CreateFileW path with SetCommTimeouts.
#include <windows.h>

#include <gtest/gtest.h>

#include <string>

#include "reporting/report/serial_line.h"
#include "reporting/sinks/serial_port_windows.h"
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

/// The BCD store as Windows loads it at HKLM\BCD00000000, with EMS on for the default entry and
/// EMSPORT set (`bcdedit /ems {current} on`, `bcdedit /emssettings EMSPORT:n`). Made only where
/// no store is loaded (wine): on real Windows the key is the machine's boot configuration, and
/// the test leaves it alone.
class PlantedBcdStore {
 public:
  explicit PlantedBcdStore(int ems_port) {
    HKEY existing = nullptr;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"BCD00000000", 0, KEY_READ, &existing) ==
        ERROR_SUCCESS) {
      RegCloseKey(existing);
      return;  // a real store: not ours to touch
    }
    const std::wstring loader = L"{5a7e1c3d-6b2f-4e8a-9c0d-1f2e3a4b5c6d}";
    planted_ = set(L"{9dea862c-5cdd-4e70-acc1-f32b344d4795}", L"23000003", REG_SZ, loader.c_str(),
                   static_cast<DWORD>((loader.size() + 1) * sizeof(wchar_t))) &&
               set(loader, L"260000b0", REG_BINARY, "\x01", 1);
    unsigned char port[8] = {static_cast<unsigned char>(ems_port)};
    planted_ = planted_ && set(L"{0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9}", L"15000022", REG_BINARY,
                               port, sizeof port);
  }
  ~PlantedBcdStore() {
    if (planted_) RegDeleteTreeW(HKEY_LOCAL_MACHINE, L"BCD00000000");
  }
  bool planted() const { return planted_; }

 private:
  static bool set(const std::wstring& object, const wchar_t* element, DWORD type, const void* data,
                  DWORD size) {
    const std::wstring path =
        L"BCD00000000\\Objects\\" + object + L"\\Elements\\" + std::wstring(element);
    HKEY key = nullptr;
    if (RegCreateKeyExW(HKEY_LOCAL_MACHINE, path.c_str(), 0, nullptr, 0, KEY_WRITE, nullptr, &key,
                        nullptr) != ERROR_SUCCESS)
      return false;
    bool ok = RegSetValueExW(key, L"Element", 0, type, static_cast<const BYTE*>(data), size) ==
              ERROR_SUCCESS;
    RegCloseKey(key);
    return ok;
  }
  bool planted_ = false;
};

// The open-failure path's message. Wine does not keep a COM port exclusive (a second open of a
// port held with share mode 0 succeeds), so the failure itself cannot be made here; the text
// the sink gives for it (as its error, so in the log and its health, and at start-up) is
// checked for the codes Windows returns, with and without a boot configuration saying EMS is on.
TEST(SerialSinkWindows, APortTheEmsConsoleHoldsIsSaidSo) {
  EXPECT_EQ(com_port_held_message("console.log", ERROR_ACCESS_DENIED), "");
  EXPECT_EQ(com_port_held_message("COM1", ERROR_FILE_NOT_FOUND), "");
  // No boot configuration to read (wine has no BCD store): held, by whom is not known.
  std::string unknown = com_port_held_message("COM1", ERROR_ACCESS_DENIED);
  EXPECT_EQ(unknown.rfind("COM1 is held by another program", 0), 0u) << unknown;
  EXPECT_NE(unknown.find("EMS console"), std::string::npos) << unknown;

  PlantedBcdStore bcd(1);
  if (!bcd.planted()) GTEST_SKIP() << "a real BCD store is loaded: not planting one over it";
  for (const char* device : {"COM1", "\\\\.\\COM1"}) {
    for (DWORD code : {DWORD{ERROR_ACCESS_DENIED}, DWORD{ERROR_SHARING_VIOLATION}}) {
      std::string text = com_port_held_message(device, code);
      EXPECT_EQ(text.rfind(std::string(device) + " is used by the EMS console", 0), 0u) << text;
      EXPECT_NE(text.find("latchwatch cannot write"), std::string::npos) << text;
      EXPECT_NE(text.find("bcdedit /ems {current} off"), std::string::npos) << text;
    }
  }
  // EMS on another port: COM2 is held by someone else.
  EXPECT_EQ(com_port_held_message("COM2", ERROR_ACCESS_DENIED).rfind("COM2 is held by another", 0),
            0u);
}

}  // namespace
}  // namespace latchwatch::reporting
