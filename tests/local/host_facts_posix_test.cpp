// Host facts read from Linux's files (Windows reads the system's own sources:
// tests/local/host_evidence_windows_test.cpp).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "probes/local/host_facts.h"
#include "tests/support/test_support.h"

namespace latchwatch {
namespace {

TEST(HostFacts, ReadFromConfigurableFilesAndAHostileHostNameIsDropped) {
  testing::TempDir dir;
  testing::write_file(dir / "hostname", "web-01\n");
  testing::write_file(dir / "os-release", "PRETTY_NAME=\"Ubuntu 24.04 LTS\"\n");
  testing::write_file(dir / "osrelease", "6.8.0-1015-azure\n");
  testing::write_file(dir / "stat", "cpu  1 2 3\nbtime 1790000000\nprocesses 5\n");
  testing::write_file(dir / "route", "Iface\tDestination\n");
  probes::HostFactsPaths paths{dir / "hostname",  dir / "os-release", dir / "missing",
                               dir / "osrelease", dir / "stat",       dir / "route"};
  auto facts = probes::read_host_facts(paths);
  EXPECT_EQ(facts.host_name, "web-01");
  EXPECT_EQ(facts.os_release, "Ubuntu 24.04 LTS");
  EXPECT_EQ(facts.kernel, "6.8.0-1015-azure");
  EXPECT_EQ(facts.boot_time, "2026-09-21T14:13:20Z");
  EXPECT_TRUE(facts.errors.empty()) << facts.errors.front();
  testing::write_file(dir / "hostname", "web$(id)\n");
  auto hostile = probes::read_host_facts(paths);
  EXPECT_EQ(hostile.host_name, "");
  ASSERT_EQ(hostile.errors.size(), 1u);
  EXPECT_NE(hostile.errors[0].find("not a host name"), std::string::npos);
  nlohmann::json j = facts;
  EXPECT_EQ(j["host_name"], "web-01");
}

}  // namespace
}  // namespace latchwatch
