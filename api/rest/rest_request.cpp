#include "api/rest/rest_request.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>

#include "core/text.hpp"
#include "core/error.hpp"

namespace specmill::rest {
namespace {

using json = nlohmann::json;


// "1-100" or "7": an inclusive fiber range.
std::pair<int32_t, int32_t> fiber_range(const std::string& text) {
  int32_t lo = 0, hi = 0;
  const char* b = text.data();
  const char* e = b + text.size();
  auto r = std::from_chars(b, e, lo);
  if (r.ec == std::errc() && r.ptr == e) return {lo, lo};
  SPECMILL_EXPECTS(r.ec == std::errc() && r.ptr < e && *r.ptr == '-', "bad fiber range '" + text + "'");
  auto r2 = std::from_chars(r.ptr + 1, e, hi);
  SPECMILL_EXPECTS(r2.ec == std::errc() && r2.ptr == e && lo >= 1 && hi >= lo, "bad fiber range '" + text + "'");
  return {lo, hi};
}

int32_t int_of(const json& v, const std::string& what) {
  if (v.is_number_integer()) {
    const auto x = v.get<int64_t>();
    SPECMILL_EXPECTS(x >= 0 && x <= INT32_MAX, "id_list: " + what + " out of range: " + v.dump());
    return int32_t(x);
  }
  if (v.is_string()) {
    int32_t x = 0;
    const auto& s = v.get_ref<const std::string&>();
    auto r = std::from_chars(s.data(), s.data() + s.size(), x);
    SPECMILL_EXPECTS(r.ec == std::errc() && r.ptr == s.data() + s.size() && x >= 0, "id_list: bad " + what + " " + v.dump());
    return x;
  }
  throw invalid_argument("id_list: bad " + what + " " + v.dump());
}

void add_element(const json& v, const expand_fn& expand, std::vector<spectrum_id>& out) {
  if (v.is_number_unsigned() || v.is_number_integer()) {
    spectrum_id id;
    // The signed spAll form of SPECOBJID is the same 64 bits.
    id.specobjid = v.is_number_unsigned() ? v.get<uint64_t>() : uint64_t(v.get<int64_t>());
    id.text = v.dump();
    out.push_back(std::move(id));
    return;
  }
  if (v.is_string()) {
    out.push_back(parse_spectrum_id(v.get<std::string>()));
    return;
  }
  SPECMILL_EXPECTS(v.is_array() && !v.empty() && v.size() <= 4, "id_list: bad element " + v.dump().substr(0, 80));
  if (v.size() >= 3 && !(v[2].is_string() && v[2].get_ref<const std::string&>().find('-') != std::string::npos)) {
    spectrum_id id;  // plate, mjd, fiber (a 4th element, run2d, is ignored: the context decides)
    id.plate = int_of(v[0], "plate");
    id.mjd = int_of(v[1], "mjd");
    id.fiberid = int_of(v[2], "fiberid");
    id.text = std::to_string(id.plate) + "," + std::to_string(id.mjd) + "," + std::to_string(id.fiberid);
    out.push_back(std::move(id));
    return;
  }
  partial_tuple t;
  t.plate = int_of(v[0], "plate");
  if (v.size() >= 2) t.mjd = int_of(v[1], "mjd");
  if (v.size() >= 3) std::tie(t.fiber_lo, t.fiber_hi) = fiber_range(v[2].get<std::string>());
  t.text = v.dump();
  auto ids = expand(t);
  out.insert(out.end(), std::make_move_iterator(ids.begin()), std::make_move_iterator(ids.end()));
}

// numpy 2 prints scalars in a list as np.uint64(123): keep the number.
std::string strip_numpy_scalars(const std::string& s) {
  if (s.find("np.") == std::string::npos && s.find("numpy.") == std::string::npos) return s;
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const bool np = s.compare(i, 3, "np.") == 0, numpy = s.compare(i, 6, "numpy.") == 0;
    const size_t open = (np || numpy) ? s.find('(', i) : std::string::npos;
    if (open != std::string::npos && open - i < 16) {
      const size_t close = s.find(')', open);
      if (close != std::string::npos) {
        out.append(s, open + 1, close - open - 1);
        i = close + 1;
        continue;
      }
    }
    out.push_back(s[i++]);
  }
  return out;
}

// The Python text the original client sent, made JSON: tuples become lists, quotes double,
// trailing commas go, numpy's space-separated "[1 2 3]" gets commas.
std::optional<json> python_list(std::string s) {
  s = strip_numpy_scalars(s);
  if (s.rfind("array(", 0) == 0 && s.back() == ')') s = s.substr(6, s.size() - 7);
  std::string t;
  t.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '(') c = '[';
    if (c == ')') c = ']';
    if (c == '\'') c = '"';
    if (c == 'L' && i > 0 && std::isdigit(static_cast<unsigned char>(s[i - 1]))) continue;  // 123L
    t.push_back(c);
  }
  std::string u;  // drop trailing commas: "[266,]" -> "[266]"
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == ',') {
      size_t j = i + 1;
      while (j < t.size() && std::isspace(static_cast<unsigned char>(t[j]))) ++j;
      if (j < t.size() && t[j] == ']') continue;
    }
    u.push_back(t[i]);
  }
  auto j = json::parse(u, nullptr, false);
  if (!j.is_discarded()) return j;
  // numpy: "[1 2 3]" (the brackets checked: "array()" left "" here, and "[1 2 3" lost its 3)
  if (u.size() >= 2 && u.front() == '[' && u.back() == ']' && u.find(',') == std::string::npos &&
      u.find('[', 1) == std::string::npos) {
    std::istringstream in(u.substr(1, u.size() - 2));
    json arr = json::array();
    std::string tok;
    while (in >> tok) {
      uint64_t x = 0;
      auto r = std::from_chars(tok.data(), tok.data() + tok.size(), x);
      if (r.ec != std::errc() || r.ptr != tok.data() + tok.size()) return std::nullopt;
      arr.push_back(x);
    }
    return arr;
  }
  return std::nullopt;
}

}  // namespace

void check_nesting(std::string_view text, const std::string& what) {
  size_t depth = 0;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quote) {
      if (ch == '\\') ++i;
      else if (ch == quote) quote = 0;
    } else if (ch == '"' || ch == '\'') {
      quote = ch;
    } else if (ch == '[' || ch == '{' || ch == '(') {
      SPECMILL_EXPECTS(++depth <= max_nesting, what + ": lists nested deeper than " + std::to_string(max_nesting) + " levels");
    } else if ((ch == ']' || ch == '}' || ch == ')') && depth > 0) {
      --depth;
    }
  }
}

request_params request_params::from(const httplib::Request& req, const std::string& body) {
  request_params p;
  for (const auto& [k, v] : req.params) p.fields_.emplace(k, v);
  const std::string type = to_lower(req.get_header_value("Content-Type"));
  if (type.find("application/json") != std::string::npos) {
    check_nesting(body, "request body");
    p.body_ = json::parse(body, nullptr, false);
    SPECMILL_EXPECTS(!p.body_.is_discarded(), "request body is not valid JSON");
    SPECMILL_EXPECTS(p.body_.is_object(), "request body must be a JSON object");
  } else if (!body.empty()) {
    httplib::Params form;
    httplib::detail::parse_query_text(body, form);
    for (const auto& [k, v] : form) p.fields_.emplace(k, v);
  }
  return p;
}

const json* request_params::json_value(const std::string& name) const {
  if (!body_.is_object()) return nullptr;
  auto it = body_.find(name);
  return it == body_.end() ? nullptr : &*it;
}

bool request_params::has(const std::string& name) const { return fields_.count(name) || json_value(name); }

std::optional<std::string> request_params::text(const std::string& name) const {
  if (const json* v = json_value(name)) {
    if (v->is_null()) return std::nullopt;
    return v->is_string() ? v->get<std::string>() : v->dump();
  }
  auto it = fields_.find(name);
  if (it == fields_.end()) return std::nullopt;
  return it->second;
}

std::string request_params::text_or(const std::string& name, const std::string& fallback) const {
  auto v = text(name);
  return v && !v->empty() ? *v : fallback;
}

bool request_params::flag(const std::string& name, bool fallback) const {
  auto v = text(name);
  if (!v || v->empty()) return fallback;
  const std::string s = to_lower(*v);
  if (s == "true" || s == "1" || s == "yes" || s == "on" || s == "t") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off" || s == "f" || s == "none") return false;
  throw invalid_argument("parameter " + name + ": expected true or false, not '" + *v + "'");
}

double request_params::number(const std::string& name, double fallback) const {
  auto v = text(name);
  if (!v || v->empty()) return fallback;
  double x = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), x);
  SPECMILL_EXPECTS(r.ec == std::errc() && r.ptr == v->data() + v->size() && std::isfinite(x),
                   "parameter " + name + ": not a number: '" + *v + "'");
  return x;
}

int64_t request_params::integer(const std::string& name, int64_t fallback) const {
  auto v = text(name);
  if (!v || v->empty()) return fallback;
  int64_t x = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), x);
  SPECMILL_EXPECTS(r.ec == std::errc() && r.ptr == v->data() + v->size(), "parameter " + name + ": not an integer: '" + *v + "'");
  return x;
}

std::vector<spectrum_id> parse_id_list(const request_params& p, const expand_fn& expand, size_t max_ids,
                                       const std::string& name) {
  std::vector<spectrum_id> out;
  auto check_size = [&] {
    SPECMILL_EXPECTS(out.size() <= max_ids, "id_list holds more than the limit of " + std::to_string(max_ids) + " IDs");
  };
  if (const json* v = p.json_value(name); v && !v->is_string()) {
    SPECMILL_EXPECTS(v->is_array() || v->is_number(), name + " must be a list");
    if (v->is_number()) {
      add_element(*v, expand, out);
    } else {
      for (const auto& e : *v) {
        add_element(e, expand, out);
        check_size();
      }
    }
    return out;
  }
  auto text = p.text(name);
  SPECMILL_EXPECTS(text && !text->empty(), "missing parameter " + name);
  std::string t = *text;
  t.erase(0, t.find_first_not_of(" \t\r\n"));
  t.erase(t.find_last_not_of(" \t\r\n") + 1);
  if (!t.empty() && (t.front() == '[' || t.front() == '(' || t.rfind("array(", 0) == 0)) {
    if (t.front() == '(') t = "[" + t + "]";  // one bare tuple
    check_nesting(t, name);
    auto j = python_list(t);
    SPECMILL_EXPECTS(j && (j->is_array()), "id_list: cannot read '" + t.substr(0, 80) + "'");
    for (const auto& e : *j) {
      add_element(e, expand, out);
      check_size();
    }
    return out;
  }
  std::istringstream in(t);
  out = read_id_list(in, "id_list");
  check_size();
  return out;
}

}  // namespace specmill::rest
