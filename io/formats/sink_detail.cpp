#include "io/formats/sink_detail.hpp"

#include <nlohmann/json.hpp>

namespace specmill::formats_detail {
namespace {

nlohmann::ordered_json json_value(const meta_item& item) {
  return std::visit([](const auto& v) { return nlohmann::ordered_json(v); }, item.value);
}

}  // namespace

std::string metadata_json(const std::vector<meta_item>& items) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& item : items) j[item.key] = json_value(item);
  return j.dump();
}

std::string metadata_text(const meta_item& item) {
  if (const auto* s = std::get_if<std::string>(&item.value)) return *s;
  return json_value(item).dump();
}

}  // namespace specmill::formats_detail
