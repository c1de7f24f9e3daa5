// CUDA half of calibrate: the launch shell's kernel for the per-spectrum op (calibrate.hpp), one
// thread a spectrum (its bands' sums, the small solve and its pixels). A million spectra are
// a million threads; a block per spectrum (as photometry's) would pay off only for far longer
// spectra than SDSS or DESI have.
#include "kernels/calibrate.hpp"
#include "kernels/launch/for_each.cuh"

SPECMILL_INSTANTIATE_FOR_EACH(specmill::detail::calibrate_spectrum_op);
