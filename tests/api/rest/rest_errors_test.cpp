// The REST front's mapping from exception types to replies (api/rest/rest_errors.hpp): by type
// only, a corrupt store (data_error) is the service's fault (500, logged, no text of it sent),
// a request whose spectra were all dropped (no_usable_data) the caller's (400).
#include "api/rest/rest_errors.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace specmill;
using namespace specmill::rest;

namespace {

struct expected {
  int status;
  const char* kind;
  bool internal;
};

void expect_reply(const std::exception& e, expected want) {
  const error_reply r = reply_for(e);
  EXPECT_EQ(r.status, want.status) << e.what();
  EXPECT_EQ(r.kind, want.kind) << e.what();
  EXPECT_EQ(r.internal, want.internal) << e.what();
  EXPECT_FALSE(r.message.empty());
}

}  // namespace

TEST(RestErrors, StatusByType) {
  expect_reply(invalid_argument("bad range"), {400, "invalid_argument", false});
  expect_reply(time_limit_exceeded("query ran past 10 s"), {400, "invalid_argument", false});
  expect_reply(no_usable_data("no spectrum left to stack"), {400, "invalid_argument", false});
  expect_reply(unauthorized("needs a token"), {401, "unauthorized", false});
  expect_reply(forbidden("wrong token"), {403, "forbidden", false});
  expect_reply(not_found("unknown context 'x'"), {404, "not_found", false});
  expect_reply(too_large("too many IDs"), {413, "too_large", false});
  expect_reply(over_budget("the service is stopping"), {503, "over_budget", false});
  expect_reply(data_error("block file is truncated"), {500, "data_error", true});
  expect_reply(io_error("cannot read"), {500, "internal", true});
  expect_reply(fits_error("cannot open", 104), {500, "internal", true});
  expect_reply(cuda_error("cudaMalloc failed", 2), {500, "internal", true});
  expect_reply(std::runtime_error("anything"), {500, "internal", true});
}

TEST(RestErrors, NeverByMessageText) {
  // Texts that name another kind of failure change nothing: only the type counts.
  expect_reply(data_error("invalid argument: not found"), {500, "data_error", true});
  expect_reply(invalid_argument("block file is corrupt (internal error)"), {400, "invalid_argument", false});
  expect_reply(std::runtime_error("not_found"), {500, "internal", true});
}

TEST(RestErrors, ClientTextIsTheMessageWithoutServerPaths) {
  EXPECT_EQ(reply_for(invalid_argument("cutout 'abc' is not a range")).message, "cutout 'abc' is not a range");
  EXPECT_EQ(reply_for(not_found("no shipped filter 'x' in /opt/specmill/data/filters")).message,
            "no shipped filter 'x' in filters");
}

TEST(RestErrors, InternalFaultsSendNoneOfTheirText) {
  const std::string secret = "not an HDF5 file (/srv/specmill/store/blocks/blk-00000003.h5)";
  const data_error corrupt(secret, source_location{"block_reader.cpp", 109});
  const error_reply r = reply_for(corrupt);
  EXPECT_EQ(r.message.find("blk-"), std::string::npos) << r.message;
  EXPECT_EQ(r.message.find("/srv"), std::string::npos) << r.message;
  EXPECT_EQ(r.message.find("block_reader"), std::string::npos) << r.message;
  EXPECT_EQ(reply_for(io_error(secret)).message, "internal error");
}

TEST(RestErrors, MacroLocationsNeverReachTheReply) {
  try {
    SPECMILL_EXPECTS(false, "w0 and w1 must both be given");
    FAIL() << "did not throw";
  } catch (const std::exception& e) {
    const error_reply r = reply_for(e);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.message, "w0 and w1 must both be given");
    EXPECT_NE(log_text(e).find("rest_errors_test.cpp:"), std::string::npos) << log_text(e);
  }
}
