#include "engine/pipeline/id_list.hpp"

#include <cctype>

#include "core/desi_coadd.hpp"

#include "io/catalog/catalog_reader.hpp"

#include <cctype>
#include <charconv>
#include <fstream>
#include <iostream>

#include "core/error.hpp"
#include "core/specobjid.hpp"

namespace specmill {
namespace {

bool parse_i32(std::string_view s, int32_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

}  // namespace

spectrum_id parse_spectrum_id(std::string_view line) {
  spectrum_id id;
  id.text = std::string(line);
  std::string_view s = line;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  // plate-mjd-fiber with ',', '-' or blanks between the three numbers ('-' only after a digit,
  // so a negative signed SPECOBJID is not mistaken for a separator).
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    const bool sep = i == s.size() || s[i] == ',' || s[i] == ' ' || s[i] == '\t' || (s[i] == '-' && i > 0);
    if (!sep) continue;
    if (i > start) parts.push_back(s.substr(start, i - start));
    start = i + 1;
  }
  if (parts.size() == 3 && !parts[1].empty() && std::isalpha(static_cast<unsigned char>(parts[1][0]))) {
    // TARGETID,SURVEY,PROGRAM: a survey name where an MJD would be.
    // Survey and program are names (main, sv1, dark, bright ...): a letter, then letters, digits
    // or '_'; anything else (control bytes, quotes) is a malformed line, not a name to look up.
    const auto name = [](std::string_view v) {
      if (v.empty() || !std::isalpha(static_cast<unsigned char>(v[0]))) return false;
      for (char ch : v)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') return false;
      return true;
    };
    const auto tid = parse_specobjid(parts[0]);
    SPECMILL_EXPECTS(tid.has_value() && *tid < (uint64_t(1) << 63) && name(parts[1]) && name(parts[2]),
                     "malformed targetid,survey,program: '" + id.text + "'");
    id.desi = std::make_shared<const spectrum_id::desi_spectrum>(
        spectrum_id::desi_spectrum{int64_t(*tid), std::string(parts[1]), std::string(parts[2])});
    return id;
  }
  if (parts.size() == 3) {
    SPECMILL_EXPECTS(parse_i32(parts[0], id.plate) && parse_i32(parts[1], id.mjd) &&
                         parse_i32(parts[2], id.fiberid) && id.plate > 0 && id.mjd > 0 && id.fiberid > 0,
                     "malformed plate,mjd,fiberid: '" + id.text + "'");
    return id;
  }
  id.specobjid = parse_specobjid(s);
  SPECMILL_EXPECTS(parts.size() == 1 && id.specobjid.has_value(),
                   "malformed spectrum ID '" + id.text + "' (expected a SPECOBJID or plate,mjd,fiberid)");
  return id;
}

std::vector<spectrum_id> read_id_list(std::istream& in, const std::string& source_name) {
  std::vector<spectrum_id> ids;
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    try {
      ids.push_back(parse_spectrum_id(line));
    } catch (const invalid_argument& e) {
      throw invalid_argument(source_name + ":" + std::to_string(lineno) + ": " + e.what());
    }
  }
  return ids;
}

std::vector<spectrum_id> load_id_list(const std::string& path) {
  if (path == "-") return read_id_list(std::cin, "stdin");
  std::ifstream in(path);
  if (!in) throw not_found("cannot read ID list " + path);
  return read_id_list(in, path);
}

std::vector<spectrum_id> expand_tuple(catalog_reader& cat, const std::string& context, const partial_tuple& t) {
  const auto locate = cat.locator(context);
  std::vector<spectrum_id> out;
  for (uint64_t id : locate->expand(t.plate, t.mjd, t.fiber_lo, t.fiber_hi)) {
    spectrum_id s;
    s.specobjid = id;
    s.text = std::to_string(id);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<double> load_redshift_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw not_found("cannot read redshift list " + path);
  std::vector<double> z;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(line, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    while (used < line.size() && std::isspace(static_cast<unsigned char>(line[used]))) ++used;
    SPECMILL_EXPECTS(used == line.size() && used > 0, path + ":" + std::to_string(n) + ": not a redshift: '" + line + "'");
    z.push_back(v);
  }
  return z;
}

resolved_list resolve_ids(catalog_reader& cat, const std::string& context, std::span<const spectrum_id> ids) {
  resolved_list out;
  out.reserve(ids.size());
  const auto locate = cat.locator(context);
  for (const auto& id : ids) {
    std::optional<catalog_entry> entry;
    if (id.desi) {
      // The secondary key names exactly this survey/program; else the TARGETID's own key, if
      // the spectrum stored under it is this survey/program's (run2d, programname: docs/desi.md).
      const auto& d = *id.desi;
      entry = locate->find(desi_secondary_key(d.targetid, d.survey, d.program));
      if (!entry) {
        const auto e = cat.lookup(context, uint64_t(d.targetid));
        if (e && e->meta.run2d == d.survey && e->meta.programname == d.program) entry = locate->find(uint64_t(d.targetid));
      }
    } else {
      entry = id.specobjid ? locate->find(*id.specobjid) : locate->find(id.plate, id.mjd, id.fiberid);
    }
    out.add(entry ? &*entry : nullptr, id.specobjid.value_or(0), id.text);
  }
  return out;
}

resolved_list resolve_ids(catalog_reader& cat, const std::string& context, std::vector<spectrum_id> ids) {
  return resolve_ids(cat, context, std::span<const spectrum_id>(ids));
}

}  // namespace specmill
