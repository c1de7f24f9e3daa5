#pragma once
// The catalog row of each written spectrum (`get --meta`): a few scalar columns, one record per
// spectrum written (found), in output order. The engine packs the records (engine/get/
// get_meta.hpp); the sinks write them as their format holds a table (io/formats/table_sink.hpp).
// A record is the columns' values back to back with no padding: the layout of a numpy structured
// array, so npz writes a window's records as they are.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace specmill {

enum class meta_type { i4, i8, u8, f8, text };

struct meta_column {
  std::string name;            // as the catalog names it ("z", "class")
  meta_type type = meta_type::f8;
  size_t width = 0;            // text: bytes, NUL-padded (numpy 'S<width>', FITS '<width>A')
  std::string unit;            // "" for a dimensionless or non-numeric column
};

struct meta_schema {
  std::vector<meta_column> columns;
  bool empty() const { return columns.empty(); }
  size_t size(size_t k) const;     // bytes of column k in a record
  size_t offset(size_t k) const;   // where column k starts in a record
  size_t record_bytes() const;
  // The numpy descr of a record: "[('specobjid', '<u8'), ..., ('class', '|S16')]".
  std::string numpy_descr() const;
  // {"ra": "deg", ...}: every column, "" where it has no unit (the npz member meta_units).
  std::string units_json() const;
};

// A window's records: `rows` records of schema.record_bytes() each, for the window's found
// rows in order (rows of the window that were not found have none).
struct meta_window {
  const void* records = nullptr;
  size_t rows = 0;
};

}  // namespace specmill
