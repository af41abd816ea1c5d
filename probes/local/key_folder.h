#pragma once
/// GPA's key folder, listed by name only (domain brief §3). No file in it is ever opened.

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "probes/os/read_state.h"

namespace latchwatch::probes {

struct KeyFileEntry {
  std::string name;  ///< file name, e.g. "e3882f98-....key"
  std::string guid;  ///< lower-cased guid for "{guid}.key" / "{guid}.encrypted"; empty otherwise
  std::uint64_t size = 0;
  std::chrono::system_clock::time_point mtime{};
  bool is_symlink = false;  ///< listed, never followed
};

struct KeyFolderListing {
  ReadState state = ReadState::ok;
  std::string error;  ///< why, when state != ok
  std::string path;
  std::vector<KeyFileEntry> entries;  ///< every entry (key files and others), sorted by name
  bool has_provisioned_tag = false;
  bool has_status_tag = false;

  /// Guids with a key file (lower-case), in name order.
  std::vector<std::string> key_guids() const;
  bool has_key_for(const std::string& guid) const;  ///< case-insensitive
};

/// Lists `path` by name, never opening an entry (key_folder_{posix,windows}.cpp): on Linux with
/// opendir/readdir and lstat (never stat), on Windows with FindFirstFileExW/FindNextFileW, whose
/// find data already holds sizes, times and the reparse-point flag. A symlink (a reparse point)
/// is listed with is_symlink and never followed; a folder that is one is not listed. Past
/// `kMaxKeyFolderEntries` entries the listing stops and its state is `too_large` (unreadable
/// evidence): an unseen entry could be the key file.
constexpr std::size_t kMaxKeyFolderEntries = 4096;
KeyFolderListing list_key_folder(const std::string& path);

void to_json(nlohmann::json& j, const KeyFolderListing& k);

namespace detail {
/// The portable half of list_key_folder, used by both platform listers (key_folder.cpp).
/// Adds one entry; false (state too_large, error set) once the cap is reached: stop listing.
/// Only a regular file gets a guid, so a planted link or a folder named after the key never
/// makes the key look present.
bool add_key_folder_entry(KeyFolderListing& listing, const std::string& name, bool regular,
                          bool symlink, std::uint64_t size,
                          std::chrono::system_clock::time_point mtime);
/// Sorts the entries by name.
void finish_key_folder_listing(KeyFolderListing& listing);
}  // namespace detail

}  // namespace latchwatch::probes
