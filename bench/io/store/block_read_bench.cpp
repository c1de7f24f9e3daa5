// bench_block_read: read and write throughput of block files for several chunk shapes, block
// sizes, chunk-cache sizes and deflate, against the floors of the same run (memcpy of the same
// bytes, raw pread of the same file). The numbers behind the defaults in block_file.hpp; the
// table and the reasoning are in docs/store-format.md.
//
// Files are written to a temporary directory and read back while still in the page cache: the
// read numbers are hot-cache numbers (HDF5 + copy cost), not disk numbers.
#include "io/store/block_file.hpp"
#include "io/store/hdf5_handle.hpp"

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

namespace specmill {
namespace {

namespace fs = std::filesystem;

constexpr int n_stored_columns = 7;  // loglam is rebuilt from the lattice

// A synthetic BOSS-like spectrum: smooth continuum plus Gaussian noise in flux, ivar from the
// noise with a few zeroed pixels, sparse mask bits, slowly varying wdisp, sky with lines and a
// smooth model. Full-mantissa noise in flux/ivar is what makes real coadds compress poorly.
sdss_spectrum synthetic_spectrum(std::mt19937& rng, uint64_t id) {
  std::uniform_int_distribution<int32_t> start(35500, 35800);
  std::uniform_int_distribution<int> len(3800, 4650);
  std::normal_distribution<float> noise(0.f, 1.f);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  sdss_spectrum s;
  s.meta.specobjid = id;
  s.meta.plate = 3000 + int32_t(id / 1000);
  s.meta.mjd = 55000;
  s.meta.fiberid = int32_t(id % 1000) + 1;
  coadd& c = s.data;
  c.lattice_start = start(rng);
  const size_t n = size_t(len(rng));
  const float level = 1.f + 40.f * u(rng), slope = u(rng) - 0.5f, sigma = 0.5f + 3.f * u(rng);
  c.flux.resize(n), c.ivar.resize(n), c.wdisp.resize(n), c.sky.resize(n), c.model.resize(n);
  c.and_mask.assign(n, 0), c.or_mask.assign(n, 0), c.loglam.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const float x = float(i) / float(n);
    const float cont = level * (1.f + slope * x) + 2.f * std::sin(20.f * x);
    const float sig = sigma * (1.f + 0.5f * x);
    c.model[i] = cont;
    c.flux[i] = cont + sig * noise(rng);
    c.ivar[i] = u(rng) < 0.01f ? 0.f : 1.f / (sig * sig) * (0.9f + 0.2f * u(rng));
    c.wdisp[i] = 1.1f + 0.3f * x + 0.001f * noise(rng);
    c.sky[i] = 5.f + 3.f * x + (u(rng) < 0.02f ? 50.f * u(rng) : 0.f) + 0.1f * noise(rng);
    if (u(rng) < 0.03f) c.and_mask[i] = 1 << (16 + int(u(rng) * 8));
    if (u(rng) < 0.08f) c.or_mask[i] = c.and_mask[i] | (1 << (16 + int(u(rng) * 12)));
    c.loglam[i] = lattice_loglam(c.lattice_start + int32_t(i));
  }
  return s;
}

struct shape {
  const char* name;
  block_layout layout;
};
// "row": chunk_pixels 8192 is wider than any block, so the writer clamps it to the whole row.
const shape shapes[] = {
    {"1xrow", {1, 8192, 0}},     {"4xrow", {4, 8192, 0}},      {"8x1024", {8, 1024, 0}},
    {"16x1024", {16, 1024, 0}},
    {"64x512", {64, 512, 0}},    {"256x256", {256, 256, 0}},   {"16x1024+deflate1", {16, 1024, 1}},
};

struct fixture {
  fs::path dir;
  std::vector<sdss_spectrum> spectra;  // default_block_spectra of them
  std::vector<fs::path> files;         // one per shape
};
fixture* fx = nullptr;

size_t stored_bytes(const block_reader& r) { return r.n_spectra() * r.n_pixels() * 4 * n_stored_columns; }
size_t spectrum_bytes(const block_reader& r, size_t row) { return size_t(r.rows()[row].npix) * 4 * n_stored_columns; }

void random_spectrum(benchmark::State& st, fs::path file, size_t cache) {
  block_reader r(file, cache);
  std::mt19937 rng(1);
  std::uniform_int_distribution<size_t> pick(0, r.n_spectra() - 1);
  size_t bytes = 0;
  for (auto _ : st) {
    const size_t row = pick(rng);
    benchmark::DoNotOptimize(r.read_spectrum(row));
    bytes += spectrum_bytes(r, row);
  }
  st.SetItemsProcessed(int64_t(st.iterations()));
  st.SetBytesProcessed(int64_t(bytes));
}

void subset_10pct(benchmark::State& st, fs::path file, size_t cache) {
  block_reader r(file, cache);
  std::mt19937 rng(2);
  std::vector<uint32_t> all(r.n_spectra());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  std::shuffle(all.begin(), all.end(), rng);
  std::vector<uint32_t> rows(all.begin(), all.begin() + std::max<size_t>(1, all.size() / 10));
  std::sort(rows.begin(), rows.end());
  std::vector<float> buf(rows.size() * r.n_pixels());
  for (auto _ : st) {
    for (int c = 0; c < n_columns; ++c) {
      if (column(c) == column::loglam) continue;
      r.read_rows(column(c), rows, 0, r.n_pixels(), buf.data());
      benchmark::ClobberMemory();
    }
  }
  st.SetItemsProcessed(int64_t(st.iterations() * rows.size()));
  st.SetBytesProcessed(int64_t(st.iterations() * rows.size() * r.n_pixels() * 4 * n_stored_columns));
}

// Bytes this process has fetched from the storage layer (/proc/self/io read_bytes).
int64_t disk_read_bytes() {
  std::FILE* f = std::fopen("/proc/self/io", "r");
  if (!f) return 0;
  char line[128];
  long long v = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "read_bytes: %lld", &v) == 1) break;
  std::fclose(f);
  return v;
}

// Evicts the file's pages from the page cache (clean pages: the writer fsynced them).
void evict(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

// Cold-cache variants: the page cache is dropped for the file before every iteration, and the
// bytes really fetched from the disk are counted: this shows read amplification of big chunks.
void cold_random_spectrum(benchmark::State& st, fs::path file, size_t cache) {
  block_reader r(file, cache);
  std::mt19937 rng(3);
  std::uniform_int_distribution<size_t> pick(0, r.n_spectra() - 1);
  size_t bytes = 0;
  int64_t disk = 0;
  for (auto _ : st) {
    st.PauseTiming();
    evict(file);
    const size_t row = pick(rng);
    const int64_t before = disk_read_bytes();
    st.ResumeTiming();
    benchmark::DoNotOptimize(r.read_spectrum(row));
    st.PauseTiming();
    disk += disk_read_bytes() - before;
    st.ResumeTiming();
    bytes += spectrum_bytes(r, row);
  }
  st.SetItemsProcessed(int64_t(st.iterations()));
  st.SetBytesProcessed(int64_t(bytes));
  st.counters["disk_KB_per_spectrum"] = double(disk) / 1024.0 / double(st.iterations());
  st.counters["amplification"] = double(disk) / double(bytes);
}

void cold_slice_300(benchmark::State& st, fs::path file, size_t cache) {
  block_reader r(file, cache);
  const size_t pix0 = r.n_pixels() / 2 - 150, npix = 300;
  std::vector<float> buf(r.n_spectra() * npix);
  int64_t disk = 0;
  for (auto _ : st) {
    st.PauseTiming();
    evict(file);
    const int64_t before = disk_read_bytes();
    st.ResumeTiming();
    r.read(column::flux, 0, r.n_spectra(), pix0, npix, buf.data());
    r.read(column::ivar, 0, r.n_spectra(), pix0, npix, buf.data());
    st.PauseTiming();
    disk += disk_read_bytes() - before;
    st.ResumeTiming();
  }
  const double bytes = double(st.iterations() * r.n_spectra() * npix * 4 * 2);
  st.SetItemsProcessed(int64_t(st.iterations() * r.n_spectra()));
  st.SetBytesProcessed(int64_t(bytes));
  st.counters["amplification"] = double(disk) / bytes;
}

// What read_rows replaced: the same subset as ONE H5Dread of a union of hyperslabs per column
// (HDF5 1.10 maps the irregular selection onto memory element by element).
void subset_10pct_union(benchmark::State& st, fs::path file) {
  h5::silence_errors();
  const block_reader r(file);
  h5::file f(h5::check(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen"));
  std::mt19937 rng(2);
  std::vector<uint32_t> all(r.n_spectra());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  std::shuffle(all.begin(), all.end(), rng);
  std::vector<uint32_t> rows(all.begin(), all.begin() + std::max<size_t>(1, all.size() / 10));
  std::sort(rows.begin(), rows.end());
  std::vector<float> buf(rows.size() * r.n_pixels());
  const hsize_t mdims[2] = {rows.size(), r.n_pixels()};
  h5::dataspace mem(H5Screate_simple(2, mdims, nullptr));
  for (auto _ : st) {
    for (int c = 0; c < n_columns; ++c) {
      if (column(c) == column::loglam) continue;
      h5::dataset ds(h5::check(H5Dopen2(f.get(), column_names[c].data(), H5P_DEFAULT), "H5Dopen"));
      h5::dataspace space(H5Dget_space(ds.get()));
      H5S_seloper_t op = H5S_SELECT_SET;
      for (uint32_t row : rows) {
        const hsize_t start[2] = {row, 0}, count[2] = {1, r.n_pixels()};
        H5Sselect_hyperslab(space.get(), op, start, nullptr, count, nullptr);
        op = H5S_SELECT_OR;
      }
      const hid_t t = column_is_int(column(c)) ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT;
      h5::check(H5Dread(ds.get(), t, mem.get(), space.get(), H5P_DEFAULT, buf.data()), "H5Dread");
      benchmark::ClobberMemory();
    }
  }
  st.SetItemsProcessed(int64_t(st.iterations() * rows.size()));
  st.SetBytesProcessed(int64_t(st.iterations() * rows.size() * r.n_pixels() * 4 * n_stored_columns));
}

void whole_block(benchmark::State& st, fs::path file, size_t cache) {
  block_reader r(file, cache);
  std::vector<float> buf(r.n_spectra() * r.n_pixels());
  for (auto _ : st) {
    for (int c = 0; c < n_columns; ++c) {
      if (column(c) == column::loglam) continue;
      r.read(column(c), 0, r.n_spectra(), 0, r.n_pixels(), buf.data());
      benchmark::ClobberMemory();
    }
  }
  st.SetItemsProcessed(int64_t(st.iterations() * r.n_spectra()));
  st.SetBytesProcessed(int64_t(st.iterations() * stored_bytes(r)));
}

// A 300-pixel wavelength window (flux and ivar) of every row: what a line measurement reads.
void slice_300(benchmark::State& st, fs::path file, size_t cache) {
  block_reader r(file, cache);
  const size_t pix0 = r.n_pixels() / 2 - 150, npix = 300;
  std::vector<float> buf(r.n_spectra() * npix);
  for (auto _ : st) {
    r.read(column::flux, 0, r.n_spectra(), pix0, npix, buf.data());
    r.read(column::ivar, 0, r.n_spectra(), pix0, npix, buf.data());
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(int64_t(st.iterations() * r.n_spectra()));
  st.SetBytesProcessed(int64_t(st.iterations() * r.n_spectra() * npix * 4 * 2));
}

void write_block(benchmark::State& st, block_layout layout, size_t n_spectra) {
  block_builder b;
  for (size_t i = 0; i < n_spectra; ++i) b.add(fx->spectra[i % fx->spectra.size()]);
  const fs::path p = fx->dir / "write-bench.h5";
  for (auto _ : st) b.write(p, 1, layout);
  block_reader r(p);
  st.SetItemsProcessed(int64_t(st.iterations() * n_spectra));
  st.SetBytesProcessed(int64_t(st.iterations() * stored_bytes(r)));
  st.counters["file_MB"] = double(fs::file_size(p)) / 1e6;
  st.counters["ratio"] = double(stored_bytes(r)) / double(fs::file_size(p));
}

void open_block(benchmark::State& st, fs::path file) {
  for (auto _ : st) benchmark::DoNotOptimize(block_reader(file).n_spectra());
  st.SetItemsProcessed(int64_t(st.iterations()));
}

// Floors: memcpy of the whole block's stored bytes, and pread of the whole (hot) file.
void floor_memcpy(benchmark::State& st, size_t bytes) {
  std::vector<char> a(bytes, 1), b(bytes);
  for (auto _ : st) {
    std::memcpy(b.data(), a.data(), bytes);
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(int64_t(st.iterations() * bytes));
}

void floor_pread(benchmark::State& st, fs::path file) {
  const size_t size = fs::file_size(file);
  std::vector<char> buf(size);
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  for (auto _ : st) {
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::pread(fd, buf.data() + done, std::min<size_t>(size - done, 1 << 24), off_t(done));
      if (n <= 0) break;
      done += size_t(n);
    }
    benchmark::ClobberMemory();
  }
  ::close(fd);
  st.SetBytesProcessed(int64_t(st.iterations() * size));
}

}  // namespace
}  // namespace specmill

int main(int argc, char** argv) {
  using namespace specmill;
  benchmark::Initialize(&argc, argv);
  fixture f;
  fx = &f;
  f.dir = fs::temp_directory_path() / ("specmill-block-bench-" + std::to_string(::getpid()));
  fs::create_directories(f.dir);
  std::mt19937 rng(42);
  for (size_t i = 0; i < default_block_spectra; ++i) f.spectra.push_back(synthetic_spectrum(rng, i));

  block_builder b;
  for (const auto& s : f.spectra) b.add(s);
  for (const shape& s : shapes) {
    f.files.push_back(f.dir / (std::string(s.name) + ".h5"));
    b.write(f.files.back(), 1, s.layout);
  }
  {
    const block_reader r(f.files[0]);
    std::printf("block: %zu spectra x %zu pixels, %.1f MB stored (7 columns); files are hot in the page cache\n",
                r.n_spectra(), r.n_pixels(), double(stored_bytes(r)) / 1e6);
    for (size_t i = 0; i < std::size(shapes); ++i)
      std::printf("  %-18s %8.1f MB on disk\n", shapes[i].name, double(fs::file_size(f.files[i])) / 1e6);
  }
  const size_t block_bytes = stored_bytes(block_reader(f.files[0]));
  const double t = 0.2;  // min time per benchmark: keeps the whole run near a minute

  benchmark::RegisterBenchmark("floor/memcpy_block", floor_memcpy, block_bytes)->MinTime(t)->UseRealTime();
  benchmark::RegisterBenchmark("floor/pread_file", floor_pread, f.files[0])->MinTime(t)->UseRealTime();
  for (size_t i = 0; i < std::size(shapes); ++i) {
    const shape& s = shapes[i];
    for (size_t cache : {size_t(0), block_reader::auto_chunk_cache}) {
      if (s.layout.deflate > 0 && cache == 0) continue;  // filtered chunks always go through the cache
      const std::string tag = std::string(s.name) + (cache ? "/cache=band" : "/cache=0");
      benchmark::RegisterBenchmark(("a_random_spectrum/" + tag).c_str(), random_spectrum, f.files[i], cache)->MinTime(t)->UseRealTime();
      benchmark::RegisterBenchmark(("b_subset10pct/" + tag).c_str(), subset_10pct, f.files[i], cache)->MinTime(t)->UseRealTime();
      benchmark::RegisterBenchmark(("c_whole_block/" + tag).c_str(), whole_block, f.files[i], cache)->MinTime(t)->UseRealTime();
      benchmark::RegisterBenchmark(("d_slice300/" + tag).c_str(), slice_300, f.files[i], cache)->MinTime(t)->UseRealTime();
    }
    for (size_t cache : {size_t(0), block_reader::auto_chunk_cache}) {
      const std::string tag = std::string(s.name) + (cache ? "/cache=band" : "/cache=0");
      benchmark::RegisterBenchmark(("f_cold_random_spectrum/" + tag).c_str(), cold_random_spectrum, f.files[i], cache)
          ->Iterations(300)->UseRealTime();
      benchmark::RegisterBenchmark(("f_cold_slice300/" + tag).c_str(), cold_slice_300, f.files[i], cache)
          ->Iterations(5)->UseRealTime();
    }
    if (s.layout.deflate == 0) {
      benchmark::RegisterBenchmark(("b_subset10pct_union_1read/" + std::string(s.name)).c_str(), subset_10pct_union, f.files[i])
          ->MinTime(t)->UseRealTime();
    }
    benchmark::RegisterBenchmark(("e_write/" + std::string(s.name)).c_str(), write_block, s.layout, default_block_spectra)
        ->Iterations(2)->UseRealTime();
  }
  // Block size: write throughput and the cost of opening (attributes + meta + 7 datasets).
  for (size_t n : {size_t(256), size_t(1024), size_t(4096)}) {
    std::string count = std::to_string(n);  // appended, not "x" + ...: GCC 12 -Wrestrict false positive
    block_builder nb;
    for (size_t i = 0; i < n; ++i) nb.add(f.spectra[i % f.spectra.size()]);
    const fs::path p = f.dir / (std::string("n").append(count) + ".h5");
    nb.write(p, 2, {});
    benchmark::RegisterBenchmark(std::string("open/n=").append(count).c_str(), open_block, p)->MinTime(t)->UseRealTime();
    benchmark::RegisterBenchmark(std::string("e_write_default/n=").append(count).c_str(), write_block, block_layout{}, n)
        ->Iterations(2)->UseRealTime();
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  fs::remove_all(f.dir, ec);
  return 0;
}
