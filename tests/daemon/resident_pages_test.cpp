// The process's memory as the system counts it (Linux /proc/self/status, Windows
// GetProcessMemoryInfo), and giving back start-up pages, on every platform. The Linux-only check
// that RssFile shrinks is in resident_pages_posix_test.cpp.

#include "agent/daemon/resident_pages.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

namespace latchwatch::agent {
namespace {

constexpr std::size_t kMiB = 1024 * 1024;

TEST(ProcessMemory, ResidentAndPrivateSizesArePlausible) {
  const ProcessMemory memory = process_memory();
  EXPECT_GT(memory.resident, kMiB) << "a running test program has more than a MiB resident";
  EXPECT_GT(memory.private_bytes, 0u);
  EXPECT_LT(memory.private_bytes, std::size_t{64} * 1024 * kMiB);
  // That it grows with memory of our own is checked with fresh pages from the system itself
  // (mmap, VirtualAlloc) in resident_pages_posix_test.cpp and tests/windows: the heap may hand
  // back pages an earlier test already made resident.
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
