#pragma once
/// The az command lines the CMK rotation plan prints, built word by word. Every value that came
/// from an export (or the command line) is checked against its character class here, again, and
/// single-quoted by code, so a pasted plan can run nothing but the az command it shows: a value
/// that fails its check becomes a visible `<invalid ...>` placeholder and the line is marked
/// incomplete, never printed as it was.
///
/// Pure and thread-compatible; never throws.

#include <string>
#include <string_view>

namespace latchwatch::plan {

/// A fully versioned Key Vault key URL: "https://{vault}.vault.azure.net/keys/{name}/{version}"
/// (is_key_url's character class, a key name and a version). A Disk Encryption Set's activeKey
/// must be one (diskEncryptionSet.json: "Fully versioned Key Url").
bool is_versioned_key_url(std::string_view text);

/// Key URLs compare without case and without a trailing slash (Key Vault host names and key
/// versions are case-insensitive).
bool same_key_url(std::string_view a, std::string_view b);

/// POSIX single quoting of any text ('it'\''s'); used for the owner's own file names.
std::string shell_quote(std::string_view text);

class AzCommand {
 public:
  /// `words` is code text ("az disk-encryption-set update"), never export data.
  explicit AzCommand(std::string words) : line_(std::move(words)) {}

  /// `--ids '<id>'` and friends: the value must be an Azure resource id.
  AzCommand& resource_id(std::string_view flag, std::string_view value);
  /// A value that must be an Azure name (resource group, scale set, instance id, vault, key).
  AzCommand& name(std::string_view flag, std::string_view value);
  /// A value that must be a versioned Key Vault key URL.
  AzCommand& key_url(std::string_view flag, std::string_view value);
  /// Several resource ids after one flag (`az vm deallocate --ids A B C`).
  template <typename Range>
  AzCommand& resource_ids(std::string_view flag, const Range& values) {
    append(flag);
    for (const auto& v : values) append_checked(v, kResourceId);
    return *this;
  }
  template <typename Range>
  AzCommand& names(std::string_view flag, const Range& values) {
    append(flag);
    for (const auto& v : values) append_checked(v, kName);
    return *this;
  }
  /// Code text appended as is (`--query "..." -o tsv`, `"$NEW_KEY_URL"`).
  AzCommand& literal(std::string_view text);
  /// The owner's own file name (from the command line): quoted, never checked.
  AzCommand& path(std::string_view flag, std::string_view file);

  const std::string& str() const { return line_; }
  /// False when a value failed its check (the line holds a placeholder instead).
  bool complete() const { return complete_; }

 private:
  enum Kind { kResourceId, kName, kKeyUrl };
  void append(std::string_view text);
  void append_checked(std::string_view value, Kind kind);

  std::string line_;
  bool complete_ = true;
};

}  // namespace latchwatch::plan
