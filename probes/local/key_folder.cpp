#include "probes/local/key_folder.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "probes/base/json_limits.h"

namespace latchwatch::probes {
namespace {

constexpr std::size_t kMaxEntries = kMaxKeyFolderEntries;  // GPA keeps it small; bound our work

/// "{guid}.key" (Linux) or "{guid}.encrypted" (Windows): the guid, lower-cased; else empty.
std::string guid_of(const std::string& name) {
  for (const char* suffix : {".key", ".encrypted"}) {
    std::size_t length = std::strlen(suffix);
    if (name.size() == 36 + length && name.compare(36, length, suffix) == 0 &&
        is_guid(std::string_view(name).substr(0, 36)))
      return ascii_lower(name.substr(0, 36));
  }
  return {};
}
}  // namespace

std::vector<std::string> KeyFolderListing::key_guids() const {
  std::vector<std::string> guids;
  for (const auto& entry : entries)
    if (!entry.guid.empty() && !entry.is_symlink) guids.push_back(entry.guid);
  return guids;
}

bool KeyFolderListing::has_key_for(const std::string& guid) const {
  auto wanted = ascii_lower(guid);
  auto guids = key_guids();
  return std::find(guids.begin(), guids.end(), wanted) != guids.end();
}

namespace detail {

bool add_key_folder_entry(KeyFolderListing& listing, const std::string& name, bool regular,
                          bool symlink, std::uint64_t size,
                          std::chrono::system_clock::time_point mtime) {
  if (listing.entries.size() >= kMaxEntries) {
    // The rest is unseen, and the real key file may be in it: a partial listing is not
    // evidence of absence, so the folder counts as unreadable, never as "ok".
    listing.state = ReadState::too_large;
    listing.error = listing.path + ": more than " + std::to_string(kMaxEntries) +
                    " entries; listing stopped, the key file may be among the unseen";
    return false;
  }
  KeyFileEntry file;
  file.name = sanitize_text(name, 256);
  file.is_symlink = symlink;
  file.size = size;
  file.mtime = mtime;
  // GPA decides by name alone; only a regular file counts, so a planted symlink (or a
  // folder) named after the key never makes the key look present.
  if (regular && !symlink) file.guid = guid_of(name);
  if (name == "provisioned.tag") listing.has_provisioned_tag = true;
  if (name == "status.tag") listing.has_status_tag = true;
  listing.entries.push_back(std::move(file));
  return true;
}

void finish_key_folder_listing(KeyFolderListing& listing) {
  std::sort(listing.entries.begin(), listing.entries.end(),
            [](const KeyFileEntry& a, const KeyFileEntry& b) { return a.name < b.name; });
}

}  // namespace detail

void to_json(nlohmann::json& j, const KeyFolderListing& k) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& e : k.entries) {
    nlohmann::json entry = {
        {"name", e.name}, {"size", e.size}, {"mtime", format_utc(e.mtime, false)}};
    if (e.is_symlink) entry["symlink"] = true;
    entries.push_back(std::move(entry));
  }
  j = {{"path", k.path},
       {"state", to_string(k.state)},
       {"keyGuids", k.key_guids()},
       {"entries", entries},
       {"provisionedTag", k.has_provisioned_tag},
       {"statusTag", k.has_status_tag}};
  if (!k.error.empty()) j["error"] = k.error;
}

}  // namespace latchwatch::probes
