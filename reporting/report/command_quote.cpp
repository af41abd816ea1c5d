#include "reporting/report/command_quote.h"

namespace latchwatch {
namespace {

bool double_quote_safe(std::string_view text) {
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f || ch == '$' || ch == '`' || ch == '\\' || ch == '"' || ch == '!')
      return false;
  }
  return true;
}

}  // namespace

std::string sh_quote(std::string_view text) {
  if (text.find('\'') != std::string_view::npos && double_quote_safe(text))
    return "\"" + std::string(text) + "\"";
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string ps_quote(std::string_view text) {
  std::string out = "'";
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    out += c;
    if (c == '\'') {
      out += '\'';
    } else if (static_cast<unsigned char>(c) == 0xE2 && i + 2 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0x80) {
      auto third = static_cast<unsigned char>(text[i + 2]);
      if (third >= 0x98 && third <= 0x9B) {  // U+2018 ‘ U+2019 ’ U+201A ‚ U+201B ‛
        out += text.substr(i + 1, 2);
        out += text.substr(i, 3);
        i += 2;
      }
    }
  }
  return out + "'";
}

}  // namespace latchwatch
