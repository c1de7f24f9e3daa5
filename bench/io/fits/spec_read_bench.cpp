// read_sdss_spectrum throughput on the real SDSS files (lite and full separately), against
// two floors measured in the same run: POSIX open/read/close of the same files, and a memcpy
// of the same bytes. Files are in the page cache after the first pass, so this measures the
// CPU cost of parsing, which is what bounds ingest on a warm cache or fast NVMe.
//   SPECMILL_SHARED_DATA=/path/to/shared/data bench_spec_read
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/fits/sdss_spec_reader.hpp"

namespace {

namespace fs = std::filesystem;

fs::path shared_data() {
  if (const char* env = std::getenv("SPECMILL_SHARED_DATA")) return env;
  // Same convention as CMake's SPECMILL_SHARED_DATA: ../shared/data beside the checkout.
  return fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "shared" / "data";
}

struct file_set {
  std::vector<fs::path> files;
  int64_t bytes = 0;
};

// Lite files have exactly 4 HDUs; the full ones add one HDU per exposure (README §2.1).
const file_set& files(bool lite) {
  static const auto sets = [] {
    std::pair<file_set, file_set> s;
    const char* lite_stems[] = {"0266-51602-0013", "3655-55240-0002", "3657-55244-0552", "9367-57758-0538",
                                "10656-58163-0366"};
    const char* full_stems[] = {"0332-52367-0639", "1325-52762-0133", "3586-55181-0500", "6717-56397-0534",
                                "7339-57544-0733"};
    for (const char* stem : lite_stems) s.first.files.push_back(shared_data() / "spectra" / ("spec-" + std::string(stem) + ".fits"));
    for (const char* stem : full_stems) s.second.files.push_back(shared_data() / "spectra" / ("spec-" + std::string(stem) + ".fits"));
    for (auto* set : {&s.first, &s.second}) {
      for (const auto& f : set->files) set->bytes += int64_t(fs::file_size(f));
    }
    return s;
  }();
  return lite ? sets.first : sets.second;
}

// CFITSIO shares one internal FITSfile between concurrent opens of the same path, which is
// not safe across threads; ingest reads distinct files, so each benchmark thread gets its own
// copies (made once, outside the timed loop).
const std::vector<fs::path>& thread_copies(bool lite, int thread) {
  static std::mutex mutex;
  static std::map<std::pair<bool, int>, std::vector<fs::path>> copies;
  std::lock_guard lock(mutex);
  auto& out = copies[{lite, thread}];
  if (out.empty()) {
    const auto dir = fs::temp_directory_path() /
                     ("specmill-bench-" + std::to_string(::getpid()) + "-" + std::to_string(thread));
    fs::create_directories(dir);
    for (const auto& f : files(lite).files) {
      out.push_back(dir / f.filename());
      fs::copy_file(f, out.back(), fs::copy_options::overwrite_existing);
    }
  }
  return out;
}

void remove_thread_copies() {
  for (int thread = 0; thread < 64; ++thread) {
    std::error_code ec;
    fs::remove_all(fs::temp_directory_path() /
                       ("specmill-bench-" + std::to_string(::getpid()) + "-" + std::to_string(thread)),
                   ec);
  }
}

void read_spectra(benchmark::State& state, bool lite) {
  const file_set& set = files(lite);
  const auto& paths = state.threads() > 1 ? thread_copies(lite, state.thread_index()) : set.files;
  size_t pixels = 0;
  for (auto _ : state) {
    for (const auto& f : paths) {
      auto s = specmill::read_sdss_spectrum(f);
      pixels += s.data.npix();
      benchmark::DoNotOptimize(s);
    }
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(set.files.size()));
  state.SetBytesProcessed(int64_t(state.iterations()) * set.bytes);
  state.counters["pixels"] = double(pixels);
}

// The floor: the same files' bytes through open/read/close, no parsing.
void posix_read(benchmark::State& state, bool lite) {
  const file_set& set = files(lite);
  std::vector<char> buffer(4 << 20);
  for (auto _ : state) {
    for (const auto& f : set.files) {
      const int fd = ::open(f.c_str(), O_RDONLY);
      if (fd < 0) throw std::runtime_error("cannot open " + f.string());
      ssize_t n = 0;
      while ((n = ::read(fd, buffer.data(), buffer.size())) > 0) benchmark::DoNotOptimize(buffer.data());
      ::close(fd);
    }
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(set.files.size()));
  state.SetBytesProcessed(int64_t(state.iterations()) * set.bytes);
}

// The floor STYLE.md asks for: a memcpy of the same number of bytes.
void memcpy_bytes(benchmark::State& state, bool lite) {
  const file_set& set = files(lite);
  std::vector<char> from(size_t(set.bytes), 1), to(size_t(set.bytes));
  for (auto _ : state) {
    std::memcpy(to.data(), from.data(), from.size());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(set.files.size()));
  state.SetBytesProcessed(int64_t(state.iterations()) * set.bytes);
}

void BM_read_sdss_spectrum_lite(benchmark::State& s) { read_spectra(s, true); }
void BM_read_sdss_spectrum_full(benchmark::State& s) { read_spectra(s, false); }
void BM_floor_posix_read_lite(benchmark::State& s) { posix_read(s, true); }
void BM_floor_posix_read_full(benchmark::State& s) { posix_read(s, false); }
void BM_floor_memcpy_lite(benchmark::State& s) { memcpy_bytes(s, true); }
void BM_floor_memcpy_full(benchmark::State& s) { memcpy_bytes(s, false); }

// Real time with 1 and 2 threads: ingest's target is 5,000 spectra/s on 2 cores.
BENCHMARK(BM_read_sdss_spectrum_lite)->UseRealTime()->Threads(1)->Threads(2);
BENCHMARK(BM_read_sdss_spectrum_full)->UseRealTime()->Threads(1)->Threads(2);
BENCHMARK(BM_floor_posix_read_lite)->UseRealTime();
BENCHMARK(BM_floor_posix_read_full)->UseRealTime();
BENCHMARK(BM_floor_memcpy_lite)->UseRealTime();
BENCHMARK(BM_floor_memcpy_full)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  std::printf("data: %s\n", shared_data().c_str());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  remove_thread_copies();
  return 0;
}
