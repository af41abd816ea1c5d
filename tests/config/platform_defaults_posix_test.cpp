// Linux's defaults, exactly as they were before the Windows port.

#include <gtest/gtest.h>

#include "agent/config/config.h"
#include "agent/config/platform_defaults.h"

namespace latchwatch::agent {
namespace {

TEST(PlatformDefaultsPosix, LinuxDefaultsAreUnchanged) {
  Config config;
  EXPECT_EQ(config.sources.key_dir, "/var/lib/azure-proxy-agent/keys");
  EXPECT_EQ(config.sources.status_file, "/var/log/azure-proxy-agent/status.json");
  EXPECT_EQ(config.sources.presence.unit_file, "/lib/systemd/system/azure-proxy-agent.service");
  EXPECT_EQ(config.sources.presence.binary, "/usr/sbin/azure-proxy-agent");
  EXPECT_EQ(config.sources.presence.proc_root, "/proc");
  EXPECT_EQ(config.sources.smbios_uuid_file, "/sys/class/dmi/id/product_uuid");
  EXPECT_EQ(config.sources.uptime_file, "/proc/uptime");
  EXPECT_EQ(config.sources.state_dir, "/var/lib/latchwatch");
  EXPECT_EQ(config.kvp_pool_file, "/var/lib/hyperv/.kvp_pool_1");
  EXPECT_EQ(config.serial_device, "/dev/ttyS0");
  EXPECT_STREQ(kDefaultConfigPath, "/etc/latchwatch/config.json");
  EXPECT_TRUE(is_absolute_path("/x"));
  EXPECT_FALSE(is_absolute_path("C:\\x"));
}

}  // namespace
}  // namespace latchwatch::agent
