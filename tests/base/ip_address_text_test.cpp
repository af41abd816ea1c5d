#include <gtest/gtest.h>

#include "probes/base/azure_names.h"

namespace latchwatch::probes {
namespace {

// The address check used before an address reaches a report or a printed command
// (probes/base/azure_names.h): as strict as inet_pton, on every platform.
TEST(IpAddressText, AcceptsWhatInetPtonAccepts) {
  for (const char* good :
       {"10.0.1.4", "0.0.0.0", "255.255.255.255", "168.63.129.16", "::", "::1", "fe80::1",
        "fd00:1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8", "1::", "1:2:3:4:5:6:7::", "::ffff:10.0.0.1",
        "64:ff9b::192.0.2.33", "1:2:3:4:5:6:1.2.3.4", "ABCD:ef01::", "::1:2:3:4:5:6:7"})
    EXPECT_TRUE(is_ip_address(good)) << good;
}

TEST(IpAddressText, RefusesWhatInetPtonRefuses) {
  for (const char* bad : {"",
                          "1.2.3",
                          "1.2.3.4.5",
                          "256.1.1.1",
                          "01.2.3.4",
                          "1.2.3.04",
                          "1..2.3",
                          "1.2.3.4 ",
                          " 1.2.3.4",
                          "1.2.3.-4",
                          ":",
                          ":::",
                          "1:::2",
                          "::1::",
                          ":1::",
                          "1::2:",
                          "1:2:3:4:5:6:7:8:9",
                          "1:2:3:4:5:6:7",
                          "1::2::3",
                          "12345::",
                          "g::",
                          "fe80::1%eth0",
                          "1:2:3:4:5:6:7:1.2.3.4",
                          "::1.2.3",
                          "1.2.3.4::",
                          "::ffff:1.2.3.4:5",
                          "host.example",
                          "1:2:3:4:5:6:7:8::",
                          "[::1]"})
    EXPECT_FALSE(is_ip_address(bad)) << bad;
}

}  // namespace
}  // namespace latchwatch::probes
