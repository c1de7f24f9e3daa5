#pragma once
// The store the get tests read (get_test.cpp, get_meta_test.cpp): 24 synthetic spectra of both
// eras in blocks of 8, made once per test program on first use; and the list they ask for: every
// stored spectrum shuffled, an unknown ID third and a duplicate at the end.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "common/store_setup.hpp"
#include "common/temp_dir.hpp"
#include "engine/pipeline/id_list.hpp"
#include "engine/store_fixture.hpp"
#include "engine/store/store.hpp"

namespace specmill::test_support {

inline constexpr const char* get_context = "sdss_dr16";

class get_store {
 public:
  static const std::filesystem::path& path() { return instance().store_; }

 private:
  get_store() { ingest_into(store_, write_sample_files(dir_.path() / "sample", 24, 11, 0.4), 8); }
  static const get_store& instance() {
    static const get_store s;
    return s;
  }
  test::temp_dir dir_;
  std::filesystem::path store_ = dir_.path() / "store";
};

inline std::vector<uint64_t> get_list_ids() {
  store st(get_store::path(), store::access::read);
  std::vector<uint64_t> ids;
  st.catalog().for_each_located(get_context, [&](const catalog_entry& e) { ids.push_back(e.meta.specobjid); });
  std::sort(ids.begin(), ids.end());
  std::shuffle(ids.begin(), ids.end(), std::mt19937(4));
  ids.insert(ids.begin() + 2, 12345);
  ids.push_back(ids[5]);
  return ids;
}

inline std::vector<spectrum_id> as_id_list(const std::vector<uint64_t>& ids) {
  std::vector<spectrum_id> out;
  for (uint64_t id : ids) out.push_back(parse_spectrum_id(std::to_string(id)));
  return out;
}

}  // namespace specmill::test_support
