// What the REST service reads from a request (api/rest/rest_request.hpp): the first input byte
// picks the encoding (JSON body, URL-encoded form body, or URL query parameters), the rest is
// the body or query string. request_params::from, every typed getter, parse_id_list (with an
// expand function that answers a partial tuple with up to 3 IDs) and check_nesting.
#include <cstdlib>
#include <string>

#include "api/rest/rest_request.hpp"
#include "fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace specmill;
  if (size == 0) return 0;
  const int encoding = data[0] % 3;
  const std::string body(fuzz::as_text(data + 1, size - 1));

  fuzz::expect_errors([&] { rest::check_nesting(body, "fuzz"); });
  httplib::Request req;
  std::string payload = body;
  if (encoding == 0) {
    req.set_header("Content-Type", "application/json");
  } else if (encoding == 1) {
    req.set_header("Content-Type", "application/x-www-form-urlencoded");
  } else {
    httplib::detail::parse_query_text(body, req.params);
    payload.clear();
  }
  fuzz::expect_errors([&] {
    const rest::request_params p = rest::request_params::from(req, payload);
    for (const char* name : {"id_list", "context", "fmt", "align", "limit", "z"}) {
      (void)p.has(name);
      (void)p.text(name);
      (void)p.json_value(name);
      fuzz::expect_errors([&] { (void)p.flag(name, false); });
      fuzz::expect_errors([&] { (void)p.number(name, 0); });
      fuzz::expect_errors([&] { (void)p.integer(name, 0); });
    }
    const rest::expand_fn expand = [](const partial_tuple& t) {
      std::vector<spectrum_id> ids;
      for (int64_t f = t.fiber_lo; f <= t.fiber_hi && ids.size() < 3; ++f) {
        spectrum_id id;
        id.plate = t.plate;
        id.mjd = t.mjd.value_or(51602);
        id.fiberid = int32_t(f);
        ids.push_back(id);
      }
      return ids;
    };
    const auto ids = rest::parse_id_list(p, expand, 1000);
    if (ids.size() > 1000) std::abort();
  });
  return 0;
}
