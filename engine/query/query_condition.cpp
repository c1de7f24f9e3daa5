#include "engine/query/query_condition.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "core/text.hpp"
#include "core/error.hpp"
#include "core/sky.hpp"

namespace specmill {
namespace {

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string trim(std::string_view s) { return std::string(trim_space(s)); }

// Top-level positions (outside literals, quoted identifiers and parentheses) where the keyword
// `word` starts as a whole word, case-insensitively.
std::vector<size_t> top_level_words(std::string_view s, std::string_view word) {
  std::vector<size_t> at;
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (c == quote) quote = 0;  // '' and "" escapes re-enter the quote at once: same result
      continue;
    }
    if (c == '\'' || c == '"' || c == '`') {
      quote = c;
    } else if (c == '(' || c == '[') {
      ++depth;
    } else if (c == ')' || c == ']') {
      --depth;
    } else if (depth == 0 && i + word.size() <= s.size() && (i == 0 || !ident_char(s[i - 1])) &&
               (i + word.size() == s.size() || !ident_char(s[i + word.size()])) &&
               to_lower(s.substr(i, word.size())) == word) {
      at.push_back(i);
    }
  }
  return at;
}

double number(std::string_view text, const std::string& what) {
  const std::string t = trim(text);
  double x = 0;
  const char* b = t.data();
  if (!t.empty() && *b == '+') ++b;
  const auto r = std::from_chars(b, t.data() + t.size(), x);
  SPECMILL_EXPECTS(!t.empty() && r.ec == std::errc() && r.ptr == t.data() + t.size() && std::isfinite(x),
                   what + ": not a number: '" + t.substr(0, 40) + "'");
  return x;
}

int64_t count(std::string_view text, const std::string& what) {
  const std::string t = trim(text);
  int64_t x = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), x);
  SPECMILL_EXPECTS(!t.empty() && r.ec == std::errc() && r.ptr == t.data() + t.size() && x >= 0,
                   what + " must be a whole number >= 0, not '" + t.substr(0, 40) + "'");
  return x;
}

// Splits a call's argument text on top-level commas.
std::vector<std::string> arguments(std::string_view s) {
  std::vector<std::string> out;
  int depth = 0;
  size_t from = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(' || s[i] == '[') ++depth;
    if (s[i] == ')' || s[i] == ']') --depth;
    if (s[i] == ',' && depth == 0) {
      out.push_back(trim(s.substr(from, i - from)));
      from = i + 1;
    }
  }
  out.push_back(trim(s.substr(from)));
  return out;
}

// A term that is exactly one call of `fn`: its argument text; else nullopt.
std::optional<std::string> call_of(const std::string& term, std::string_view fn) {
  if (term.size() < fn.size() + 2 || to_lower(term.substr(0, fn.size())) != fn) return std::nullopt;
  size_t i = fn.size();
  while (i < term.size() && std::isspace(static_cast<unsigned char>(term[i]))) ++i;
  if (i >= term.size() || term[i] != '(' || term.back() != ')') return std::nullopt;
  // The parenthesis opened at i must close at the end, not earlier ("f(a) OR g(b)").
  int depth = 0;
  for (size_t k = i; k < term.size(); ++k) {
    if (term[k] == '(') ++depth;
    if (term[k] == ')' && --depth == 0 && k + 1 != term.size()) return std::nullopt;
  }
  return term.substr(i + 1, term.size() - i - 2);
}

// ARRAY[...] of numbers, flat or as pairs ([(ra, dec), ...] or [[ra, dec], ...]).
std::vector<sky_point> vertices(std::string_view text) {
  std::string t = trim(text);
  SPECMILL_EXPECTS(to_lower(t.substr(0, 5)) == "array", "q3c_poly_query: the vertices must be ARRAY[ra1, dec1, ...]");
  std::string flat;
  for (char c : t.substr(5)) flat.push_back(c == '(' || c == ')' || c == '[' || c == ']' ? ' ' : c);
  std::vector<double> v;
  for (const auto& a : arguments(flat))
    if (!a.empty()) v.push_back(number(a, "q3c_poly_query vertex"));
  SPECMILL_EXPECTS(v.size() % 2 == 0 && v.size() >= 6, "q3c_poly_query needs at least 3 (ra, dec) vertices");
  std::vector<sky_point> pts;
  for (size_t i = 0; i < v.size(); i += 2) pts.push_back({v[i], v[i + 1]});
  return pts;
}

// Tries a top-level term as a q3c region; true when it was one.
bool take_region(const std::string& term, original_condition& out) {
  if (auto args = call_of(term, "q3c_radial_query")) {
    const auto a = arguments(*args);
    SPECMILL_EXPECTS(a.size() == 5, "q3c_radial_query takes (ra, dec, ra0, dec0, radius)");
    out.region = sky_region::cone(number(a[2], "q3c_radial_query ra0"), number(a[3], "q3c_radial_query dec0"),
                                  number(a[4], "q3c_radial_query radius"));
    out.region_ra = a[0];
    out.region_dec = a[1];
    return true;
  }
  if (auto args = call_of(term, "q3c_poly_query")) {
    const auto a = arguments(*args);
    SPECMILL_EXPECTS(a.size() == 3, "q3c_poly_query takes (ra, dec, ARRAY[ra1, dec1, ...])");
    out.region = sky_region::polygon(vertices(a[2]));
    out.region_ra = a[0];
    out.region_dec = a[1];
    return true;
  }
  return false;
}

// ORDER BY / LIMIT / OFFSET at the end of the condition.
void take_tail(std::string_view tail, original_condition& out) {
  struct clause {
    size_t at;
    std::string_view word;
  };
  std::vector<clause> cl;
  for (std::string_view w : {"order", "limit", "offset"})
    for (size_t at : top_level_words(tail, w)) cl.push_back({at, w});
  std::sort(cl.begin(), cl.end(), [](const clause& a, const clause& b) { return a.at < b.at; });
  for (size_t k = 0; k < cl.size(); ++k) {
    const size_t end = k + 1 < cl.size() ? cl[k + 1].at : tail.size();
    std::string body = trim(tail.substr(cl[k].at + cl[k].word.size(), end - cl[k].at - cl[k].word.size()));
    if (cl[k].word == "order") {
      SPECMILL_EXPECTS(to_lower(body.substr(0, 2)) == "by" && !out.sort.size(), "expected ORDER BY column [ASC|DESC], ...");
      out.sort = trim(body.substr(2));
      SPECMILL_EXPECTS(!out.sort.empty(), "ORDER BY names no column");
    } else if (cl[k].word == "limit") {
      SPECMILL_EXPECTS(!out.limit, "LIMIT given twice");
      out.limit = count(body, "LIMIT");
    } else {
      SPECMILL_EXPECTS(!out.offset, "OFFSET given twice");
      out.offset = count(body, "OFFSET");
    }
  }
}

}  // namespace

original_condition parse_original_condition(std::string_view cond) {
  original_condition out;
  size_t tail_at = cond.size();
  for (std::string_view w : {"order", "limit", "offset"}) {
    const auto at = top_level_words(cond, w);
    if (!at.empty()) tail_at = std::min(tail_at, at.front());
  }
  take_tail(cond.substr(tail_at), out);
  const std::string where = trim(cond.substr(0, tail_at));
  if (where.empty()) return out;

  // Only a pure conjunction may lose a term: with a top-level OR, AND binds tighter and taking
  // one term out would change the meaning.
  std::vector<std::string> terms;
  if (top_level_words(where, "or").empty()) {
    size_t from = 0;
    for (size_t at : top_level_words(where, "and")) {
      terms.push_back(trim(std::string_view(where).substr(from, at - from)));
      from = at + 3;
    }
    terms.push_back(trim(std::string_view(where).substr(from)));
  } else {
    terms.push_back(where);
  }
  std::string rest;
  for (const auto& term : terms) {
    if (!out.region && take_region(term, out)) continue;
    // Terms are re-joined exactly as split: "x BETWEEN 1 AND 2" survives the round trip.
    rest += (rest.empty() ? "" : " AND ") + term;
  }
  SPECMILL_EXPECTS(to_lower(rest).find("q3c_poly_query") == std::string::npos,
                   "q3c_poly_query is supported as a top-level AND term of the condition only");
  out.constraint = rest;
  return out;
}

double angular_distance_deg(double ra1, double dec1, double ra2, double dec2) {
  // 2 asin(chord / 2): full precision at small separations, exact to rounding up to 180 deg.
  const double c = std::sqrt(chord2(unit_vector(ra1, dec1), unit_vector(ra2, dec2)));
  return 2.0 * std::asin(std::min(1.0, c / 2.0)) / deg_to_rad;
}

}  // namespace specmill
