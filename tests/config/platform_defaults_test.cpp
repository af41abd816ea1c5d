// The configuration takes its platform's defaults (agent/platform_defaults_*.cpp); the option
// table and the file format stay the same everywhere.

#include "agent/config/platform_defaults.h"

#include <gtest/gtest.h>

#include "agent/config/config.h"

namespace latchwatch::agent {
namespace {

TEST(PlatformDefaults, AFreshConfigHoldsThePlatformsDefaults) {
  const auto& d = platform_defaults();
  Config config;
  EXPECT_EQ(config.sources.key_dir, d.sources.key_dir);
  EXPECT_EQ(config.sources.status_file, d.sources.status_file);
  EXPECT_EQ(config.sources.state_dir, d.sources.state_dir);
  EXPECT_EQ(config.sources.uptime_file, d.sources.uptime_file);
  EXPECT_EQ(config.sources.smbios_uuid_file, d.sources.smbios_uuid_file);
  EXPECT_EQ(config.sources.presence.service_name, "GuestProxyAgent");
  EXPECT_EQ(config.kvp_pool_file, d.kvp_pool);
  EXPECT_EQ(config.serial_device, d.serial_device);
  EXPECT_EQ(std::string(kDefaultConfigPath), d.config_path);
  EXPECT_TRUE(is_absolute_path(d.sources.key_dir));
  EXPECT_TRUE(is_absolute_path(d.sources.state_dir));
  EXPECT_TRUE(is_absolute_path(d.config_path));
}

TEST(PlatformDefaults, GpasServiceNameIsAConfigKey) {
  Config config;
  auto error =
      apply_config_json(nlohmann::json::parse(R"({"paths":{"gpa_service":"GpaTest"}})"), config);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(config.sources.presence.service_name, "GpaTest");
  EXPECT_EQ(effective_config(config)["paths"]["gpa_service"], "GpaTest");
}

TEST(PlatformDefaults, RelativePathsAreRefusedWithTheSameMessage) {
  Config config;
  auto error = apply_flag("--state-dir", "relative", config);
  EXPECT_NE(error.find("must be an absolute path, got 'relative'"), std::string::npos) << error;
  EXPECT_FALSE(is_absolute_path(""));
}

}  // namespace
}  // namespace latchwatch::agent

namespace latchwatch::agent {
namespace {

// The serial device and the KVP pool are locations: an absolute path everywhere; on Windows
// also the platform's own defaults, a COM port and a registry key.
TEST(PlatformDefaults, TheSinksOwnDefaultLocationsAreAcceptedWhenWrittenOut) {
  Config config;
  const auto defaults = platform_defaults();
  EXPECT_EQ(apply_config_json({{"sinks",
                                {{"serial", {{"device", defaults.serial_device}}},
                                 {"kvp", {{"pool_file", defaults.kvp_pool}}}}}},
                              config),
            "");
  EXPECT_EQ(config.serial_device, defaults.serial_device);
  EXPECT_EQ(config.kvp_pool_file, defaults.kvp_pool);
  auto error = apply_config_json({{"sinks", {{"serial", {{"device", "ttyS0"}}}}}}, config);
  EXPECT_NE(error.find("must be an absolute path"), std::string::npos) << error;
  EXPECT_FALSE(is_absolute_location("COM0x"));
  EXPECT_FALSE(is_absolute_location("relative\\key"));
}

}  // namespace
}  // namespace latchwatch::agent
