#include "io/formats/meta_table.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace specmill {

size_t meta_schema::size(size_t k) const {
  switch (columns[k].type) {
    case meta_type::i4: return 4;
    case meta_type::i8:
    case meta_type::u8:
    case meta_type::f8: return 8;
    case meta_type::text: return columns[k].width;
  }
  throw invalid_argument("unknown meta column type");
}

size_t meta_schema::offset(size_t k) const {
  size_t at = 0;
  for (size_t j = 0; j < k; ++j) at += size(j);
  return at;
}

size_t meta_schema::record_bytes() const { return offset(columns.size()); }

std::string meta_schema::numpy_descr() const {
  std::string d = "[";
  for (size_t k = 0; k < columns.size(); ++k) {
    std::string t;
    switch (columns[k].type) {
      case meta_type::i4: t = "<i4"; break;
      case meta_type::i8: t = "<i8"; break;
      case meta_type::u8: t = "<u8"; break;
      case meta_type::f8: t = "<f8"; break;
      case meta_type::text: t = "|S" + std::to_string(columns[k].width); break;
    }
    d += "('" + columns[k].name + "', '" + t + "'), ";
  }
  return d + "]";
}

std::string meta_schema::units_json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& c : columns) j[c.name] = c.unit;
  return j.dump();
}

}  // namespace specmill
