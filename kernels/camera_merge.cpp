// camera_merge on both backends through the launch shell; camera_merge.cu instantiates the CUDA
// half of the loop.
#include "kernels/camera_merge.hpp"

#include <vector>

#include "core/error.hpp"
#include "kernels/camera_checks.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/launch/for_each.hpp"

namespace specmill {
namespace {

constexpr size_t grain_pixels = 8 * 1024;

camera_merge_op make_op(const camera_images* cameras, int n_cameras, int64_t out_start, int64_t out_npix,
                        float* flux, float* ivar, uint32_t* mask) {
  detail::check_cameras("camera_merge", cameras, n_cameras, camera_merge_max_cameras, out_npix);
  camera_merge_op op;
  for (int c = 0; c < n_cameras; ++c) op.cam[c] = cameras[c];
  op.n_cameras = n_cameras;
  op.out_start = out_start;
  op.out_npix = out_npix;
  op.flux = flux;
  op.ivar = ivar;
  op.mask = mask;
  return op;
}

// Copies each camera to the device once, merges there, copies the three outputs back.
void merge_staged(camera_merge_op op, size_t n_spectra) {
  require_cuda_compiled();
  const size_t n_out = n_spectra * size_t(op.out_npix);
  if (n_out == 0) return;
  std::vector<device_buffer> inputs;
  inputs.reserve(size_t(op.n_cameras) * 3);
  for (int c = 0; c < op.n_cameras; ++c) {
    camera_images& k = op.cam[c];
    const size_t n = n_spectra * size_t(k.npix);
    auto stage = [&](const auto* host) {
      using T = std::remove_cv_t<std::remove_pointer_t<decltype(host)>>;
      device_buffer& d = inputs.emplace_back(n * sizeof(T) + 1);  // +1: never a zero-byte buffer
      if (n) d.copy_from_host(host, n * sizeof(T));
      return d.data<T>();
    };
    k.flux = stage(k.flux);
    k.ivar = stage(k.ivar);
    k.mask = stage(k.mask);
  }
  device_buffer flux(n_out * sizeof(float)), ivar(n_out * sizeof(float)), mask(n_out * sizeof(uint32_t));
  float* host_flux = op.flux;
  float* host_ivar = op.ivar;
  uint32_t* host_mask = op.mask;
  op.flux = flux.data<float>();
  op.ivar = ivar.data<float>();
  op.mask = mask.data<uint32_t>();
  camera_merge_device(op, n_spectra);
  flux.copy_to_host(host_flux, n_out * sizeof(float));  // synchronous: waits for the kernel
  ivar.copy_to_host(host_ivar, n_out * sizeof(float));
  mask.copy_to_host(host_mask, n_out * sizeof(uint32_t));
}

}  // namespace

void camera_merge(backend b, const camera_images* cameras, int n_cameras, size_t n_spectra, int64_t out_start,
                  int64_t out_npix, float* out_flux, float* out_ivar, uint32_t* out_mask) {
  const camera_merge_op op = make_op(cameras, n_cameras, out_start, out_npix, out_flux, out_ivar, out_mask);
  if (b == backend::cuda)
    merge_staged(op, n_spectra);
  else
    for_each_index_host(n_spectra * size_t(out_npix), op, grain_pixels);
}

void camera_merge_device(const camera_merge_op& op, size_t n_spectra, cuda_stream_view stream) {
  for_each_index(backend::cuda, n_spectra * size_t(op.out_npix), op, stream);
}

}  // namespace specmill
