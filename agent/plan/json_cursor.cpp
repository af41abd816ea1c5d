#include "agent/plan/json_cursor.h"

#include <cctype>
#include <ctime>

#include "probes/base/json_limits.h"

namespace latchwatch::plan {

namespace {
// A file full of bad records should not print a million lines: the first 50 show the pattern.
constexpr std::size_t kMaxErrors = 50;
}  // namespace

void InputErrors::add(const std::string& path, const std::string& problem) {
  if (items_.size() < kMaxErrors)
    items_.push_back(file_ + ": " + (path.empty() ? "" : path + ": ") + problem);
  else if (items_.size() == kMaxErrors)
    items_.push_back(file_ + ": more errors not shown");
}

void InputErrors::absorb(const InputErrors& other) {
  for (const auto& item : other.items_) {
    if (items_.size() < kMaxErrors)
      items_.push_back(item);
    else if (items_.size() == kMaxErrors)
      items_.push_back(file_ + ": more errors not shown");
  }
}

const char* json_kind(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::null:
      return "null";
    default:
      return "a number";
  }
}

JsonCursor JsonCursor::operator[](std::string_view key) const {
  std::string path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  if (!exists() || !value_->is_object()) return {nullptr, std::move(path)};
  auto it = value_->find(std::string(key));
  return {it == value_->end() ? nullptr : &*it, std::move(path)};
}

JsonCursor JsonCursor::at_path(std::string_view dotted) const {
  JsonCursor cursor = *this;
  while (!dotted.empty()) {
    auto dot = dotted.find('.');
    cursor = cursor[dotted.substr(0, dot)];
    dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
  }
  return cursor;
}

std::optional<std::string> JsonCursor::text(InputErrors& errors) const {
  if (!exists()) return std::nullopt;
  if (!value_->is_string()) {
    errors.add(path_, std::string("expected a string, found ") + json_kind(*value_));
    return std::nullopt;
  }
  return value_->get<std::string>();
}

std::optional<std::string> JsonCursor::required_text(InputErrors& errors) const {
  if (!exists()) {
    errors.add(path_, "missing");
    return std::nullopt;
  }
  return text(errors);
}

std::optional<std::string> JsonCursor::checked_text(InputErrors& errors,
                                                    bool (*valid)(std::string_view),
                                                    const char* what, bool required) const {
  auto value = required ? required_text(errors) : text(errors);
  if (!value || value->empty()) return std::nullopt;
  if (!valid(*value)) {
    errors.add(path_, std::string("not ") + what + ": '" + probes::sanitize_text(*value, 80) + "'");
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> JsonCursor::integer(InputErrors& errors) const {
  if (!exists()) return std::nullopt;
  auto value = probes::json_int64(*value_);
  if (!value) errors.add(path_, std::string("expected an integer, found ") + json_kind(*value_));
  return value;
}

std::optional<bool> JsonCursor::boolean(InputErrors& errors) const {
  if (!exists()) return std::nullopt;
  if (!value_->is_boolean()) {
    errors.add(path_, std::string("expected true or false, found ") + json_kind(*value_));
    return std::nullopt;
  }
  return value_->get<bool>();
}

std::optional<double> JsonCursor::number(InputErrors& errors) const {
  if (!exists()) return std::nullopt;
  if (!value_->is_number()) {
    errors.add(path_, std::string("expected a number, found ") + json_kind(*value_));
    return std::nullopt;
  }
  return value_->get<double>();
}

std::vector<JsonCursor> JsonCursor::elements(InputErrors& errors) const {
  std::vector<JsonCursor> out;
  if (!exists()) return out;
  if (!value_->is_array()) {
    errors.add(path_, std::string("expected an array, found ") + json_kind(*value_));
    return out;
  }
  out.reserve(value_->size());
  for (std::size_t i = 0; i < value_->size(); ++i)
    out.emplace_back(&(*value_)[i], path_ + "[" + std::to_string(i) + "]");
  return out;
}

bool JsonCursor::expect_object(InputErrors& errors) const {
  if (!exists()) return false;
  if (value_->is_object()) return true;
  errors.add(path_, std::string("expected an object, found ") + json_kind(*value_));
  return false;
}

std::optional<std::int64_t> parse_iso8601_utc_ms(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+00:00)
  auto digits = [&](std::size_t pos, std::size_t count) -> std::optional<int> {
    if (pos + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':')
    return std::nullopt;
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60)
    return std::nullopt;
  std::size_t pos = 19;
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int scale = 100;
    std::size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      millis += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  std::string_view zone = text.substr(pos);
  if (zone != "Z" && zone != "+00:00") return std::nullopt;
  // Days from civil (Howard Hinnant's algorithm): no timegm, no locale, no time zone.
  int y = *year - (*month <= 2 ? 1 : 0);
  int era = (y >= 0 ? y : y - 399) / 400;
  int yoe = y - era * 400;
  int mp = (*month + 9) % 12;
  int doy = (153 * mp + 2) / 5 + *day - 1;
  int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t days = static_cast<std::int64_t>(era) * 146097 + doe - 719468;
  return ((days * 24 + *hour) * 60 + *minute) * 60000LL + *second * 1000LL + millis;
}

}  // namespace latchwatch::plan
