#include "engine/get/dense_output.hpp"

#include "core/error.hpp"
#include "io/formats/table_sink.hpp"

namespace specmill {
namespace {

namespace fs = std::filesystem;

table_schema dense_schema(dense_layout l) {
  table_schema s;
  s.layout = table_layout::dense;
  for (size_t k = 0; k < l.names.size(); ++k)
    s.columns.push_back({std::move(l.names[k]), l.is_int[k] ? npy_dtype::i4 : npy_dtype::f4, ""});
  s.metadata = {{"context", std::move(l.context), "CONTEXT", "specmill context"},
                {"grid", std::move(l.grid), "GRID", "wavelength grid of the vector columns"}};
  s.specobjid = std::move(l.specobjid);
  s.found = std::move(l.found);
  s.width = l.width;
  s.loglam = std::move(l.loglam);
  s.wavelength = std::move(l.wavelength);
  s.one_dimensional = l.one_dimensional;
  return s;
}

// The engine's window calls, forwarded to the format's sink.
class table_dense_sink final : public dense_sink {
 public:
  explicit table_dense_sink(std::unique_ptr<table_sink> sink) : sink_(std::move(sink)) {}
  void write(size_t row0, size_t nrows, std::span<const void* const> cols) override {
    sink_->append({row0, nrows, cols, {}, {}});
  }
  bool column_passes() const override { return sink_->column_passes(); }
  void write_column(size_t column, size_t row0, size_t nrows, const void* col) override {
    const void* const one[] = {col};
    sink_->append_column(column, {row0, nrows, one, {}, {}});
  }
  void close() override { sink_->finish(); }

 private:
  std::unique_ptr<table_sink> sink_;
};

}  // namespace

std::unique_ptr<dense_sink> make_dense_sink(get_format f, const fs::path& out, dense_layout layout,
                                            const std::function<void(const char*, size_t)>& stream) {
  SPECMILL_EXPECTS(layout.names.size() == layout.is_int.size(), "dense_layout: names and types differ in length");
  SPECMILL_EXPECTS(layout.specobjid.size() == layout.n_rows, "dense_layout: one specobjid a row");
  return std::make_unique<table_dense_sink>(begin_table(f, dense_schema(std::move(layout)), output_target(out, stream)));
}

}  // namespace specmill
