// calibrate on both backends through the launch shell; calibrate.cu instantiates its CUDA half.
#include "kernels/calibrate.hpp"

#include <span>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/launch/for_each.hpp"

namespace specmill {
namespace {

// A spectrum's fit and application is a few thousand pixels x a few bands: a handful a task.
constexpr size_t grain_spectra = 8;

void check(const photometry_input& in, size_t n_bands, const native_grid& grid, const calibrate_params& p) {
  SPECMILL_EXPECTS(n_bands <= size_t(calibrate_max_bands),
                   "calibrate: at most " + std::to_string(calibrate_max_bands) + " bands");
  SPECMILL_EXPECTS(p.degree <= 2, "calibrate: degree must be 0, 1 or 2 (or -1: as the bands allow)");
  SPECMILL_EXPECTS(grid.is_log_lattice(), "calibrate: the band weights need a log10 lattice");
  SPECMILL_EXPECTS(in.ends == nullptr, "calibrate: takes CSR input (ends must be null)");
}

template <class T>
device_buffer upload(const T* host, size_t n) {
  return device_buffer::from_host(std::span<const T>(host, n));
}

void calibrate_cuda_staged(const photometry_input& in, const band_tables& bands, const native_grid& grid,
                           const calibrate_targets& targets, const calibrate_params& params,
                           const calibrate_output& out) {
  require_cuda_compiled();
  if (in.n_spectra == 0) return;
  const size_t n = in.n_spectra, npix = size_t(in.offsets[n]), nt = n * bands.size();
  device_buffer offsets = upload(in.offsets, n + 1), starts = upload(in.lattice_start, n);
  device_buffer flux = upload(in.flux, npix), ivar = upload(in.ivar, npix);
  device_buffer mask = params.photometry.and_mask_bits ? upload(in.and_mask, npix) : device_buffer();
  device_buffer b_offsets = upload(bands.offsets().data(), bands.offsets().size());
  device_buffer b_starts = upload(bands.lattice_starts().data(), bands.size());
  device_buffer b_flux = upload(bands.flux_weights().data(), bands.flux_weights().size());
  device_buffer b_norm = upload(bands.norm_weights().data(), bands.norm_weights().size());
  device_buffer b_total = upload(bands.norm_totals().data(), bands.size());
  device_buffer t_val = upload(targets.nanomaggies, nt);
  device_buffer t_err = targets.err ? upload(targets.err, nt) : device_buffer();
  device_buffer o_flux(npix * sizeof(float)), o_ivar(npix * sizeof(float));
  device_buffer o_coef(n * calibrate_max_terms * sizeof(double)), o_used(n * sizeof(int32_t)),
      o_status(n * sizeof(int32_t));

  photometry_input d_in = in;
  d_in.offsets = offsets.data<int64_t>();
  d_in.lattice_start = starts.data<int32_t>();
  d_in.flux = flux.data<float>();
  d_in.ivar = ivar.data<float>();
  d_in.and_mask = params.photometry.and_mask_bits ? mask.data<int32_t>() : nullptr;
  band_table_view d_bands{bands.size(),         b_offsets.data<int64_t>(), b_starts.data<int32_t>(),
                          b_flux.data<double>(), b_norm.data<double>(),    b_total.data<double>()};
  const calibrate_targets d_targets{t_val.data<double>(), targets.err ? t_err.data<double>() : nullptr};
  const calibrate_output d_out{o_flux.data<float>(), o_ivar.data<float>(), o_coef.data<double>(),
                               o_used.data<int32_t>(), o_status.data<int32_t>()};
  calibrate_spectra_device(d_in, d_bands, grid, d_targets, params, d_out);
  // Synchronous copies on the default stream: they wait for the kernel.
  o_flux.copy_to_host(out.flux, npix * sizeof(float));
  o_ivar.copy_to_host(out.ivar, npix * sizeof(float));
  o_coef.copy_to_host(out.coefficients, n * calibrate_max_terms * sizeof(double));
  o_used.copy_to_host(out.bands_used, n * sizeof(int32_t));
  o_status.copy_to_host(out.status, n * sizeof(int32_t));
}

}  // namespace

void calibrate_spectra(backend b, const photometry_input& in, const band_tables& bands, const native_grid& grid,
                       const calibrate_targets& targets, const calibrate_params& params, const calibrate_output& out) {
  check(in, bands.size(), grid, params);
  if (b == backend::cuda) {
    calibrate_cuda_staged(in, bands, grid, targets, params, out);
    return;
  }
  for_each_index_host(in.n_spectra, detail::calibrate_spectrum_op{in, bands.view(), grid, targets, params, out},
                      grain_spectra);
}

void calibrate_spectra_device(const photometry_input& in, const band_table_view& bands, const native_grid& grid,
                              const calibrate_targets& targets, const calibrate_params& params,
                              const calibrate_output& out, cuda_stream_view stream) {
  check(in, bands.n_bands, grid, params);
  for_each_index(backend::cuda, in.n_spectra, detail::calibrate_spectrum_op{in, bands, grid, targets, params, out},
                 stream);
}

}  // namespace specmill
