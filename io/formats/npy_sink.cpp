// npy: the whole result as one array (io/formats/table_sink.hpp): a single column of a dense
// result as a plain 2-D (or 1-D) array, anything else as a structured array with a field per
// column, its records interleaved here a window at a time.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstring>

#include "core/error.hpp"
#include "io/formats/byte_output.hpp"
#include "io/formats/npy.hpp"
#include "io/formats/sink_detail.hpp"
#include "io/formats/table_sink.hpp"

namespace specmill {
namespace {


class npy_sink final : public table_sink {
 public:
  npy_sink(table_schema s, output_target target)
      : table_sink(s.layout, s.rows(), s.columns.size()),
        s_(std::move(s)), out_(std::move(target)) {
    SPECMILL_EXPECTS(!s_.columns.empty(), "npy output needs at least one column");
    const bool plain = s_.layout == table_layout::dense && s_.columns.size() == 1;
    std::string descr;
    if (plain) {
      descr = "'" + std::string(npy_descr(s_.columns[0].type)) + "'";
    } else {
      descr = "[";
      for (const auto& c : s_.columns) descr += "('" + c.name + "', '" + std::string(npy_descr(c.type)) + "'), ";
      descr += "]";
    }
    std::vector<uint64_t> shape;
    switch (s_.layout) {
      case table_layout::ragged: shape = {uint64_t(s_.offsets.back())}; break;
      case table_layout::dense:
        shape = s_.one_dimensional && s_.rows() == 1 ? std::vector<uint64_t>{uint64_t(s_.width)}
                                                     : std::vector<uint64_t>{s_.rows(), uint64_t(s_.width)};
        break;
      case table_layout::table: shape = {s_.n_rows}; break;
    }
    for (const auto& c : s_.columns) record_bytes_ += npy_itemsize(c.type);
    out_.write(npy_header(descr, shape));
  }

  // One path for every layout: the arrays are written as the schema laid them out.
  void append_ragged(const table_window& w) override { append_rows(w); }
  void append_dense(const table_window& w) override { append_rows(w); }
  void append_table(const table_window& w) override { append_rows(w); }

  void append_rows(const table_window& w) {
    const size_t n = size_t(s_.elements(w.row0, w.nrows)), nc = w.columns.size();
    if (nc == 1) {
      out_.write(w.columns[0], n * record_bytes_);
      return;
    }
    bool words = true;
    for (const auto& c : s_.columns) words = words && npy_itemsize(c.type) == 4;
    if (words) {
      // Interleave the fields pixel by pixel: 4-byte words, contiguous stores, on TBB threads
      // (a byte-wise memcpy per field was 4x slower than the whole read).
      records_.resize(n * nc * 4);
      auto* out = reinterpret_cast<uint32_t*>(records_.data());
      std::vector<const uint32_t*> src(nc);
      for (size_t k = 0; k < nc; ++k) src[k] = static_cast<const uint32_t*>(w.columns[k]);
      tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 1 << 14), [&](const tbb::blocked_range<size_t>& r) {
        for (size_t p = r.begin(); p != r.end(); ++p)
          for (size_t k = 0; k < nc; ++k) out[p * nc + k] = src[k][p];
      });
    } else {
      records_.resize(n * record_bytes_);
      for (size_t p = 0, at = 0; p < n; ++p) {
        for (size_t k = 0; k < nc; ++k) {
          const size_t b = npy_itemsize(s_.columns[k].type);
          std::memcpy(&records_[at], static_cast<const char*>(w.columns[k]) + p * b, b);
          at += b;
        }
      }
    }
    out_.write(records_.data(), records_.size());
  }

  void finish() override {
    check_complete();
    out_.close();
  }

 private:
  table_schema s_;
  byte_output out_;
  size_t record_bytes_ = 0;
  std::vector<char> records_;
};

}  // namespace

std::unique_ptr<table_sink> begin_npy(table_schema schema, output_target target) {
  return std::make_unique<npy_sink>(std::move(schema), std::move(target));
}

}  // namespace specmill
