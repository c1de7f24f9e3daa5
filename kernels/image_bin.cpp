// image_bin on both backends through the launch shell; image_bin.cu instantiates its CUDA half.
#include "kernels/image_bin.hpp"

#include "kernels/launch/for_each.hpp"

namespace specmill {
namespace {

// Grains: a copied pixel is a few instructions, a bin a few hundred (rows x columns of the bin).
constexpr size_t copy_grain = 16 * 1024;
constexpr size_t bin_grain = 16;

}  // namespace

void image_copy_rows(backend b, const image_window& w, const image_row_map& rows, float* pixels,
                     cuda_stream_view stream) {
  for_each_index(b, (w.last - w.first) * w.width, image_copy_op{w, rows, pixels}, stream, copy_grain);
}

void image_bin_rows(backend b, const image_window& w, const image_row_map& rows, const image_column_map& cols,
                    double* sums, uint32_t* counts, cuda_stream_view stream) {
  const image_bin_op op{w, rows, cols, sums, counts};
  for_each_index(b, op.size(), op, stream, bin_grain);
}

void image_bin_finish(backend b, const double* sums, const uint32_t* counts, float* pixels, size_t n,
                      cuda_stream_view stream) {
  for_each_index(b, n, image_bin_finish_op{sums, counts, pixels}, stream, copy_grain);
}

}  // namespace specmill
