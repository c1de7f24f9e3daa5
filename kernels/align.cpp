// align on both backends: the CPU loop places each row with memcpy; the device runs
// align_element_op through the launch shell (align.cu instantiates it).
#include "kernels/align.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/launch/for_each.hpp"

namespace specmill {
namespace {

void align_rows_cpu(const ragged_rows& rows, const void* src, int32_t out_start, size_t out_width, void* dst) {
  const align_span_op op{out_start, int64_t(out_width)};
  const auto* in = static_cast<const char*>(src);
  auto* out = static_cast<char*>(dst);
  // A row is ~20 KB: a few per task keep TBB's overhead negligible.
  tbb::parallel_for(tbb::blocked_range<size_t>(0, rows.n_rows, 8), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i != r.end(); ++i) {
      const align_span s = op(rows.lattice_start[i], rows.offsets[i + 1] - rows.offsets[i]);
      char* row = out + i * out_width * 4;
      zero_row_padding(s, out_width, row);
      std::memcpy(row + s.dst_begin * 4, in + (rows.offsets[i] + s.src_begin) * 4, size_t(s.size()) * 4);
    }
  });
}

void align_rows_cuda_staged(const ragged_rows& rows, const void* src, int32_t out_start, size_t out_width, void* dst) {
  require_cuda_compiled();
  if (rows.n_rows == 0) return;
  const int64_t first = rows.offsets[0], pixels = rows.offsets[rows.n_rows] - first;
  std::vector<int64_t> offsets(rows.offsets, rows.offsets + rows.n_rows + 1);
  for (auto& o : offsets) o -= first;  // the staged copy starts at the first row's pixel
  device_buffer d_offsets(offsets.size() * 8), d_starts(rows.n_rows * 4), d_src(size_t(pixels) * 4 + 4),
      d_dst(rows.n_rows * out_width * 4 + 4);
  d_offsets.copy_from_host(offsets.data(), offsets.size() * 8);
  d_starts.copy_from_host(rows.lattice_start, rows.n_rows * 4);
  d_src.copy_from_host(static_cast<const char*>(src) + first * 4, size_t(pixels) * 4);
  const ragged_rows d_rows{rows.n_rows, d_offsets.data<int64_t>(), d_starts.data<int32_t>()};
  align_rows_device(d_rows, d_src.data(), out_start, out_width, d_dst.data());
  d_dst.copy_to_host(dst, rows.n_rows * out_width * 4);
}

}  // namespace

void zero_row_padding(const align_span& s, size_t out_width, void* row) {
  auto* r = static_cast<char*>(row);
  std::memset(r, 0, size_t(s.dst_begin) * 4);
  std::memset(r + s.dst_end * 4, 0, (out_width - size_t(s.dst_end)) * 4);
}

void align_rows(backend b, const ragged_rows& rows, const void* src, int32_t out_start, size_t out_width, void* dst) {
  SPECMILL_EXPECTS(rows.n_rows == 0 || (rows.offsets && rows.lattice_start), "align_rows: null row description");
  if (b == backend::cuda)
    align_rows_cuda_staged(rows, src, out_start, out_width, dst);
  else
    align_rows_cpu(rows, src, out_start, out_width, dst);
}

void align_rows_device(const ragged_rows& rows, const void* src, int32_t out_start, size_t out_width, void* dst,
                       cuda_stream_view stream) {
  const detail::align_element_op op{rows, static_cast<const uint32_t*>(src), align_span_op{out_start, int64_t(out_width)},
                                    static_cast<uint32_t*>(dst)};
  for_each_index(backend::cuda, rows.n_rows * out_width, op, stream);
}

}  // namespace specmill
