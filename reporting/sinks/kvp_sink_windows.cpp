// Windows: the guest-to-host KVP items as registry values (see kvp_sink.h for the key and its
// source; records from kvp_records.cpp, the same as Linux's pool file holds).
#include <algorithm>
#include <map>

#include "reporting/sinks/kvp_sink.h"
#include "reporting/sinks/wide_text_windows.h"

namespace latchwatch::reporting {
namespace {

struct KeyCloser {
  void operator()(HKEY key) const {
    if (key) RegCloseKey(key);
  }
};
using Key = std::unique_ptr<std::remove_pointer_t<HKEY>, KeyCloser>;

/// "HKLM\\path" / "HKEY_LOCAL_MACHINE\\path" (and HKCU): the root and the sub-key.
bool split_key(const std::string& text, HKEY& root, std::wstring& sub) {
  auto at = text.find('\\');
  if (at == std::string::npos || at + 1 >= text.size()) return false;
  std::string head = text.substr(0, at);
  for (auto& c : head) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (head == "HKLM" || head == "HKEY_LOCAL_MACHINE")
    root = HKEY_LOCAL_MACHINE;
  else if (head == "HKCU" || head == "HKEY_CURRENT_USER")
    root = HKEY_CURRENT_USER;
  else
    return false;
  sub = widen(text.substr(at + 1));
  return true;
}

/// At most `units` UTF-16 units, never splitting a surrogate pair.
std::wstring cut_units(std::wstring text, std::size_t units) {
  if (text.size() <= units) return text;
  std::size_t end = units;
  if (end > 0 && text[end - 1] >= 0xD800 && text[end - 1] <= 0xDBFF) --end;
  text.resize(end);
  return text;
}

/// latchwatch's values under `key` (name -> data), in name order.
std::map<std::wstring, std::wstring> our_values(HKEY key) {
  std::map<std::wstring, std::wstring> values;
  const std::wstring prefix = widen(kKvpPrefix);
  for (DWORD index = 0;; ++index) {
    wchar_t name[16384];
    DWORD name_size = 16384, type = 0, data_size = 0;
    LSTATUS status =
        RegEnumValueW(key, index, name, &name_size, nullptr, &type, nullptr, &data_size);
    if (status == ERROR_NO_MORE_ITEMS) break;
    if (status != ERROR_SUCCESS) break;
    std::wstring value_name(name, name_size);
    if (value_name.compare(0, prefix.size(), prefix) != 0 || type != REG_SZ ||
        data_size > 64 * 1024)
      continue;
    std::wstring data(data_size / sizeof(wchar_t) + 1, L'\0');
    DWORD size = static_cast<DWORD>(data.size() * sizeof(wchar_t));
    if (RegQueryValueExW(key, value_name.c_str(), nullptr, &type,
                         reinterpret_cast<BYTE*>(data.data()), &size) != ERROR_SUCCESS)
      continue;
    data.resize(size / sizeof(wchar_t));
    while (!data.empty() && data.back() == L'\0') data.pop_back();
    values[value_name] = data;
  }
  return values;
}

/// The records as the registry holds them: names and data cut to Hyper-V's limits.
std::map<std::wstring, std::wstring> wanted(const CycleReport& report) {
  std::map<std::wstring, std::wstring> values;
  for (const auto& [key, value] : kvp_records(report))
    values[cut_units(widen(key), kKvpKeyUnits)] = cut_units(widen(value), kKvpValueUnits);
  return values;
}

std::vector<std::string> states_of(const std::map<std::wstring, std::wstring>& values) {
  std::vector<std::string> states;
  for (const auto& [name, data] : values)
    states.push_back(kvp_record_state(narrow(name), narrow(data)));
  std::sort(states.begin(), states.end());
  return states;
}

}  // namespace

bool KvpSink::pool_holds(const std::vector<std::string>& states) const {
  HKEY root = nullptr;
  std::wstring sub;
  if (!split_key(pool_file_, root, sub)) return false;
  HKEY raw = nullptr;
  if (RegOpenKeyExW(root, sub.c_str(), 0, KEY_QUERY_VALUE, &raw) != ERROR_SUCCESS) return false;
  Key key(raw);
  auto expected = states;
  std::sort(expected.begin(), expected.end());
  return states_of(our_values(key.get())) == expected;
}

PublishResult KvpSink::publish(const CycleReport& report) {
  // Mirrors state: rewritten until the key holds what is confirmed now, then left alone.
  const std::string state = kvp_state(report);
  const auto values = wanted(report);
  if (state == written_ && pool_holds(states_of(values))) return {};
  HKEY root = nullptr;
  std::wstring sub;
  if (!split_key(pool_file_, root, sub))
    return PublishResult::failure(pool_file_ + ": not a registry key (HKLM\\... or HKCU\\...)");
  HKEY raw = nullptr;
  LSTATUS status = RegCreateKeyExW(root, sub.c_str(), 0, nullptr, REG_OPTION_NON_VOLATILE,
                                   KEY_QUERY_VALUE | KEY_SET_VALUE, nullptr, &raw, nullptr);
  if (status != ERROR_SUCCESS)
    return PublishResult::failure(pool_file_ + ": " + win32_message(static_cast<DWORD>(status)));
  Key key(raw);
  const auto before = our_values(key.get());
  // New values first, stale ones after: the host never reads an empty state.
  for (const auto& [name, data] : values) {
    auto found = before.find(name);
    if (found != before.end() && found->second == data) continue;
    status = RegSetValueExW(key.get(), name.c_str(), 0, REG_SZ,
                            reinterpret_cast<const BYTE*>(data.c_str()),
                            static_cast<DWORD>((data.size() + 1) * sizeof(wchar_t)));
    if (status != ERROR_SUCCESS)
      return PublishResult::failure(pool_file_ + ": " + win32_message(static_cast<DWORD>(status)));
  }
  for (const auto& [name, data] : before) {
    if (values.count(name)) continue;
    status = RegDeleteValueW(key.get(), name.c_str());
    if (status != ERROR_SUCCESS && status != ERROR_FILE_NOT_FOUND)
      return PublishResult::failure(pool_file_ + ": " + win32_message(static_cast<DWORD>(status)));
  }
  written_ = state;
  return {};
}

std::string withdraw_kvp_records(const std::string& pool_file, std::chrono::milliseconds,
                                 std::size_t& removed, const Clock&) {
  removed = 0;
  HKEY root = nullptr;
  std::wstring sub;
  if (!split_key(pool_file, root, sub))
    return pool_file + ": not a registry key (HKLM\\... or HKCU\\...)";
  HKEY raw = nullptr;
  LSTATUS status = RegOpenKeyExW(root, sub.c_str(), 0, KEY_QUERY_VALUE | KEY_SET_VALUE, &raw);
  if (status == ERROR_FILE_NOT_FOUND) return {};
  if (status != ERROR_SUCCESS) return pool_file + ": " + win32_message(static_cast<DWORD>(status));
  Key key(raw);
  for (const auto& [name, data] : our_values(key.get())) {
    status = RegDeleteValueW(key.get(), name.c_str());
    if (status != ERROR_SUCCESS && status != ERROR_FILE_NOT_FOUND)
      return pool_file + ": " + win32_message(static_cast<DWORD>(status));
    ++removed;
  }
  return {};
}

}  // namespace latchwatch::reporting
