// Giving back start-up pages must leave a working program: code, read-only data, relocated
// vtables and library state all still answer afterwards, and the resident set shrinks.

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/daemon/resident_pages.h"

namespace latchwatch::agent {
namespace {

struct Shape {
  virtual ~Shape() = default;
  virtual std::string name() const = 0;
};
struct Square : Shape {
  std::string name() const override { return "square"; }
};

long rss_file_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("RssFile:", 0) == 0) return std::stol(line.substr(8));
  return -1;
}

TEST(ResidentPages, ReleasedPagesComeBackUnchangedWhenUsed) {
  std::unique_ptr<Shape> shape = std::make_unique<Square>();
  std::function<int(int)> twice = [](int x) { return 2 * x; };
  const auto before = nlohmann::json::parse(R"({"a":[1,2,{"b":"c"}]})");
  const long rss_before = rss_file_kib();

  std::size_t released = release_startup_pages();
  EXPECT_GT(released, 0u);
  EXPECT_LT(rss_file_kib(), rss_before) << "the read-only pages were not handed back";

  // Code, string literals, RELRO (vtables), libstdc++ and libc all still work.
  EXPECT_EQ(shape->name(), "square");
  EXPECT_EQ(twice(21), 42);
  EXPECT_EQ(nlohmann::json::parse(R"({"a":[1,2,{"b":"c"}]})"), before);
  EXPECT_EQ(std::to_string(3.5), "3.500000");
  EXPECT_EQ(release_startup_pages() > 0, true) << "a second call is as safe as the first";
}

TEST(ProcessMemory, PrivateBytesGrowWithFreshTouchedPagesAndShrinkWhenTheyGo) {
  constexpr std::size_t kSize = 64 * 1024 * 1024;
  const ProcessMemory before = process_memory();
  void* block = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(block, MAP_FAILED);
  std::memset(block, 0x5a, kSize);
  const ProcessMemory held = process_memory();
  ASSERT_EQ(::munmap(block, kSize), 0);
  const ProcessMemory after = process_memory();
  EXPECT_GE(held.private_bytes, before.private_bytes + kSize * 3 / 4)
      << "before " << before.private_bytes << ", held " << held.private_bytes;
  EXPECT_LE(after.private_bytes + kSize * 3 / 4, held.private_bytes)
      << "held " << held.private_bytes << ", after " << after.private_bytes;
}

}  // namespace
}  // namespace latchwatch::agent
