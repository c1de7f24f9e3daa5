#include "io/filters/filter_curve.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>

#include "core/error.hpp"

#ifndef SPECMILL_DATA_DIR
#define SPECMILL_DATA_DIR "data"
#endif

namespace specmill {
namespace {

// Messages name the file and the line, like a compiler: users fix these files by hand.
[[noreturn]] void malformed(const std::filesystem::path& file, size_t line, const std::string& what) {
  std::string msg = "malformed filter file " + file.string();
  if (line) msg += ":" + std::to_string(line);
  throw data_error(msg + ": " + what);
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// Whitespace runs separate fields unless the ECSV header declared another delimiter.
std::vector<std::string_view> split(std::string_view s, char delimiter) {
  std::vector<std::string_view> out;
  if (delimiter != ' ') {
    size_t start = 0;
    while (true) {
      const size_t end = s.find(delimiter, start);
      out.push_back(trim(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start)));
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    return out;
  }
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    const size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

double parse_number(std::string_view field, const std::filesystem::path& file, size_t line) {
  double v = 0;
  const char* end = field.data() + field.size();
  const auto [ptr, ec] = std::from_chars(field.data(), end, v);
  if (ec != std::errc() || ptr != end) malformed(file, line, "not a number: '" + std::string(field) + "'");
  if (!std::isfinite(v)) malformed(file, line, "not a finite number: '" + std::string(field) + "'");
  return v;
}

struct raw_point {
  double wavelength, response;
  size_t line;
};

void validate(const std::vector<raw_point>& pts, const std::filesystem::path& file) {
  if (pts.size() < 2) malformed(file, 0, "needs at least 2 points, found " + std::to_string(pts.size()));
  bool any_positive = false;
  for (size_t i = 0; i < pts.size(); ++i) {
    if (pts[i].response < 0) malformed(file, pts[i].line, "negative response");
    if (pts[i].wavelength <= 0) malformed(file, pts[i].line, "wavelength must be positive");
    if (i && pts[i].wavelength <= pts[i - 1].wavelength)
      malformed(file, pts[i].line, "wavelengths must increase strictly");
    any_positive = any_positive || pts[i].response > 0;
  }
  if (!any_positive) malformed(file, 0, "the response is zero everywhere");
}

// Angstrom per declared unit; ECSV writers spell Angstrom several ways.
double unit_scale(std::string_view unit, const std::filesystem::path& file, size_t line) {
  if (unit.empty() || unit == "Angstrom" || unit == "angstrom" || unit == "AA" || unit == "Angstroms" ||
      unit == "Å")
    return 1.0;
  if (unit == "nm") return 10.0;
  if (unit == "um" || unit == "micron") return 1e4;
  malformed(file, line, "unsupported wavelength unit '" + std::string(unit) + "' (Angstrom, nm or um)");
}

// The value of `key: value` inside a YAML flow mapping such as {name: wavelength, unit: nm}.
std::string_view yaml_field(std::string_view map, std::string_view key) {
  for (auto part : split(map.substr(0, map.find('}')), ',')) {
    part = trim(part);
    if (!part.empty() && part.front() == '{') part = trim(part.substr(1));
    if (part.substr(0, key.size()) == key && part.size() > key.size() && part[key.size()] == ':') {
      auto v = trim(part.substr(key.size() + 1));
      if (v.size() >= 2 && (v.front() == '\'' || v.front() == '"')) v = v.substr(1, v.size() - 2);
      return v;
    }
  }
  return {};
}

std::vector<raw_point> parse_ecsv(std::istream& in, const std::filesystem::path& file) {
  std::string text;
  size_t line = 1;  // the "# %ECSV" line was consumed by the caller
  char delimiter = ' ';
  std::string wavelength_unit;
  size_t unit_line = 0;
  std::vector<std::string_view> header;
  std::string header_text;
  while (std::getline(in, text)) {
    ++line;
    const std::string_view s = trim(text);
    if (s.empty()) continue;
    if (s.front() != '#') {
      header_text = text;
      header = split(header_text, delimiter);
      break;
    }
    const std::string_view yaml = trim(s.substr(1));
    if (yaml.substr(0, 10) == "delimiter:") {
      auto d = trim(yaml.substr(10));
      if (d.size() >= 2 && (d.front() == '\'' || d.front() == '"')) d = d.substr(1, d.size() - 2);
      if (d.size() != 1) malformed(file, line, "unsupported delimiter");
      delimiter = d[0];
    } else if (yaml.substr(0, 2) == "- " && yaml.find('{') != std::string_view::npos &&
               yaml_field(yaml.substr(yaml.find('{')), "name") == "wavelength") {
      wavelength_unit = std::string(yaml_field(yaml.substr(yaml.find('{')), "unit"));
      unit_line = line;
    }
  }
  if (header.empty()) malformed(file, line, "no column header row after the ECSV header");
  const auto col = [&](std::string_view name) {
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) malformed(file, line, "no '" + std::string(name) + "' column");
    return size_t(it - header.begin());
  };
  const size_t wcol = col("wavelength"), rcol = col("response");
  const double scale = unit_scale(wavelength_unit, file, unit_line);
  std::vector<raw_point> pts;
  while (std::getline(in, text)) {
    ++line;
    const std::string_view s = trim(text);
    if (s.empty() || s.front() == '#') continue;
    const auto fields = split(s, delimiter);
    if (fields.size() != header.size())
      malformed(file, line, "expected " + std::to_string(header.size()) + " columns, found " +
                                std::to_string(fields.size()));
    pts.push_back({parse_number(fields[wcol], file, line) * scale, parse_number(fields[rcol], file, line), line});
  }
  return pts;
}

std::vector<raw_point> parse_text(std::istream& in, const std::string& first_line, const std::filesystem::path& file) {
  std::vector<raw_point> pts;
  std::string text = first_line;
  size_t line = 1;
  do {
    std::string_view s = text;
    s = trim(s.substr(0, s.find('#')));
    if (!s.empty()) {
      const auto fields = split(s, ' ');
      if (fields.size() < 2) malformed(file, line, "expected two columns (wavelength response)");
      pts.push_back({parse_number(fields[0], file, line), parse_number(fields[1], file, line), line});
    }
    ++line;
  } while (std::getline(in, text));
  return pts;
}

bool is_bare_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

}  // namespace

filter_curve read_filter_curve(const std::filesystem::path& file, std::string name) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw not_found("no filter file " + file.string());
  std::ifstream in(file);
  if (!in) throw io_error("cannot read filter file " + file.string());
  std::string first;
  std::getline(in, first);
  const bool ecsv = trim(first).substr(0, 7) == "# %ECSV";
  std::vector<raw_point> pts = ecsv ? parse_ecsv(in, file) : parse_text(in, first, file);
  if (in.bad()) throw io_error("read failed: " + file.string());
  validate(pts, file);
  filter_curve f;
  f.name = name.empty() ? file.stem().string() : std::move(name);
  f.source = file;
  f.wavelength.reserve(pts.size());
  f.response.reserve(pts.size());
  for (const auto& p : pts) {
    f.wavelength.push_back(p.wavelength);
    f.response.push_back(p.response);
  }
  return f;
}

std::filesystem::path filter_data_dir() {
  if (const char* env = std::getenv("SPECMILL_DATA_DIR"); env && *env) return std::filesystem::path(env) / "filters";
  return std::filesystem::path(SPECMILL_DATA_DIR) / "filters";
}

std::vector<std::string> shipped_filter_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(filter_data_dir(), ec))
    if (e.path().extension() == ".ecsv") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

filter_curve load_filter(std::string_view name_or_path) {
  if (!is_bare_name(name_or_path)) return read_filter_curve(std::filesystem::path(name_or_path));
  const auto file = filter_data_dir() / (std::string(name_or_path) + ".ecsv");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    std::string known;
    for (const auto& n : shipped_filter_names()) known += (known.empty() ? "" : ", ") + n;
    throw not_found("no shipped filter '" + std::string(name_or_path) + "' in " + filter_data_dir().string() +
                    " (known: " + (known.empty() ? "none" : known) + "; a file path needs a '/' or an extension)");
  }
  return read_filter_curve(file, std::string(name_or_path));
}

std::vector<filter_curve> load_filters(std::string_view comma_list) {
  std::vector<filter_curve> out;
  std::set<std::string> names;
  size_t start = 0;
  while (true) {
    const size_t end = comma_list.find(',', start);
    const auto item = trim(comma_list.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    SPECMILL_EXPECTS(!item.empty(), "empty filter name in '" + std::string(comma_list) + "'");
    out.push_back(load_filter(item));
    SPECMILL_EXPECTS(names.insert(out.back().name).second,
                     "two filters named '" + out.back().name + "' in '" + std::string(comma_list) + "'");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace specmill
