// The error hierarchy and its macros (core/error.hpp): the macros throw the type they are given
// (invalid_argument by default), what() is the message alone, the source location sits apart
// in where() and reaches only log_text().
#include "core/error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <type_traits>

using namespace specmill;

namespace {

// Runs f, which must throw E; returns the exception.
template <class E, class F>
E caught(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw another type: " << e.what();
    throw;
  }
  ADD_FAILURE() << "did not throw";
  return E("");
}

}  // namespace

TEST(Error, ExpectsThrowsInvalidArgumentByDefaultWithTheMessageAlone) {
  const int line = __LINE__ + 1;
  const auto e = caught<invalid_argument>([] { SPECMILL_EXPECTS(1 + 1 == 3, "arithmetic is broken"); });
  EXPECT_STREQ(e.what(), "arithmetic is broken");
  EXPECT_EQ(e.where(), "error_test.cpp:" + std::to_string(line));
}

TEST(Error, ExpectsThrowsTheGivenType) {
  EXPECT_THROW(SPECMILL_EXPECTS(false, "x", data_error), data_error);
  EXPECT_THROW(SPECMILL_EXPECTS(false, "x", not_found), not_found);
  EXPECT_THROW(SPECMILL_EXPECTS(false, "x", io_error), io_error);
  EXPECT_THROW(SPECMILL_EXPECTS(false, "x", hdf5_error), hdf5_error);
  EXPECT_THROW(SPECMILL_EXPECTS(false, "x", time_limit_exceeded), time_limit_exceeded);
  EXPECT_THROW(SPECMILL_EXPECTS(false, "x", cuda_error), cuda_error);
  // A data_error is not an invalid_argument: fronts tell them apart by type.
  try {
    SPECMILL_EXPECTS(false, "row beyond the block", data_error);
    FAIL() << "did not throw";
  } catch (const invalid_argument&) {
    FAIL() << "a data_error caught as invalid_argument";
  } catch (const data_error& e) {
    EXPECT_STREQ(e.what(), "row beyond the block");
    EXPECT_EQ(e.where().rfind("error_test.cpp:", 0), 0u) << e.where();
  }
}

TEST(Error, ExpectsEvaluatesTheMessageOnlyOnFailure) {
  int built = 0;
  auto message = [&] {
    ++built;
    return std::string("m");
  };
  SPECMILL_EXPECTS(true, message());
  SPECMILL_EXPECTS(true, message(), data_error);
  EXPECT_EQ(built, 0);
  EXPECT_THROW(SPECMILL_EXPECTS(false, message(), data_error), data_error);
  EXPECT_EQ(built, 1);
}

TEST(Error, FailAndTheOlderShorthands) {
  EXPECT_THROW(SPECMILL_FAIL("bad"), invalid_argument);
  EXPECT_THROW(SPECMILL_FAIL("gone", not_found), not_found);
  EXPECT_THROW(SPECMILL_DATA_CHECK(false, "bad bytes"), data_error);
  EXPECT_NO_THROW(SPECMILL_DATA_CHECK(true, "fine"));
  const auto e = caught<io_error>([] { SPECMILL_FAIL_IO("cannot rename"); });
  EXPECT_STREQ(e.what(), "cannot rename");
  EXPECT_FALSE(e.where().empty());
}

TEST(Error, PlainConstructionHasNoLocation) {
  const not_found e("unknown ID 42");
  EXPECT_STREQ(e.what(), "unknown ID 42");
  EXPECT_EQ(e.where(), "");
  EXPECT_EQ(e.location().file, nullptr);
  EXPECT_EQ(log_text(e), "unknown ID 42");
}

TEST(Error, WhereKeepsTheBaseNameOnly) {
  const data_error e("m", source_location{"/some/build/dir/io/store/block_reader.cpp", 175});
  EXPECT_EQ(e.where(), "block_reader.cpp:175");
  EXPECT_STREQ(e.what(), "m");
}

TEST(Error, LogTextAddsTheLocation) {
  const int line = __LINE__ + 1;
  const auto e = caught<data_error>([] { SPECMILL_DATA_CHECK(false, "block file is truncated"); });
  EXPECT_EQ(log_text(e), "block file is truncated [error_test.cpp:" + std::to_string(line) + "]");
  EXPECT_EQ(log_text(std::runtime_error("plain")), "plain");
}

TEST(Error, Hierarchy) {
  static_assert(std::is_base_of_v<error, invalid_argument>);
  static_assert(std::is_base_of_v<invalid_argument, time_limit_exceeded>);
  static_assert(std::is_base_of_v<error, not_found>);
  static_assert(std::is_base_of_v<io_error, fits_error>);
  static_assert(std::is_base_of_v<io_error, hdf5_error>);
  static_assert(std::is_base_of_v<io_error, sqlite_error>);
  static_assert(std::is_base_of_v<error, data_error>);
  static_assert(std::is_base_of_v<data_error, no_usable_data>);
  static_assert(std::is_base_of_v<error, cuda_error>);
  static_assert(std::is_base_of_v<std::runtime_error, error>);
  // An exception's copy must not throw (it is copied while unwinding).
  static_assert(std::is_nothrow_copy_constructible_v<invalid_argument>);
  static_assert(std::is_nothrow_copy_constructible_v<cuda_error>);
  static_assert(std::is_nothrow_copy_constructible_v<fits_error>);
  static_assert(!std::is_base_of_v<invalid_argument, no_usable_data>);
  static_assert(!std::is_base_of_v<io_error, data_error>);
}

TEST(Error, CarriedCodes) {
  const fits_error f("cannot open x.fits: could not open the named file", 104);
  EXPECT_EQ(f.status, 104);
  const sqlite_error s("database is locked", 5);
  EXPECT_EQ(s.code, 5);
  const cuda_error plain("CUDA support not compiled into this build");
  EXPECT_EQ(plain.code(), 0);
  const cuda_error failed("cudaMalloc(&p, n) failed: cudaErrorMemoryAllocation (out of memory)", 2,
                          source_location{"device_buffer.cu", 53});
  EXPECT_EQ(failed.code(), 2);
  EXPECT_EQ(failed.where(), "device_buffer.cu:53");
  EXPECT_EQ(std::string(failed.what()).find("device_buffer"), std::string::npos);
  // Through the macro a cuda_error has no code: only SPECMILL_CUDA_TRY knows the runtime's.
  const auto m = caught<cuda_error>([] { SPECMILL_EXPECTS(false, "no device", cuda_error); });
  EXPECT_EQ(m.code(), 0);
  EXPECT_FALSE(m.where().empty());
}
