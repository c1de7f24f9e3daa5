#include "api/rest/rest_errors.hpp"

#include <regex>

namespace specmill::rest {
namespace {
template <class E>
bool is(const std::exception& e) {
  return dynamic_cast<const E*>(&e) != nullptr;
}
}  // namespace

std::string public_message(const std::string& what) {
  static const std::regex path(R"((^|[\s'"(\[=:,])/(?:[^\s'"/(),\[\]]+/)+([^\s'"/(),\[\]]+)/?)");
  return std::regex_replace(what, path, "$1$2");
}

error_reply reply_for(const std::exception& e) {
  // no_usable_data is a data_error, but every spectrum the request named was dropped by a data
  // rule: the request's problem, not the store's. Tested before data_error for that reason.
  // time_limit_exceeded is an invalid_argument and answers as one (400), as it always has.
  const auto client = [&](int status, const char* kind) { return error_reply{status, kind, public_message(e.what()), false}; };
  if (is<invalid_argument>(e) || is<no_usable_data>(e)) return client(400, "invalid_argument");
  if (is<unauthorized>(e)) return client(401, "unauthorized");
  if (is<forbidden>(e)) return client(403, "forbidden");
  if (is<not_found>(e)) return client(404, "not_found");
  if (is<too_large>(e)) return client(413, "too_large");
  if (is<over_budget>(e)) return client(503, "over_budget");
  if (is<data_error>(e)) return {500, "data_error", "the service's stored data could not be read", true};
  return {500, "internal", "internal error", true};
}

}  // namespace specmill::rest
