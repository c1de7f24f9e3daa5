#include "api/rest/rest_config.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <type_traits>

#include "core/error.hpp"
#include "engine/store/store.hpp"

namespace specmill::rest {
namespace {

using json = nlohmann::json;

// nlohmann converts a JSON number to T with a plain cast: a double beyond T's range is undefined
// behaviour (fuzz/fuzz_config: "port": 7e119) and a negative integer wraps to a huge unsigned.
template <class T>
bool fits_in(const json& v) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    using limits = std::numeric_limits<T>;
    if (v.is_number_unsigned()) return v.get<uint64_t>() <= uint64_t(limits::max());
    if (v.is_number_integer()) return limits::is_signed && v.get<int64_t>() >= int64_t(limits::min());  // < 0
    if (v.is_number_float()) {
      const double d = v.get<double>();
      return std::isfinite(d) && d >= double(limits::min()) && d < std::ldexp(1.0, limits::digits);
    }
  }
  return true;  // floating-point fields, strings, bools, lists: get<T> checks the type
}

template <class T>
void take(const json& j, const char* key, T& into, const std::string& where) {
  if (!j.contains(key)) return;
  SPECMILL_EXPECTS(fits_in<T>(j.at(key)), where + ": '" + key + "' is out of range");
  try {
    into = j.at(key).get<T>();
  } catch (const json::exception&) {
    throw invalid_argument(where + ": '" + key + "' has the wrong type");
  }
}

void check_known(const json& j, std::initializer_list<const char*> keys, const std::string& where) {
  for (const auto& [k, v] : j.items()) {
    bool ok = false;
    for (const char* key : keys) ok = ok || k == key;
    SPECMILL_EXPECTS(ok, where + ": unknown key '" + k + "'");
  }
}

}  // namespace

service_config load_service_config(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw not_found("cannot read config " + file.string());
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw invalid_argument("config " + file.string() + ": not valid JSON: " + e.what());
  }
  const std::string where = "config " + file.string();
  SPECMILL_EXPECTS(j.is_object(), where + ": not a JSON object");
  check_known(j, {"host", "port", "threads", "contexts", "profiles", "limits", "admin_token", "default_context", "device",
                 "ui_dir"},
              where);
  service_config c;
  c.profiles.clear();
  take(j, "host", c.host, where);
  take(j, "port", c.port, where);
  take(j, "threads", c.threads, where);
  take(j, "admin_token", c.admin_token, where);
  take(j, "default_context", c.default_context, where);
  take(j, "device", c.device, where);
  if (std::string ui; j.contains("ui_dir")) {
    take(j, "ui_dir", ui, where);
    c.ui_dir = ui.empty() ? std::filesystem::path{} : file.parent_path() / ui;  // relative to the config
  }
  SPECMILL_EXPECTS(c.port >= 0 && c.port < 65536, where + ": port out of range");
  SPECMILL_EXPECTS(c.threads >= 0 && c.threads <= 1024, where + ": threads out of range");
  SPECMILL_EXPECTS(j.contains("contexts") && j["contexts"].is_array() && !j["contexts"].empty(),
                   where + ": 'contexts' must be a non-empty list");
  const auto base = file.parent_path();
  for (const auto& cj : j["contexts"]) {
    SPECMILL_EXPECTS(cj.is_object(), where + ": a context is not an object");
    check_known(cj, {"name", "store", "store_context", "description", "public", "tokens"}, where + ": context");
    context_config cc;
    std::string store;
    take(cj, "name", cc.name, where);
    take(cj, "store", store, where);
    take(cj, "store_context", cc.store_context, where);
    take(cj, "description", cc.description, where);
    take(cj, "public", cc.is_public, where);
    take(cj, "tokens", cc.tokens, where);
    SPECMILL_EXPECTS(!cc.name.empty() && !store.empty(), where + ": a context needs 'name' and 'store'");
    cc.store = std::filesystem::path(store).is_absolute() ? std::filesystem::path(store) : base / store;
    if (cc.store_context.empty()) cc.store_context = cc.name;
    SPECMILL_EXPECTS(cc.is_public || !cc.tokens.empty() || !c.admin_token.empty(),
                     where + ": context " + cc.name + " is not public and has no tokens");
    for (const auto& other : c.contexts) SPECMILL_EXPECTS(other.name != cc.name, where + ": context " + cc.name + " twice");
    c.contexts.push_back(std::move(cc));
  }
  if (j.contains("profiles")) {
    SPECMILL_EXPECTS(j["profiles"].is_array(), where + ": 'profiles' must be a list");
    for (const auto& pj : j["profiles"]) {
      profile_config p;
      take(pj, "name", p.name, where);
      take(pj, "description", p.description, where);
      c.profiles.push_back(std::move(p));
    }
  }
  if (c.profiles.empty()) c.profiles.push_back({});
  if (j.contains("limits")) {
    const auto& lj = j["limits"];
    check_known(lj, {"max_ids", "max_body_bytes", "max_response_bytes", "request_seconds", "request_budget_seconds",
                     "header_seconds", "body_seconds", "keep_alive_seconds", "max_headers", "max_header_bytes",
                     "max_ranges", "listen_backlog", "stop_grace_seconds", "query_seconds", "max_query_rows",
                     "max_image_pixels", "engine_jobs", "job_window_bytes"},
                where + ": limits");
    auto& l = c.limits;
    take(lj, "max_ids", l.max_ids, where);
    take(lj, "max_body_bytes", l.max_body_bytes, where);
    take(lj, "max_response_bytes", l.max_response_bytes, where);
    take(lj, "request_seconds", l.request_seconds, where);
    take(lj, "request_budget_seconds", l.request_budget_seconds, where);
    take(lj, "header_seconds", l.header_seconds, where);
    take(lj, "body_seconds", l.body_seconds, where);
    take(lj, "keep_alive_seconds", l.keep_alive_seconds, where);
    take(lj, "max_headers", l.max_headers, where);
    take(lj, "max_header_bytes", l.max_header_bytes, where);
    take(lj, "max_ranges", l.max_ranges, where);
    take(lj, "listen_backlog", l.listen_backlog, where);
    take(lj, "stop_grace_seconds", l.stop_grace_seconds, where);
    take(lj, "query_seconds", l.query_seconds, where);
    take(lj, "max_query_rows", l.max_query_rows, where);
    take(lj, "max_image_pixels", l.max_image_pixels, where);
    take(lj, "engine_jobs", l.engine_jobs, where);
    take(lj, "job_window_bytes", l.job_window_bytes, where);
    SPECMILL_EXPECTS(l.max_ids > 0 && l.request_seconds > 0 && l.query_seconds > 0 && l.request_budget_seconds > 0 &&
                         l.header_seconds > 0 && l.body_seconds > 0 && l.keep_alive_seconds > 0 &&
                         l.stop_grace_seconds >= 0 && l.max_headers > 0 && l.max_header_bytes > 0 &&
                         l.listen_backlog > 0 && l.engine_jobs >= 0 && l.job_window_bytes >= (size_t(1) << 16),
                     where + ": limits must be positive");
  }
  if (c.default_context.empty()) c.default_context = c.contexts.front().name;
  bool known = false;
  for (const auto& cc : c.contexts) known = known || cc.name == c.default_context;
  SPECMILL_EXPECTS(known, where + ": default_context " + c.default_context + " is not a listed context");
  return c;
}

service_config config_for_store(const std::filesystem::path& store_root) {
  store st(store_root, store::access::read);
  service_config c;
  for (const auto& info : st.catalog().contexts()) {
    context_config cc;
    cc.name = cc.store_context = info.name;
    cc.store = store_root;
    cc.description = info.description;
    c.contexts.push_back(std::move(cc));
    if (info.name == default_context) c.default_context = info.name;
  }
  SPECMILL_EXPECTS(!c.contexts.empty(), "store " + store_root.string() + " has no context to serve");
  if (c.default_context.empty()) c.default_context = c.contexts.front().name;
  return c;
}

}  // namespace specmill::rest
