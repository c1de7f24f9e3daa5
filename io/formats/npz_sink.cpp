// npz: one member per column, then the layout's index arrays (io/formats/table_sink.hpp).
// Every member is declared when the sink begins, so a file is filled in place. A stream takes
// column passes (no spool) where the schema allows, else spools the columns whose turn has not
// come (npz_writer).
#include <optional>

#include "core/error.hpp"
#include "io/formats/npy.hpp"
#include "io/formats/sink_detail.hpp"
#include "io/formats/table_sink.hpp"

namespace specmill {
namespace {


class npz_sink final : public table_sink {
 public:
  npz_sink(table_schema s, output_target target)
      : table_sink(s.layout, s.rows(), s.columns.size()),
        s_(std::move(s)), sequential_(target.is_stream() || target.is_stdout()), z_(std::move(target)) {
    watch_schema(s_);
    for (const auto& c : s_.columns) members_.push_back(z_.declare_array(c.name, c.type, column_shape()));
    for (const auto& a : s_.row_arrays) {
      std::vector<uint64_t> shape{s_.rows()};
      shape.insert(shape.end(), a.shape.begin(), a.shape.end());
      row_members_.push_back(z_.declare_array(a.name, a.type, std::move(shape)));
    }
    switch (s_.layout) {
      case table_layout::ragged:
        write<int64_t>("offsets", s_.offsets);
        write<uint64_t>("specobjid", s_.specobjid);
        write_bool("found", s_.found);
        if (!s_.meta.empty()) declare_meta();
        break;
      case table_layout::dense:
        write<double>("loglam", s_.loglam);
        write<double>("wavelength", s_.wavelength);
        write<uint64_t>("specobjid", s_.specobjid);
        write_bool("found", s_.found);
        break;
      case table_layout::table: {
        // JSON text as bytes: json.loads(bytes(np.load(f)["metadata"])).
        const std::string meta = formats_detail::metadata_json(s_.metadata);
        write<uint8_t>("metadata", std::span(reinterpret_cast<const uint8_t*>(meta.data()), meta.size()));
        break;
      }
    }
  }

  // One path for every layout: the arrays are written as the schema laid them out.
  void append_ragged(const table_window& w) override { append_rows(w); }
  void append_dense(const table_window& w) override { append_rows(w); }
  void append_table(const table_window& w) override { append_rows(w); }

  void append_rows(const table_window& w) {
    const uint64_t n = s_.elements(w.row0, w.nrows);
    for (size_t k = 0; k < members_.size(); ++k) z_.append_to(members_[k], w.columns[k], size_t(n));
    SPECMILL_EXPECTS(w.row_arrays.size() == row_members_.size(), "npz: window without its per-row arrays");
    for (size_t k = 0; k < row_members_.size(); ++k)
      z_.append_to(row_members_[k], w.row_arrays[k], size_t(w.nrows * s_.row_arrays[k].row_elements()));
    if (meta_member_) z_.append_to(*meta_member_, w.meta.records, w.meta.rows);
  }

  // On a stream every column but the current one would wait in a spool; passes need none. Not
  // with per-row arrays or catalog records, which arrive with every column's windows.
  bool column_passes() const override {
    return sequential_ && s_.columns.size() > 1 && s_.row_arrays.empty() && s_.meta.empty();
  }
  void append_column_rows(size_t column, const table_window& w) override {
    z_.append_to(members_[column], w.columns[0], size_t(s_.elements(w.row0, w.nrows)));
  }

  void finish() override {
    check_complete();
    z_.close();
  }

 private:
  std::vector<uint64_t> column_shape() const {
    switch (s_.layout) {
      case table_layout::ragged: return {uint64_t(s_.offsets.back())};
      case table_layout::dense: return {s_.rows(), uint64_t(s_.width)};
      case table_layout::table: return {s_.n_rows};
    }
    return {};
  }
  // The catalog records of the found rows as one structured array (read without pickle: numpy
  // parses the descr), then the units as JSON bytes, like the table layout's metadata.
  void declare_meta() {
    uint64_t found = 0;
    for (uint8_t f : s_.found) found += f ? 1 : 0;
    meta_member_ = z_.declare_records("meta", s_.meta.numpy_descr(), s_.meta.record_bytes(), found);
    const std::string units = s_.meta.units_json();
    write<uint8_t>("meta_units", std::span(reinterpret_cast<const uint8_t*>(units.data()), units.size()));
  }

  template <class T>
  void write(std::string_view name, std::span<const T> data) {
    const size_t m = z_.declare_array(name, npy_dtype_of<T>(), {data.size()});
    z_.append_to(m, data.data(), data.size());
  }
  void write_bool(std::string_view name, const std::vector<uint8_t>& v) {
    const size_t m = z_.declare_array(name, npy_dtype::b1, {v.size()});
    z_.append_to(m, v.data(), v.size());
  }

  table_schema s_;
  bool sequential_;  // a stream or standard output: members go out one after another
  npz_writer z_;
  std::vector<size_t> members_;
  std::vector<size_t> row_members_;  // schema.row_arrays, in order
  std::optional<size_t> meta_member_;
};

}  // namespace

std::unique_ptr<table_sink> begin_npz(table_schema schema, output_target target) {
  return std::make_unique<npz_sink>(std::move(schema), std::move(target));
}

}  // namespace specmill
