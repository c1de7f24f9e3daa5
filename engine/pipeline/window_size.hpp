#pragma once
// The default size of one column of one list window: how many spectra the engine holds at once.
//
// 8 MiB (about 450 SDSS spectra a column). Each job allocates its window buffers once and
// touches every page of them: at 64 MiB a column (the earlier default) a 10,000-spectrum
// `get --resample` spent a third of its CPU clearing fresh pages and 1.2 GB of RSS on buffers
// as large as its data; at 8 MiB the same job took 40% less CPU and 0.7 GB (bench/RESULTS.md).
// Per-window costs (a task dispatch, a sink write, a stream synchronisation) stay well under a
// millisecond against ~10 ms of pixels. The REST service sets its own (job_window_bytes).
#include <cstddef>

namespace specmill {

inline constexpr size_t default_window_bytes = size_t(8) << 20;

}  // namespace specmill
