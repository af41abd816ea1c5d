// The portable address check against the inet_pton it replaced.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "probes/base/azure_names.h"

namespace latchwatch::probes {
namespace {

bool inet_pton_accepts(const std::string& text) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

TEST(IpAddressTextPosix, AgreesWithInetPtonOnEveryShortString) {
  // Every string of up to 4 characters over an alphabet of the characters that matter, plus
  // longer shapes built from groups: tens of thousands of cases, each compared.
  const std::string alphabet = "0129af:.";
  std::vector<std::string> cases{""};
  for (std::size_t length = 0, begin = 0; length < 5; ++length) {
    std::size_t end = cases.size();
    for (std::size_t i = begin; i < end; ++i)
      for (char c : alphabet) cases.push_back(cases[i] + c);
    begin = end;
  }
  for (const char* group : {"1", "ff", "0", "12345", "1.2.3.4", "255.0.0.1", "01.1.1.1", ""})
    for (int n = 1; n <= 9; ++n)
      for (int gap = -1; gap < n; ++gap) {
        std::string text;
        for (int k = 0; k < n; ++k) {
          if (k > 0) text += k == gap ? "::" : ":";
          text += k + 1 == n ? group : "a";
        }
        cases.push_back(text);
        cases.push_back("::" + text);
        cases.push_back(text + "::");
      }
  int compared = 0;
  for (const auto& text : cases) {
    ASSERT_EQ(is_ip_address(text), inet_pton_accepts(text)) << "'" << text << "'";
    ++compared;
  }
  EXPECT_GT(compared, 30000);
}

}  // namespace
}  // namespace latchwatch::probes
