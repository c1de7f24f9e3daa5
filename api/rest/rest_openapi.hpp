#pragma once
// The OpenAPI 3 description of the REST service, served at /openapi.json and written to
// docs/openapi.json by `specmill openapi`.
#include <nlohmann/json.hpp>

namespace specmill::rest {
nlohmann::json openapi_document();
}
