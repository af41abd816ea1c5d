// The KVP sink on Windows: the guest-to-host items as registry values, written to a real key
// (a unique one under HKCU\Software, removed afterwards) and read back with RegGetValueW.
#include <windows.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "reporting/sinks/kvp_sink.h"

namespace latchwatch::reporting {
namespace {

const std::string kVmId = "8a3c1f52-6d0e-4b7a-9c21-5e4f3a2b1c0d";

std::wstring wide(const std::string& text) { return std::wstring(text.begin(), text.end()); }

std::string utf8(const std::wstring& text) {
  int size = WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), nullptr, 0,
                                 nullptr, nullptr);
  std::string out(static_cast<std::size_t>(size), '\0');
  WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), out.data(), size,
                      nullptr, nullptr);
  return out;
}

/// A unique key under HKCU\Software, deleted with everything in it at the end.
class TestKey {
 public:
  TestKey() {
    static int counter = 0;
    sub_ = "Software\\latchwatch-test-" + std::to_string(GetCurrentProcessId()) + "-" +
           std::to_string(++counter);
  }
  ~TestKey() { RegDeleteTreeW(HKEY_CURRENT_USER, wide(sub_).c_str()); }
  std::string path() const { return "HKCU\\" + sub_; }

  /// RegGetValueW of a REG_SZ value; nullopt when there is none.
  std::optional<std::string> get(const std::wstring& name) const {
    DWORD size = 0;
    if (RegGetValueW(HKEY_CURRENT_USER, wide(sub_).c_str(), name.c_str(), RRF_RT_REG_SZ, nullptr,
                     nullptr, &size) != ERROR_SUCCESS)
      return std::nullopt;
    std::wstring data(size / sizeof(wchar_t), L'\0');
    if (RegGetValueW(HKEY_CURRENT_USER, wide(sub_).c_str(), name.c_str(), RRF_RT_REG_SZ, nullptr,
                     data.data(), &size) != ERROR_SUCCESS)
      return std::nullopt;
    data.resize(size / sizeof(wchar_t));
    while (!data.empty() && data.back() == L'\0') data.pop_back();
    return utf8(data);
  }

  void set(const std::wstring& name, const std::wstring& data) const {
    ASSERT_EQ(
        RegSetKeyValueW(HKEY_CURRENT_USER, wide(sub_).c_str(), name.c_str(), REG_SZ, data.c_str(),
                        static_cast<DWORD>((data.size() + 1) * sizeof(wchar_t))),
        ERROR_SUCCESS);
  }

  /// Every value name under the key.
  std::vector<std::wstring> names() const {
    std::vector<std::wstring> out;
    HKEY key = nullptr;
    if (RegOpenKeyExW(HKEY_CURRENT_USER, wide(sub_).c_str(), 0, KEY_QUERY_VALUE, &key) !=
        ERROR_SUCCESS)
      return out;
    for (DWORD i = 0;; ++i) {
      wchar_t name[16384];
      DWORD size = 16384;
      if (RegEnumValueW(key, i, name, &size, nullptr, nullptr, nullptr, nullptr) != ERROR_SUCCESS)
        break;
      out.emplace_back(name, size);
    }
    RegCloseKey(key);
    return out;
  }

 private:
  std::string sub_;
};

CycleReport key_lost(const std::string& resource_id =
                         "/subscriptions/s/resourceGroups/rg/providers/"
                         "Microsoft.Compute/virtualMachines/vm") {
  CycleReport r;
  auto code = latchwatch::VerdictCode::key_lost;
  r.report.verdict = {code, latchwatch::info(code).severity, latchwatch::info(code).meaning};
  r.report.identity.vm_id = kVmId;
  latchwatch::Remedy remedy;
  remedy.resource_id = resource_id;
  remedy.next_incarnation = 7;
  r.report.remedy = remedy;
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = Transition::fired;
  r.host = "vm";
  return r;
}

CycleReport healthy() {
  CycleReport r;
  auto code = latchwatch::VerdictCode::healthy;
  r.report.verdict = {code, latchwatch::info(code).severity, latchwatch::info(code).meaning};
  r.report.identity.vm_id = kVmId;
  r.has_confirmed = true;
  r.confirmed = code;
  r.transition = Transition::resolved;
  return r;
}

const std::wstring kVerdictKey = L"LATCHWATCH|8a3c1f52-6d0e-4b7a-9c21-5e4f3a2b1c0d|verdict";

TEST(KvpRegistry, WritesTheSameRecordsAsTheLinuxPoolAndKeepsOtherValues) {
  TestKey key;
  key.set(L"OtherAgentStatus", L"ready");
  KvpSink sink(key.path());
  auto report = key_lost();
  ASSERT_TRUE(sink.publish(report).ok);
  auto records = kvp_records(report);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(wide(records[0].first), kVerdictKey);
  auto value = key.get(kVerdictKey);
  ASSERT_TRUE(value);
  EXPECT_EQ(*value, records[0].second) << "the same value text as the Linux pool record";
  auto j = nlohmann::json::parse(*value);
  EXPECT_EQ(j["verdict"], "key_lost");
  EXPECT_EQ(j["key_incarnation_id"], 7);
  EXPECT_EQ(key.get(L"OtherAgentStatus"), std::optional<std::string>("ready"));
}

TEST(KvpRegistry, AnUpdateOverwritesAndAValueRemovedByHandIsRewritten) {
  TestKey key;
  KvpSink sink(key.path());
  ASSERT_TRUE(sink.publish(key_lost()).ok);
  ASSERT_TRUE(sink.publish(healthy()).ok);
  auto value = key.get(kVerdictKey);
  ASSERT_TRUE(value);
  EXPECT_EQ(nlohmann::json::parse(*value)["verdict"], "healthy");
  EXPECT_EQ(key.names().size(), 1u);
  // Someone deleted it: the same state is written again on the next cycle.
  ASSERT_EQ(RegDeleteKeyValueW(HKEY_CURRENT_USER, wide(key.path().substr(5)).c_str(),
                               kVerdictKey.c_str()),
            ERROR_SUCCESS);
  auto again = healthy();
  again.transition = Transition::unchanged;
  ASSERT_TRUE(sink.publish(again).ok);
  EXPECT_TRUE(key.get(kVerdictKey));
}

TEST(KvpRegistry, LongValuesAreSplitAsOnLinuxAndTheirPiecesGoWhenShortAgain) {
  TestKey key;
  KvpSink sink(key.path());
  // A resource id long enough that the value passes 1022 bytes (Azure's host reads no more).
  std::string rid = "/subscriptions/s/resourceGroups/" + std::string(1200, 'r') +
                    "/providers/Microsoft.Compute/virtualMachines/vm";
  auto report = key_lost(rid);
  ASSERT_TRUE(sink.publish(report).ok);
  auto records = kvp_records(report);
  ASSERT_GT(records.size(), 1u);
  std::string joined;
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto value = key.get(wide(records[i].first));
    ASSERT_TRUE(value) << records[i].first;
    EXPECT_LE(value->size(), kKvpMaxValue);
    EXPECT_EQ(*value, records[i].second);
    auto piece = nlohmann::json::parse(*value);
    EXPECT_EQ(piece["msg_i"], i);
    joined += piece["msg"].get<std::string>();
  }
  EXPECT_EQ(nlohmann::json::parse(joined)["resource_id"], rid);
  ASSERT_TRUE(sink.publish(healthy()).ok);
  EXPECT_EQ(key.names().size(), 1u) << "the pieces of the long value are gone";
}

TEST(KvpRegistry, KeysAreCutToHyperVsLimit) {
  TestKey key;
  KvpSink sink(key.path());
  auto report = healthy();
  report.report.identity.vm_id.clear();
  report.host = std::string(400, 'h');  // the key falls back to the host name
  ASSERT_TRUE(sink.publish(report).ok);
  auto names = key.names();
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].size(), kKvpKeyUnits);
  EXPECT_EQ(names[0].rfind(L"LATCHWATCH|hhh", 0), 0u);
}

TEST(KvpRegistry, APathThatIsNotARegistryKeyIsAClearError) {
  KvpSink sink("/var/lib/hyperv/.kvp_pool_1");
  auto result = sink.publish(healthy());
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("not a registry key"), std::string::npos) << result.error;
}

}  // namespace
}  // namespace latchwatch::reporting
