// csv: one line per pixel (ragged, dense) or per row (table), numbers in their shortest
// round-trip text (io/formats/table_sink.hpp).
#include "core/error.hpp"
#include "io/formats/byte_output.hpp"
#include "io/formats/sink_detail.hpp"
#include "io/formats/table_sink.hpp"

namespace specmill {
namespace {

using formats_detail::append_element;
using formats_detail::append_number;

constexpr size_t flush_bytes = size_t(1) << 20;

class csv_sink final : public table_sink {
 public:
  csv_sink(table_schema s, output_target target)
      : table_sink(s.layout, s.rows(), s.columns.size()),
        s_(std::move(s)), out_(std::move(target)) {
    std::string head;
    switch (s_.layout) {
      case table_layout::ragged: head = "specobjid,pixel"; break;
      case table_layout::dense: head = "specobjid,pixel,wavelength"; break;
      case table_layout::table:
        // '#' lines, then the header: astropy's basic reader and pandas (comment='#') read it.
        for (const auto& item : s_.metadata) head += "# " + item.key + ": " + formats_detail::metadata_text(item) + "\n";
        break;
    }
    for (size_t k = 0; k < s_.columns.size(); ++k)
      head += (k == 0 && s_.layout == table_layout::table ? "" : ",") + s_.columns[k].name;
    out_.write(head + "\n");
  }

  void finish() override {
    check_complete();
    flush();
    out_.close();
  }

 private:
  void values(const table_window& w, size_t element) {
    for (size_t k = 0; k < w.columns.size(); ++k) {
      text_ += ',';
      append_element(text_, s_.columns[k].type, w.columns[k], element);
    }
    text_ += '\n';
    if (text_.size() > flush_bytes) flush();
  }

  void append_ragged(const table_window& w) override {
    const int64_t base = s_.offsets[w.row0];
    for (size_t i = w.row0; i < w.row0 + w.nrows; ++i) {
      const std::string id = std::to_string(s_.specobjid[i]);
      for (int64_t p = s_.offsets[i]; p < s_.offsets[i + 1]; ++p) {
        text_ += id;
        text_ += ',';
        append_number(text_, p - s_.offsets[i]);
        values(w, size_t(p - base));
      }
    }
  }

  void append_dense(const table_window& w) override {
    const size_t width = size_t(s_.width);
    for (size_t r = 0; r < w.nrows; ++r) {
      const std::string id = std::to_string(s_.specobjid[w.row0 + r]);
      for (size_t p = 0; p < width; ++p) {
        text_ += id;
        text_ += ',';
        append_number(text_, p);
        text_ += ',';
        append_number(text_, s_.wavelength[p]);
        values(w, r * width + p);
      }
    }
  }

  void append_table(const table_window& w) override {
    for (size_t r = 0; r < w.nrows; ++r) {
      for (size_t k = 0; k < w.columns.size(); ++k) {
        if (k) text_ += ',';
        append_element(text_, s_.columns[k].type, w.columns[k], r);
      }
      text_ += '\n';
      if (text_.size() > flush_bytes) flush();
    }
  }

  void flush() {
    out_.write(text_);
    text_.clear();
  }

  table_schema s_;
  byte_output out_;
  std::string text_;
};

}  // namespace

std::unique_ptr<table_sink> begin_csv(table_schema schema, output_target target) {
  return std::make_unique<csv_sink>(std::move(schema), std::move(target));
}

}  // namespace specmill
