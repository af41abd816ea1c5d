// One daemon per state folder: the real lock file, taken twice in one process (two handles, as
// two processes would hold them), on every platform.

#include "agent/daemon/instance_lock.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace latchwatch::agent {
namespace {

using testing::TempDir;

TEST(InstanceLock, ASecondHolderIsRefusedUntilTheFirstLetsGo) {
  TempDir dir;
  const std::string state = dir / "state";  // made by the lock
  {
    InstanceLock first(state);
    ASSERT_TRUE(first.held()) << first.error();
    InstanceLock second(state);
    EXPECT_FALSE(second.held());
    EXPECT_NE(second.error().find("another latchwatch run already uses"), std::string::npos)
        << second.error();
    EXPECT_NE(second.error().find("latchwatch.lock"), std::string::npos) << second.error();
  }
  InstanceLock again(state);
  EXPECT_TRUE(again.held()) << "released with its holder: " << again.error();
}

TEST(InstanceLock, AStateFolderThatCannotBeMadeIsAnErrorNotAHold) {
  TempDir dir;
  testing::write_file(dir / "plain-file", "x");
  InstanceLock lock(dir / "plain-file/state");
  EXPECT_FALSE(lock.held());
  EXPECT_NE(lock.error().find("plain-file"), std::string::npos) << lock.error();
}

}  // namespace
}  // namespace latchwatch::agent
