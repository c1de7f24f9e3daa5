#pragma once
// What a REST request carries, whatever its encoding: URL query parameters, an URL-encoded form
// (what the original client posted) or a JSON object body. And the id_list forms clients send.
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/pipeline/id_list.hpp"

namespace specmill::rest {

class request_params {
 public:
  // The query string plus the body (read by the caller: form or JSON by Content-Type).
  // invalid_argument for a JSON body that does not parse or is not an object.
  static request_params from(const httplib::Request& req, const std::string& body);

  bool has(const std::string& name) const;
  // The value as text (JSON strings unquoted, other JSON values dumped); empty when absent.
  std::optional<std::string> text(const std::string& name) const;
  std::string text_or(const std::string& name, const std::string& fallback) const;
  // True/False/true/1/yes/on; invalid_argument naming the parameter for other text.
  bool flag(const std::string& name, bool fallback) const;
  double number(const std::string& name, double fallback) const;
  int64_t integer(const std::string& name, int64_t fallback) const;
  // The raw JSON value of a JSON body's field, else null.
  const nlohmann::json* json_value(const std::string& name) const;

 private:
  std::multimap<std::string, std::string> fields_;
  nlohmann::json body_;
};

// Brackets ([, {, ( outside string literals) may nest at most this deep in a request value: an
// id_list or region is two levels, and deeper nesting only serves to exhaust the stack of a
// recursive reader or printer (a 120 KB request of 55,000 levels once crashed the server).
inline constexpr size_t max_nesting = 16;
// invalid_argument naming `what` when `text` nests brackets deeper than max_nesting.
void check_nesting(std::string_view text, const std::string& what);

// An id_list in any of its forms, expanded through the catalog where a tuple is partial:
//   JSON list: [299492975510054912, "266,51602,13", [266, 51602, 13], [266], [266, 51602],
//              [266, 51602, "1-100"]]
//   the original client's Python text: "[299492975510054912, 3000]", "[(266, 51602, 13)]",
//              "[(266,), (266, 51602, '1-100')]", numpy's "[1 2 3]"
//   text, one ID a line: SPECOBJID or plate,mjd,fiber (engine/pipeline/id_list.hpp)
// invalid_argument naming the bad element; more than max_ids IDs is invalid_argument too.
using expand_fn = std::function<std::vector<spectrum_id>(const partial_tuple&)>;
std::vector<spectrum_id> parse_id_list(const request_params& p, const expand_fn& expand, size_t max_ids,
                                       const std::string& name = "id_list");

}  // namespace specmill::rest
