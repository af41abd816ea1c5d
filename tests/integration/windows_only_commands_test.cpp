// On Linux the Windows service commands are usage errors that say so (the real binary), and a
// usage error starts nothing: no state folder, no lock.

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

using testing::run_latchwatch;

TEST(WindowsOnlyCommands, ServiceInstallAndUninstallSayTheyAreWindowsOnly) {
  for (const auto& args :
       {std::vector<std::string>{"service", "install"},
        std::vector<std::string>{"service", "uninstall"}, std::vector<std::string>{"service"}}) {
    auto result = run_latchwatch(args);
    EXPECT_EQ(result.exit_code, 3) << args.back();
    EXPECT_NE(result.err.find("Windows-only"), std::string::npos) << result.err;
    EXPECT_EQ(result.out, "");
  }
}

TEST(WindowsOnlyCommands, RunServiceSaysItIsWindowsOnlyAndStartsNothing) {
  testing::TempDir dir;
  auto result = run_latchwatch({"run", "--service", "--state-dir", dir / "state"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("Windows-only"), std::string::npos) << result.err;
  EXPECT_NE(::access((dir / "state").c_str(), F_OK), 0) << "no state folder made";

  auto misplaced = run_latchwatch({"check", "--service"});
  EXPECT_EQ(misplaced.exit_code, 3);
  EXPECT_NE(misplaced.err.find("--service is only for run"), std::string::npos) << misplaced.err;
}

}  // namespace
}  // namespace latchwatch
