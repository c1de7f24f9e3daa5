// DESI ingest throughput (targets/s, bytes/s) on a synthetic DR1 sample, against its floors in
// the same run: reading the files' bytes (what `cat > /dev/null` does), and the raw read of the
// same files with desi_coadd_reader (every camera's flux, ivar and mask, in the 64-target windows
// ingest uses, no merge, nothing stored).
//   SPECMILL_BENCH_DESI_TARGETS (default 300)  SPECMILL_BENCH_DIR (default /tmp/specmill-bench)
// The sample (seed 42) is generated once and reused; the page cache is warm after the first pass.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "engine/ingest/ingest.hpp"
#include "engine/ingest/input_files.hpp"
#include "engine/sample/sample_desi.hpp"
#include "io/fits/desi_coadd_reader.hpp"

namespace fs = std::filesystem;
using namespace specmill;

namespace {

struct bench_sample {
  fs::path dir;
  std::vector<fs::path> files;
  uint64_t bytes = 0;
  size_t spectra = 0;
};

const bench_sample& sample() {
  static const bench_sample s = [] {
    bench_sample b;
    const char* n_env = std::getenv("SPECMILL_BENCH_DESI_TARGETS");
    const char* d_env = std::getenv("SPECMILL_BENCH_DIR");
    const size_t n = n_env ? std::stoul(n_env) : 300;
    const fs::path root = d_env ? fs::path(d_env) : fs::temp_directory_path() / "specmill-bench";
    b.dir = root / ("desi-sample-" + std::to_string(n));
    if (!fs::exists(b.dir / "zpix-sample.fits")) {
      fs::remove_all(b.dir);
      desi_sample_options o;
      o.out = b.dir;
      o.count = n;
      o.seed = 42;
      o.resolution = false;
      write_desi_sample(o);
    }
    input_files in({(b.dir / "healpix").string()});
    while (auto p = in.next()) {
      b.bytes += fs::file_size(*p);
      b.files.push_back(*p);
      b.spectra += desi_coadd_reader(*p).n_targets();
    }
    return b;
  }();
  return s;
}

void report(benchmark::State& state, const bench_sample& s) {
  state.SetItemsProcessed(int64_t(state.iterations() * s.spectra));
  state.SetBytesProcessed(int64_t(state.iterations() * s.bytes));
}

// Floor 1: the bytes alone.
void BM_desi_read_bytes(benchmark::State& state) {
  const auto& s = sample();
  std::vector<char> buf(1 << 20);
  for (auto _ : state) {
    for (const auto& p : s.files) {
      const int fd = ::open(p.c_str(), O_RDONLY);
      while (::read(fd, buf.data(), buf.size()) > 0) {
      }
      ::close(fd);
    }
  }
  report(state, s);
}

// Floor 2: the raw read of every camera array, as ingest reads them.
void BM_desi_raw_read(benchmark::State& state) {
  const auto& s = sample();
  for (auto _ : state) {
    for (const auto& p : s.files) {
      desi_coadd_reader r(p);
      for (size_t first = 0; first < r.n_targets(); first += 64) {
        auto w = r.read(first, std::min<size_t>(64, r.n_targets() - first));
        benchmark::DoNotOptimize(w.cameras[2].mask.data());
      }
    }
  }
  report(state, s);
}

// Ingest into a fresh store: read, merge b/r/z, write the HDF5 blocks, commit catalog rows.
void BM_desi_ingest(benchmark::State& state) {
  const auto& s = sample();
  const fs::path store = s.dir.parent_path() / "desi-bench-store";
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(store);
    state.ResumeTiming();
    ingest_options o;
    o.store = store;
    o.inputs = {(s.dir / "healpix").string()};
    o.catalog = s.dir / "zpix-sample.fits";
    o.progress = false;
    const auto sum = ingest(o);
    if (sum.ingested != s.spectra) state.SkipWithError("not every spectrum was ingested");
  }
  report(state, s);
}

}  // namespace

BENCHMARK(BM_desi_read_bytes)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_desi_raw_read)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_desi_ingest)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK_MAIN();
