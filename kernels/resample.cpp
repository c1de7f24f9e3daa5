// resample on both backends, argument checks and the dispatch: the CPU loop (with edge tables)
// here; the device runs resample_index_op through the launch shell (resample.cu instantiates it).
#include "kernels/resample.hpp"

#include <tbb/blocked_range2d.h>
#include <tbb/parallel_for.h>

#include <limits>
#include <vector>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/launch/for_each.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {
namespace {

// A task is one row's run of this many target pixels: several microseconds of work, enough to
// amortise scheduling, small enough that one long spectrum still spreads over every core.
constexpr int64_t grain_pixels = 1024;

// Rest-frame input edges (lattice edge / (1+z), a division each) computed once per row and run
// of target pixels instead of once or twice per target pixel that reads them; an edge outside
// the run is computed on the spot. The same expression either way: the same bits.
struct cached_edges {
  resample_pixel_op::computed_edges on_the_spot;
  const double* run;  // run[j - lo] == on_the_spot(j) for j in [lo, hi]
  int64_t lo, hi;
  double operator()(int64_t j) const { return j >= lo && j <= hi ? run[j - lo] : on_the_spot(j); }
};

// The edges target columns [k0, k1) of a row read: from the pixel under edge k0 to the one past
// the pixel under edge k1 (pixel() clamps the same way), or none where those are not finite.
cached_edges edges_of_columns(const resample_pixel_op& op, double shift, double scale, int64_t k0, int64_t k1,
                              std::vector<double>& run) {
  const resample_pixel_op::computed_edges on_the_spot{&op, shift, scale};
  const double u0 = op.input_pixel_under(k0, shift, scale), u1 = op.input_pixel_under(k1, shift, scale);
  const double width = double(op.in.width);
  if (!(u0 <= u1) || !(u1 >= 0) || !(u0 <= width)) return {on_the_spot, nullptr, 0, -1};  // NaN, or off the row
  const auto lo = int64_t(u0 < 0 ? 0 : u0), hi = int64_t(u1 + 1 > width ? width : u1 + 1);
  run.resize(size_t(hi - lo + 1));
  for (int64_t j = lo; j <= hi; ++j) run[size_t(j - lo)] = on_the_spot(j);
  return {on_the_spot, run.data(), lo, hi};
}

void resample_cpu(const resample_pixel_op& untabled) {
  // The edges once (detail::resample_edge_table_op), then every pixel reads them.
  std::vector<double> tables;
  detail::resample_edge_table_op fill{untabled, nullptr};
  tables.resize(fill.size());
  fill.tables = tables.data();
  for_each_index_host(fill.indices(), fill, size_t(grain_pixels));
  const resample_pixel_op op = fill.attach();
  using range = tbb::blocked_range2d<size_t, int64_t>;
  tbb::parallel_for(range(0, op.in.n_spectra, 1, 0, op.n_out, grain_pixels), [&op](const range& r) {
    std::vector<double> run;
    for (size_t row = r.rows().begin(); row != r.rows().end(); ++row) {
      const double shift = op.row_shift(row), scale = op.row_scale(row, shift);
      const resample_pixel_op::computed_edges on_the_spot{&op, shift, scale};
      if (scale == 1.0) {  // the lattice edge table as it is: nothing to compute per edge
        for (int64_t k = r.cols().begin(); k != r.cols().end(); ++k) op.pixel(row, k, shift, scale, on_the_spot);
        continue;
      }
      const cached_edges edges = edges_of_columns(op, shift, scale, r.cols().begin(), r.cols().end(), run);
      for (int64_t k = r.cols().begin(); k != r.cols().end(); ++k) op.pixel(row, k, shift, scale, edges);
    }
  });
}

// One device buffer holding a copy of `n` host elements (nothing when the host array is absent).
template <class T>
device_buffer stage_in(const T* host, size_t n) {
  if (!host || n == 0) return {};
  device_buffer buf(n * sizeof(T));
  buf.copy_from_host(host, buf.size());
  return buf;
}

template <class T>
device_buffer stage_out(const T* host, size_t n) {
  return host && n > 0 ? device_buffer(n * sizeof(T)) : device_buffer{};
}

template <class T>
void copy_back(const device_buffer& buf, T* host) {
  if (host && !buf.empty()) buf.copy_to_host(host, buf.size());  // synchronous: waits for the kernel
}

void resample_cuda_staged(const lattice_batch& in, const wavelength_grid& grid, int64_t first, int64_t count,
                          int32_t mask_bits, const resampled_batch& out) {
  require_cuda_compiled();
  const resample_pixel_op op = detail::make_resample_op(in, grid, first, count, mask_bits, out);
  const size_t n_in = in.n_spectra * in.width, n_out = in.n_spectra * size_t(op.n_out);
  if (n_out == 0) return;
  const device_buffer flux = stage_in(in.flux, n_in), ivar = stage_in(in.ivar, n_in),
                      mask = stage_in(in.and_mask, n_in), shift = stage_in(in.log10_1pz, in.n_spectra);
  device_buffer out_flux = stage_out(out.flux, n_out), out_ivar = stage_out(out.ivar, n_out),
                out_mask = stage_out(out.and_mask, n_out), out_coverage = stage_out(out.coverage, n_out);
  lattice_batch d_in = in;
  d_in.flux = flux.data<float>();
  d_in.ivar = ivar.data<float>();
  d_in.and_mask = mask.data<int32_t>();
  d_in.log10_1pz = shift.data<double>();
  const resampled_batch d_out{out_flux.data<float>(), out_ivar.data<float>(), out_mask.data<int32_t>(),
                              out_coverage.data<float>()};
  resample_range_device(d_in, grid, first, op.n_out, mask_bits, d_out);  // legacy default stream: ordered with the copies
  copy_back(out_flux, out.flux);
  copy_back(out_ivar, out.ivar);
  copy_back(out_mask, out.and_mask);
  copy_back(out_coverage, out.coverage);
}

}  // namespace

namespace detail {

resample_pixel_op make_resample_op(const lattice_batch& in, const wavelength_grid& grid,
                                   int32_t mask_bits, const resampled_batch& out) {
  return make_resample_op(in, grid, 0, -1, mask_bits, out);
}

resample_pixel_op make_resample_op(const lattice_batch& in, const wavelength_grid& grid, int64_t first,
                                   int64_t count, int32_t mask_bits, const resampled_batch& out) {
  check_wavelength_grid(grid);
  SPECMILL_EXPECTS(in.grid.is_lattice(), "resample: the input must be on a log10 or linear lattice, not " + to_string(in.grid));
  const int64_t size = grid.size();
  if (count < 0) count = size - first;
  SPECMILL_EXPECTS(first >= 0 && first <= size && count >= 0 && count <= size - first,
                   "resample: pixel range outside the grid");
  const int64_t n_out = count;
  SPECMILL_EXPECTS(in.n_spectra == 0 || in.width == 0 || (in.flux && in.ivar),
                   "resample: input flux and ivar are required");
  // The kernels index rows as row * width and row * n_out in size_t.
  constexpr size_t max = std::numeric_limits<size_t>::max();
  SPECMILL_EXPECTS(in.width == 0 || in.n_spectra <= max / in.width, "resample: input too large");
  SPECMILL_EXPECTS(n_out == 0 || in.n_spectra <= max / size_t(n_out), "resample: output too large");
  resample_pixel_op op{in, grid, n_out, mask_bits, out};
  op.first = first;
  return op;
}

}  // namespace detail

void resample(backend b, const lattice_batch& in, const wavelength_grid& grid, int32_t mask_bits,
              const resampled_batch& out) {
  resample_range(b, in, grid, 0, -1, mask_bits, out);
}

void resample_range(backend b, const lattice_batch& in, const wavelength_grid& grid, int64_t first, int64_t count,
                    int32_t mask_bits, const resampled_batch& out) {
  if (b == backend::cuda) {
    resample_cuda_staged(in, grid, first, count, mask_bits, out);
    return;
  }
  const resample_pixel_op op = detail::make_resample_op(in, grid, first, count, mask_bits, out);
  if (in.n_spectra > 0 && op.n_out > 0) resample_cpu(op);
}

void resample_device(const lattice_batch& in, const wavelength_grid& grid, int32_t mask_bits,
                     const resampled_batch& out, cuda_stream_view stream) {
  resample_range_device(in, grid, 0, -1, mask_bits, out, stream);
}

void resample_range_device(const lattice_batch& in, const wavelength_grid& grid, int64_t first, int64_t count,
                           int32_t mask_bits, const resampled_batch& out, cuda_stream_view stream) {
  const resample_pixel_op op = detail::make_resample_op(in, grid, first, count, mask_bits, out);
#if defined(SPECMILL_WITH_CUDA)
  detail::resample_device_tabled(op, stream);  // cuda_error without a device (n > 0)
#else
  for_each_index(backend::cuda, in.n_spectra * size_t(op.n_out), detail::resample_index_op{op}, stream);  // throws
#endif
}

}  // namespace specmill
