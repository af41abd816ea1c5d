#pragma once
/// Helpers shared by tests: unique temporary folders, running a built binary with captured
/// output, reading files whole.

#include <string>
#include <vector>

namespace latchwatch::testing {

/// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct ProcessResult {
  int exit_code = -1;  ///< -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

/// Runs `argv` (argv[0] a path) to completion, stdin from /dev/null, capturing stdout and stderr.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& extra_env = {});

/// Runs the built `latchwatch` binary with `args`.
ProcessResult run_latchwatch(const std::vector<std::string>& args,
                             const std::vector<std::string>& extra_env = {});

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);

/// Every regular file below `root` (recursively) whose content contains `needle`.
std::vector<std::string> files_containing(const std::string& root, const std::string& needle);

/// Path of a fixture in ../shared/domain/fixtures (e.g. "gpa/status-v1-disabled.json").
std::string shared_fixture(const std::string& relative);

}  // namespace latchwatch::testing

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>

namespace latchwatch::testing {

/// A process started in the background (a daemon under test), output to files in `log_dir`.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_dir,
                    const std::string& name);
  ~BackgroundProcess();  ///< SIGKILL if still running
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  void signal(int sig) const;
  /// Waits for the exit until `timeout`; the exit code, or nullopt if still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::string err() const;  ///< stderr so far
  std::string out() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string out_path_;
  std::string err_path_;
};

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
bool wait_for(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
std::uint16_t free_port();

}  // namespace latchwatch::testing
