#pragma once
// Running the query tests on both catalog backends: SQLite (the store's own file) and
// PostgreSQL + q3c (its catalog exported to a database of the throwaway test cluster,
// tests/common/pg_cluster.hpp, and the store pointed at it with catalog.url). A TEST_P suite
// instantiated with INSTANTIATE_BACKENDS runs each body on both; the PostgreSQL instance is
// SKIPPED, with the reason, where the PostgreSQL binaries are missing.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "common/pg_cluster.hpp"
#include "common/temp_dir.hpp"
#include "engine/query/catalog_export.hpp"
#include "engine/store/catalog_setting.hpp"

namespace specmill::test {

enum class catalog_backend { sqlite, postgresql };

inline std::string backend_name(const ::testing::TestParamInfo<catalog_backend>& info) {
  return info.param == catalog_backend::sqlite ? "SQLite" : "PostgreSQL";
}

#define INSTANTIATE_BACKENDS(suite)                                                                          \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                                  \
                           ::testing::Values(::specmill::test::catalog_backend::sqlite,                      \
                                             ::specmill::test::catalog_backend::postgresql),                 \
                           ::specmill::test::backend_name)

// Makes the store at `root` answer from `b`: for postgresql, exports its catalog (as it is now)
// to a database of this process's own (dropped at exit) and writes catalog.url; for sqlite,
// removes catalog.url. Returns root, for `catalog_query q(on_backend(b, root))`.
inline const std::filesystem::path& on_backend(catalog_backend b, const std::filesystem::path& root) {
  if (b == catalog_backend::sqlite) {
    set_catalog_url(root, "sqlite");
    return root;
  }
  test_support::pg_cluster::shared();  // constructed first, so destroyed after the databases
  static std::map<std::string, std::unique_ptr<test_support::pg_database>> dbs;
  auto& db = dbs[std::filesystem::absolute(root).string()];
  if (!db) db = std::make_unique<test_support::pg_database>("q");
  if (!db->available()) throw std::runtime_error("no PostgreSQL cluster: " + test_support::pg_skip_reason());
  export_catalog(root, db->url());
  set_store_catalog(root, db->url());
  return root;
}

// The test base: GetParam() is the backend; SetUp skips the PostgreSQL instance without a cluster.
class backend_test : public ::testing::TestWithParam<catalog_backend> {
 protected:
  void SetUp() override {
    if (GetParam() == catalog_backend::postgresql) SPECMILL_REQUIRE_PG();
  }
  bool pg() const { return GetParam() == catalog_backend::postgresql; }
  const std::filesystem::path& on_backend(const std::filesystem::path& root) const {
    return test::on_backend(GetParam(), root);
  }
};

}  // namespace specmill::test
