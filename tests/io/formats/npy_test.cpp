// npy/npz writers: exact header bytes, then round trips through Debian's numpy
// (/usr/bin/python3: the python3 on PATH may be another interpreter without numpy).
#include <gtest/gtest.h>

#include "common/temp_dir.hpp"
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/formats/npy.hpp"

namespace specmill {
namespace {

namespace fs = std::filesystem;
constexpr const char* debian_python = "/usr/bin/python3";

// ------------------------------------------------------------------ helpers
using specmill::test_support::temp_dir;

bool have_numpy() {
  static const bool ok = fs::exists(debian_python) &&
                         std::system((std::string(debian_python) + " -c 'import numpy' 2>/dev/null").c_str()) == 0;
  return ok;
}

// Runs a Python script with Debian's interpreter; returns its stdout lines.
std::vector<std::string> run_python(const temp_dir& dir, const std::string& script) {
  const fs::path py = dir / "check.py";
  std::ofstream(py) << script;
  const std::string cmd = std::string(debian_python) + " " + py.string() + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed");
  std::string text;
  std::array<char, 4096> chunk{};
  size_t n;
  while ((n = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) text.append(chunk.data(), n);
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << "python failed:\n" << text;
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

uint32_t crc_of(const void* data, size_t bytes) {
  return uint32_t(crc32_z(0, static_cast<const Bytef*>(data), bytes));
}

// What the Python side prints for one array: name dtype shape crc32-of-C-order-bytes.
std::string describe(const std::string& name, npy_dtype t, const std::vector<uint64_t>& shape,
                     const void* data, size_t n_elements) {
  std::string dims;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) dims += ',';
    dims += std::to_string(shape[i]);
  }
  return name + " " + std::string(npy_descr(t)) + " [" + dims + "] " +
         std::to_string(crc_of(data, n_elements * npy_itemsize(t)));
}

constexpr const char* py_describe = R"(
import sys, zlib, zipfile
import numpy as np
def describe(name, a):
    dims = ",".join(str(d) for d in a.shape)
    print(f"{name} {a.dtype.str} [{dims}] {zlib.crc32(np.ascontiguousarray(a).tobytes())}")
)";

// One test array of every dtype, with values that catch byte-order and width mistakes.
struct sample {
  std::string name;
  npy_dtype dtype;
  std::vector<uint64_t> shape;
  std::vector<unsigned char> bytes;
  size_t count() const { return bytes.size() / npy_itemsize(dtype); }
};

template <class T>
sample make_sample(std::string name, std::vector<uint64_t> shape, T first, T step) {
  uint64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<T> v(n);
  T x = first;
  for (auto& e : v) e = x, x = T(x + step);
  sample s{std::move(name), npy_dtype_of<T>(), std::move(shape), {}};
  s.bytes.resize(n * sizeof(T));
  if (n) std::memcpy(s.bytes.data(), v.data(), s.bytes.size());
  return s;
}

std::vector<sample> all_samples() {
  std::vector<sample> s;
  s.push_back(make_sample<float>("flux", {1000}, -3.25f, 0.125f));
  s.push_back(make_sample<double>("wave", {3, 7}, 3800.0, 1.0 / 3));
  s.push_back(make_sample<int16_t>("i2", {5}, int16_t(-300), int16_t(150)));
  s.push_back(make_sample<int32_t>("i4", {2, 2, 2}, -70000, 33333));
  s.push_back(make_sample<int64_t>("offsets", {11}, int64_t(-5000000000LL), int64_t(1000000007LL)));
  s.push_back(make_sample<uint8_t>("u1", {300}, uint8_t(0), uint8_t(7)));
  s.push_back(make_sample<uint64_t>("specobjid", {4}, uint64_t(0x8000000000000001ULL), uint64_t(0x0100000000000003ULL)));
  sample found{"found", npy_dtype::b1, {6}, {1, 0, 1, 0, 1, 0}};  // numpy bools are bytes 0/1
  s.push_back(found);
  s.push_back(make_sample<float>("empty", {0}, 0.f, 0.f));
  s.push_back(make_sample<float>("empty2d", {0, 5}, 0.f, 0.f));
  s.push_back(make_sample<double>("scalar", {}, 42.5, 0.0));
  s.push_back(make_sample<float>("flux2d", {4, 33}, 1.0f, 0.5f));
  return s;
}

// Writes a sample in uneven chunks (1 element, then 7, then the rest) to exercise streaming.
template <class Writer>
void append_chunked(Writer& w, const sample& s) {
  const size_t item = npy_itemsize(s.dtype), n = s.count();
  size_t done = 0;
  for (size_t chunk : {size_t(1), size_t(7), n}) {
    const size_t k = std::min(chunk, n - done);
    w.append(s.bytes.data() + done * item, k);
    done += k;
  }
}

// ------------------------------------------------------------------ headers
std::string expected_header(char version, const std::string& dict, size_t total) {
  std::string h("\x93NUMPY", 6);
  h.push_back(version);
  h.push_back('\0');
  const size_t prefix = version == 1 ? 10 : 12;
  const size_t len = total - prefix;
  for (size_t i = 0; i < prefix - 8; ++i) h.push_back(char((len >> (8 * i)) & 0xFF));
  h += dict;
  h.append(total - h.size() - 1, ' ');
  h += '\n';
  return h;
}

TEST(NpyHeader, OneDimensional) {
  const std::vector<uint64_t> shape{3};
  const std::string h = npy_header(npy_dtype::f4, shape);
  EXPECT_EQ(h.size(), 128u);  // the dict alone is 57 bytes: 10 + 57 + 1 rounds up to 128, as numpy's does
  EXPECT_EQ(h, expected_header(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 128));
}

TEST(NpyHeader, ScalarTwoDAndEveryDescr) {
  EXPECT_EQ(npy_header(npy_dtype::f8, {}),
            expected_header(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 128));
  const std::vector<uint64_t> two_d{1234, 3840};
  EXPECT_EQ(npy_header(npy_dtype::i8, two_d),
            expected_header(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (1234, 3840), }", 128));
  const std::vector<uint64_t> big{uint64_t(1) << 40, 0, 7};
  EXPECT_EQ(npy_header(npy_dtype::b1, big),
            expected_header(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (1099511627776, 0, 7), }", 128));
  EXPECT_EQ(npy_descr(npy_dtype::i2), "<i2");
  EXPECT_EQ(npy_descr(npy_dtype::i4), "<i4");
  EXPECT_EQ(npy_descr(npy_dtype::u1), "|u1");
  EXPECT_EQ(npy_descr(npy_dtype::u8), "<u8");
  static_assert(npy_dtype_of<float>() == npy_dtype::f4 && npy_dtype_of<const double>() == npy_dtype::f8);
  static_assert(npy_dtype_of<int64_t>() == npy_dtype::i8 && npy_dtype_of<long long>() == npy_dtype::i8);
  static_assert(npy_dtype_of<uint64_t>() == npy_dtype::u8 && npy_dtype_of<bool>() == npy_dtype::b1);
  static_assert(npy_dtype_of<uint8_t>() == npy_dtype::u1 && npy_dtype_of<int16_t>() == npy_dtype::i2);
}

TEST(NpyHeader, Version2WhenTheDictPasses64KiB) {
  const std::vector<uint64_t> shape(22000, 1);  // "1, " x 22000: a dict of about 66 kB
  const std::string h = npy_header(npy_dtype::u1, shape);
  EXPECT_EQ(h[6], '\x02');
  EXPECT_EQ(h.size() % 64, 0u);
  EXPECT_EQ(h.back(), '\n');
  const uint32_t len = uint8_t(h[8]) | uint8_t(h[9]) << 8 | uint8_t(h[10]) << 16 | uint32_t(uint8_t(h[11])) << 24;
  EXPECT_EQ(len + 12, h.size());
  EXPECT_EQ(h.compare(12, 11, "{'descr': '"), 0);
}

TEST(NpyHeader, OverflowingShapeIsRejected) {
  const std::vector<uint64_t> shape{uint64_t(1) << 62, 8};
  EXPECT_THROW(npy_header(npy_dtype::u1, shape), invalid_argument);
  const std::vector<uint64_t> wide{uint64_t(1) << 62};
  EXPECT_THROW(npy_header(npy_dtype::f8, wide), invalid_argument);  // 2^62 elements x 8 bytes
}

// ------------------------------------------------------------------ npy round trips
TEST(NpyWriter, RoundTripEveryDtypeThroughNumpy) {
  if (!have_numpy()) GTEST_SKIP() << "no numpy in " << debian_python;
  temp_dir dir;
  std::string script = py_describe;
  std::vector<std::string> expected;
  for (const sample& s : all_samples()) {
    npy_writer w(dir / (s.name + ".npy"), s.dtype, s.shape);
    append_chunked(w, s);
    w.close();
    // The data starts on a 64-byte boundary, right after the header.
    EXPECT_EQ(fs::file_size(dir / (s.name + ".npy")), npy_header(s.dtype, s.shape).size() + s.bytes.size());
    script += "describe('" + s.name + "', np.load('" + (dir / (s.name + ".npy")).string() + "'))\n";
    expected.push_back(describe(s.name, s.dtype, s.shape, s.bytes.data(), s.count()));
  }
  // Spot values, independent of the CRC: numpy sees the numbers we meant.
  script += "print(np.load('" + (dir / "flux.npy").string() + "')[2], np.load('" + (dir / "offsets.npy").string() +
            "')[0], np.load('" + (dir / "specobjid.npy").string() + "')[0], np.load('" + (dir / "found.npy").string() +
            "').tolist())\n";
  expected.push_back("-3.0 -5000000000 9223372036854775809 [True, False, True, False, True, False]");
  EXPECT_EQ(run_python(dir, script), expected);
}

TEST(NpyWriter, CountMismatchIsInvalidArgumentAndLeavesNoFile) {
  temp_dir dir;
  const fs::path p = dir / "short.npy";
  const float x[4] = {1, 2, 3, 4};
  {
    npy_writer w(p, npy_dtype::f4, {3});
    EXPECT_THROW(w.append(x, 4), invalid_argument);  // overruns the shape
    w.append(x, 2);
    EXPECT_THROW(w.close(), invalid_argument);  // one short
  }
  EXPECT_FALSE(fs::exists(p));
  npy_writer ok(p, npy_dtype::f4, {3});
  ok.append(x, 3);
  ok.close();
  EXPECT_THROW(ok.append(x, 1), invalid_argument);
  EXPECT_TRUE(fs::exists(p));
}

TEST(NpyWriter, UnwritablePathIsIoErrorNamingIt) {
  try {
    npy_writer w("/nonexistent-dir/x.npy", npy_dtype::f4, {1});
    FAIL() << "expected io_error";
  } catch (const io_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.npy"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
}

// ------------------------------------------------------------------ npz round trips
std::string npz_script(const fs::path& p) {
  return std::string(py_describe) + "p = '" + p.string() + "'\n" +
         "z = zipfile.ZipFile(p)\n"
         "print('testzip', z.testzip())\n"  // None: every member's CRC-32 checks out
         "with np.load(p) as f:\n"
         "    for k in sorted(f.files): describe(k, f[k])\n";
}

std::vector<std::string> npz_expected(std::vector<sample> samples) {
  std::vector<std::string> lines{"testzip None"};
  std::sort(samples.begin(), samples.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (const sample& s : samples) lines.push_back(describe(s.name, s.dtype, s.shape, s.bytes.data(), s.count()));
  return lines;
}

void write_samples(npz_writer& w, const std::vector<sample>& samples) {
  for (const sample& s : samples) {
    w.begin_array(s.name, s.dtype, s.shape);
    append_chunked(w, s);
    w.end_array();
  }
  w.close();
}

TEST(NpzWriter, SeekableFileRoundTripsThroughNumpy) {
  if (!have_numpy()) GTEST_SKIP() << "no numpy in " << debian_python;
  temp_dir dir;
  const auto samples = all_samples();
  npz_writer w(dir / "a.npz");
  write_samples(w, samples);
  EXPECT_EQ(run_python(dir, npz_script(dir / "a.npz")), npz_expected(samples));
}

TEST(NpzWriter, NonSeekableSinkRoundTripsThroughNumpy) {
  if (!have_numpy()) GTEST_SKIP() << "no numpy in " << debian_python;
  temp_dir dir;
  const auto samples = all_samples();
  const fs::path p = dir / "streamed.npz";
  std::ofstream out(p, std::ios::binary);
  size_t calls = 0;
  npz_writer w([&](const char* data, size_t n) {
    out.write(data, std::streamsize(n));
    ++calls;
  });
  write_samples(w, samples);
  out.close();
  EXPECT_GE(calls, 1u);
  EXPECT_EQ(run_python(dir, npz_script(p)), npz_expected(samples));
  // Same members, same data: only the data descriptors and flags differ from the file form.
  npz_writer f(dir / "file.npz");
  write_samples(f, samples);
  EXPECT_GT(fs::file_size(p), fs::file_size(dir / "file.npz"));
}

TEST(NpzWriter, WriteArrayAndEmptyArchive) {
  if (!have_numpy()) GTEST_SKIP() << "no numpy in " << debian_python;
  temp_dir dir;
  const std::vector<float> flux{1.f, 2.f, 3.f, 4.f, 5.f, 6.f};
  const std::vector<int64_t> offsets{0, 2, 6};
  npz_writer w(dir / "w.npz");
  w.write_array<float>("flux", flux);
  w.write_array<float>("flux2d", flux, {2, 3});
  w.write_array<int64_t>("offsets", offsets);
  w.close();
  npz_writer e(dir / "empty.npz");
  e.close();
  const std::string script = std::string(py_describe) + "f = np.load('" + (dir / "w.npz").string() +
                             "')\nprint(f['flux2d'].tolist(), f['offsets'].tolist(), sorted(f.files))\n"
                             "print(len(np.load('" + (dir / "empty.npz").string() + "').files))\n";
  EXPECT_EQ(run_python(dir, script),
            (std::vector<std::string>{"[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]] [0, 2, 6] ['flux', 'flux2d', 'offsets']", "0"}));
}

TEST(NpzWriter, MisuseIsInvalidArgument) {
  temp_dir dir;
  const int32_t x[3] = {1, 2, 3};
  {
    npz_writer w(dir / "bad.npz");
    w.begin_array("a", npy_dtype::i4, {3});
    EXPECT_THROW(w.begin_array("b", npy_dtype::i4, {3}), invalid_argument);  // a is still open
    w.append(x, 2);
    EXPECT_THROW(w.end_array(), invalid_argument);  // one short
    EXPECT_THROW(w.close(), invalid_argument);      // a is still open
  }
  EXPECT_FALSE(fs::exists(dir / "bad.npz"));  // abandoned: removed
  npz_writer w(dir / "dup.npz");
  w.write_array<int32_t>("a", x);
  EXPECT_THROW(w.write_array<int32_t>("a", x), invalid_argument);
  EXPECT_THROW(w.append(x, 1), invalid_argument);
  EXPECT_THROW(w.begin_array("", npy_dtype::i4, {1}), invalid_argument);
  EXPECT_THROW(npz_writer(std::function<void(const char*, size_t)>{}), invalid_argument);
}

TEST(NpzWriter, SinkErrorsPropagate) {
  npz_writer w([](const char*, size_t) { throw io_error("client went away"); });
  std::vector<uint8_t> big(20u << 20, 1);  // larger than the internal buffer: reaches the sink now
  w.begin_array("x", npy_dtype::u1, {big.size()});
  EXPECT_THROW(w.append(big.data(), big.size()), io_error);
}

// ------------------------------------------------------------------ zip64
// A member just over 4 GiB, then a small one behind it (its offset needs zip64 too). Python's
// zipfile reports the big member's sizes and CRC-32 (compared with one computed here) and numpy
// loads the small one. Kept under ~10 s by default: the file form only, no read-back of the
// 4 GiB. SPECMILL_SLOW_TESTS=1 adds the sink form and has zipfile read the member through
// (which checks its CRC itself): about 30 s.
TEST(NpzWriter, Zip64MemberOver4GiB) {
  if (!have_numpy()) GTEST_SKIP() << "no numpy in " << debian_python;
  temp_dir dir;
  const uint64_t need = (uint64_t(5) << 30) * 2;  // the archive plus slack
  if (fs::space(dir.path()).available < need)
    GTEST_SKIP() << "needs " << (need >> 30) << " GiB free in " << dir.path();
  const uint64_t n = (uint64_t(4) << 30) + (1u << 20);
  std::vector<uint8_t> block(16u << 20);
  for (size_t i = 0; i < block.size(); ++i) block[i] = uint8_t(i * 131 + (i >> 13));
  const auto t0 = std::chrono::steady_clock::now();

  const bool slow = std::getenv("SPECMILL_SLOW_TESTS") != nullptr;
  for (bool streamed : {false, true}) {
    if (streamed && !slow) continue;
    const fs::path p = dir / (streamed ? "big_streamed.npz" : "big.npz");
    std::ofstream sink_file;
    std::unique_ptr<npz_writer> w;
    if (streamed) {
      sink_file.open(p, std::ios::binary);
      w = std::make_unique<npz_writer>([&](const char* d, size_t k) { sink_file.write(d, std::streamsize(k)); });
    } else {
      w = std::make_unique<npz_writer>(p);
    }
    const std::vector<uint64_t> shape{n};
    const std::string header = npy_header(npy_dtype::u1, shape);
    uint32_t crc = crc_of(header.data(), header.size());
    w->begin_array("big", npy_dtype::u1, shape);
    for (uint64_t done = 0; done < n;) {
      const size_t k = size_t(std::min<uint64_t>(block.size(), n - done));
      w->append(block.data(), k);
      crc = uint32_t(crc32_z(crc, block.data(), k));
      done += k;
    }
    w->end_array();
    const std::vector<int64_t> tail{7, -8, 9};
    w->write_array<int64_t>("tail", tail);
    w->close();
    sink_file.close();

    const std::string script = "import zipfile, zlib\nimport numpy as np\np = '" + p.string() +
                               "'\n"
                               "z = zipfile.ZipFile(p)\n"
                               "i = z.getinfo('big.npy')\n"
                               "print(i.file_size, i.compress_size, i.CRC, z.getinfo('tail.npy').header_offset > 2**32)\n" +
                               std::string(slow ? "with z.open('big.npy') as f:\n"  // reading to the end checks the CRC
                                                  "    while f.read(64 << 20): pass\n"
                                                : "") +
                               "print(np.load(p)['tail'].tolist())\n";
    const auto lines = run_python(dir, script);
    EXPECT_EQ(lines, (std::vector<std::string>{
                         std::to_string(header.size() + n) + " " + std::to_string(header.size() + n) + " " +
                             std::to_string(crc) + " True",
                         "[7, -8, 9]"}))
        << (streamed ? "sink" : "file");
    fs::remove(p);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  RecordProperty("seconds", std::to_string(seconds));
}

}  // namespace
}  // namespace specmill
