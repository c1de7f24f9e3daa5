// Ingest throughput (spectra/s, bytes/s) on synthetic SDSS spec-lite files, against its floor in
// the same run: reading the same files' bytes (what `cat > /dev/null` does), and reading and
// decoding them without storing (the FITS reader alone). Peak RSS is reported as a counter.
//   SPECMILL_BENCH_FILES (default 10000)  SPECMILL_BENCH_DIR (default /tmp/specmill-bench)
// The sample is generated once (seed 42) and reused; the page cache is warm after the first pass.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "engine/ingest/ingest.hpp"
#include "engine/ingest/input_files.hpp"
#include "engine/sample/sample_data.hpp"
#include "io/fits/sdss_spec_reader.hpp"

namespace fs = std::filesystem;
using namespace specmill;

namespace {

struct bench_sample {
  fs::path dir;
  std::vector<fs::path> files;
  uint64_t bytes = 0;
};

const bench_sample& sample() {
  static const bench_sample s = [] {
    bench_sample b;
    const char* n_env = std::getenv("SPECMILL_BENCH_FILES");
    const char* d_env = std::getenv("SPECMILL_BENCH_DIR");
    const size_t n = n_env ? std::stoul(n_env) : 10000;
    const fs::path root = d_env ? fs::path(d_env) : fs::temp_directory_path() / "specmill-bench";
    b.dir = root / ("sample-" + std::to_string(n));
    if (!fs::exists(b.dir / "specObj-sample.fits")) {
      fs::remove_all(b.dir);
      sample_options o;
      o.out = b.dir;
      o.count = n;
      o.seed = 42;
      write_sample_data(o);
    }
    input_files in({b.dir.string()});
    while (auto p = in.next()) {
      b.bytes += fs::file_size(*p);
      b.files.push_back(*p);
    }
    return b;
  }();
  return s;
}

void report(benchmark::State& state, const bench_sample& s) {
  state.SetItemsProcessed(int64_t(state.iterations() * s.files.size()));
  state.SetBytesProcessed(int64_t(state.iterations() * s.bytes));
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_MiB"] = double(ru.ru_maxrss) / 1024.0;
  state.counters["files"] = double(s.files.size());
}

// Floor: the raw bytes of every file, read as `cat` would.
void BM_FloorReadBytes(benchmark::State& state) {
  const auto& s = sample();
  std::vector<char> buf(1 << 20);
  for (auto _ : state) {
    for (const auto& f : s.files) {
      const int fd = ::open(f.c_str(), O_RDONLY);
      while (::read(fd, buf.data(), buf.size()) > 0) {
      }
      ::close(fd);
    }
  }
  report(state, s);
}

// The FITS reader alone, one thread: what decoding costs per file.
void BM_ReadSpectraOneThread(benchmark::State& state) {
  const auto& s = sample();
  for (auto _ : state)
    for (const auto& f : s.files) benchmark::DoNotOptimize(read_sdss_spectrum(f));
  report(state, s);
}

// The whole ingest into a fresh store: parallel read, pack, HDF5 write, catalog commit.
void BM_Ingest(benchmark::State& state) {
  const auto& s = sample();
  const fs::path store = s.dir.parent_path() / "store";
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(store);
    state.ResumeTiming();
    ingest_options o;
    o.store = store;
    o.inputs = {s.dir.string()};
    o.jobs = unsigned(state.range(0));
    o.progress = false;
    const auto sum = ingest(o);
    if (sum.ingested != s.files.size()) state.SkipWithError("not every file was ingested");
  }
  report(state, s);
  fs::remove_all(store);
}

}  // namespace

BENCHMARK(BM_FloorReadBytes)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_ReadSpectraOneThread)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_Ingest)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

BENCHMARK_MAIN();
