// The process's memory as the system counts it (Linux /proc/self/status, Windows
// GetProcessMemoryInfo), and giving back start-up pages, on every platform. The Linux-only check
// that RssFile shrinks is in resident_pages_posix_test.cpp.

#include "agent/daemon/resident_pages.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace latchwatch::agent {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

TEST(ProcessMemory, PrivateBytesArePlausibleAndGrowWithTouchedMemory) {
  const ProcessMemory before = process_memory();
  EXPECT_GT(before.resident, kMiB) << "a running test program has more than a MiB resident";
  EXPECT_GT(before.private_bytes, 0u);
  EXPECT_LT(before.private_bytes, std::size_t{4096} * kMiB);

  // 64 MiB of our own, every page written: private to this process.
  std::vector<char> block(64 * kMiB);
  std::memset(block.data(), 0x5a, block.size());
  const ProcessMemory after = process_memory();
  EXPECT_GE(after.private_bytes, before.private_bytes + 48 * kMiB)
      << "before " << before.private_bytes << ", after " << after.private_bytes;
  EXPECT_EQ(block[block.size() / 2], 0x5a);
}

struct Shape {
  virtual ~Shape() = default;
  virtual std::string name() const = 0;
};
struct Circle : Shape {
  std::string name() const override { return "circle"; }
};

TEST(ResidentPagesPortable, ReleasingStartupPagesLeavesAWorkingProgram) {
  std::unique_ptr<Shape> shape = std::make_unique<Circle>();
  std::function<int(int)> thrice = [](int x) { return 3 * x; };
  EXPECT_GT(release_startup_pages(), 0u) << "the program's own code is read-only";
  EXPECT_EQ(shape->name(), "circle");
  EXPECT_EQ(thrice(14), 42);
  EXPECT_EQ(std::to_string(2.5), "2.500000");
  EXPECT_GT(release_startup_pages(), 0u) << "a second call is as safe as the first";
}

}  // namespace
}  // namespace latchwatch::agent
