#include "agent/plan/cmk_command.h"

#include "agent/plan/json_cursor.h"
#include "agent/plan/resource_text.h"

namespace latchwatch::plan {
namespace {

std::string_view trim_slash(std::string_view text) {
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  return text;
}

}  // namespace

bool is_versioned_key_url(std::string_view text) {
  if (!is_key_url(text)) return false;
  KeyUrlParts parts = split_key_url(std::string(trim_slash(text)));
  return is_azure_name(parts.vault) && is_azure_name(parts.key) && is_azure_name(parts.version) &&
         parts.version.find('/') == std::string::npos;
}

bool same_key_url(std::string_view a, std::string_view b) {
  a = trim_slash(a);
  b = trim_slash(b);
  return !a.empty() && ascii_lower(a) == ascii_lower(b);
}

std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      out += '?';  // a control character in a file name must not end the printed line
    else
      out += c;
  }
  return out + "'";
}

void AzCommand::append(std::string_view text) {
  if (text.empty()) return;
  line_ += ' ';
  line_ += text;
}

void AzCommand::append_checked(std::string_view value, Kind kind) {
  bool valid = kind == kResourceId ? is_azure_resource_id(value)
               : kind == kName     ? is_azure_name(value)
                                   : is_versioned_key_url(value);
  if (!valid) {
    complete_ = false;
    append(kind == kResourceId ? "<invalid resource id>"
           : kind == kName     ? "<invalid name>"
                               : "<invalid key URL>");
    return;
  }
  // The character classes admit no quote, '$', '`' or '\\': single quotes make the value one
  // word in sh, bash, zsh and PowerShell alike.
  append(shell_quote(value));
}

AzCommand& AzCommand::resource_id(std::string_view flag, std::string_view value) {
  append(flag);
  append_checked(value, kResourceId);
  return *this;
}

AzCommand& AzCommand::name(std::string_view flag, std::string_view value) {
  append(flag);
  append_checked(value, kName);
  return *this;
}

AzCommand& AzCommand::key_url(std::string_view flag, std::string_view value) {
  append(flag);
  append_checked(value, kKeyUrl);
  return *this;
}

AzCommand& AzCommand::literal(std::string_view text) {
  append(text);
  return *this;
}

AzCommand& AzCommand::path(std::string_view flag, std::string_view file) {
  append(flag);
  append(shell_quote(file));
  return *this;
}

}  // namespace latchwatch::plan
