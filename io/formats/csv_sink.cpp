// csv: one line per pixel (ragged, dense) or per row (table), numbers in their shortest
// round-trip text (io/formats/table_sink.hpp).
#include <cstring>
#include <string_view>

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
    // A catalog column the line already has (specobjid, first on every line) is not repeated.
    for (size_t k = 0; k < s_.meta.columns.size(); ++k) {
      const std::string& name = s_.meta.columns[k].name;
      const bool repeated = s_.layout != table_layout::table && name == "specobjid";
      if (!repeated) head += "," + name;
      meta_shown_.push_back(!repeated);
    }
    out_.write(head + "\n");
    watch_schema(s_);
  }

  void finish() override {
    check_complete();
    flush();
    out_.close();
  }

 private:
  void values(const table_window& w, size_t element, std::string_view meta = {}) {
    for (size_t k = 0; k < w.columns.size(); ++k) {
      text_ += ',';
      append_element(text_, s_.columns[k].type, w.columns[k], element);
    }
    text_ += meta;
    text_ += '\n';
    if (text_.size() > flush_bytes) flush();
  }

  void append_ragged(const table_window& w) override {
    const int64_t base = s_.offsets[w.row0];
    const char* record = static_cast<const char*>(w.meta.records);
    std::string meta;
    for (size_t i = w.row0; i < w.row0 + w.nrows; ++i) {
      const std::string id = std::to_string(s_.specobjid[i]);
      // A found row's catalog record, as the text every one of its lines ends with.
      if (!s_.meta.empty() && s_.found[i]) {
        meta = meta_text(record);
        record += s_.meta.record_bytes();
      }
      for (int64_t p = s_.offsets[i]; p < s_.offsets[i + 1]; ++p) {
        text_ += id;
        text_ += ',';
        append_number(text_, p - s_.offsets[i]);
        values(w, size_t(p - base), meta);
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

  // ",v1,v2,..." of one record: numbers as append_number writes them, text without its NUL
  // padding, quoted (RFC 4180) when it holds a comma, a quote or a line break.
  std::string meta_text(const char* record) const {
    std::string t;
    for (size_t k = 0; k < s_.meta.columns.size(); ++k) {
      if (!meta_shown_[k]) continue;
      const char* p = record + s_.meta.offset(k);
      t += ',';
      auto put = [&](auto v) {
        std::memcpy(&v, p, sizeof v);
        append_number(t, v);
      };
      switch (s_.meta.columns[k].type) {
        case meta_type::i4: put(int32_t{}); break;
        case meta_type::i8: put(int64_t{}); break;
        case meta_type::u8: put(uint64_t{}); break;
        case meta_type::f8: put(double{}); break;
        case meta_type::text: {
          const std::string_view v(p, strnlen(p, s_.meta.columns[k].width));
          if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
            t += v;
            break;
          }
          t += '"';
          for (char ch : v) t += ch == '"' ? std::string("\"\"") : std::string(1, ch);
          t += '"';
          break;
        }
      }
    }
    return t;
  }

  void flush() {
    out_.write(text_);
    text_.clear();
  }

  table_schema s_;
  byte_output out_;
  std::string text_;
  std::vector<bool> meta_shown_;  // per meta column: written (not already on the line)
};

}  // namespace

std::unique_ptr<table_sink> begin_csv(table_schema schema, output_target target) {
  return std::make_unique<csv_sink>(std::move(schema), std::move(target));
}

}  // namespace specmill
