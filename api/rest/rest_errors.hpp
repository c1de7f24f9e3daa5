#pragma once
// The REST front's error replies: the service's own error types and the one mapping from an
// exception's TYPE (never its text) to an HTTP status, an error kind and the text a client may
// see. Every handler failure goes through reply_for() (rest_server.cpp, dispatch).
#include <exception>
#include <string>

#include "core/error.hpp"

namespace specmill::rest {

struct unauthorized : error {
  using error::error;
};
struct forbidden : error {
  using error::error;
};
struct too_large : error {
  using error::error;
};
// The request may not go on: it ran past limits.request_budget_seconds, the service is
// stopping, or the client went away. 503 {"error": "over_budget"} if the reply has not started;
// a started stream is cut. Thrown by check_request_budget().
struct over_budget : error {
  using error::error;
};

// What the client is told about a failed request.
struct error_reply {
  int status;
  std::string kind;     // the JSON body's "error"
  std::string message;  // the JSON body's "message"
  bool internal;        // a fault of the service (5xx other than 503): log it, tell the client little
};

// By type: invalid_argument (time_limit_exceeded and no_usable_data among them) 400,
// unauthorized 401, forbidden 403, not_found 404, too_large 413, over_budget 503; data_error
// (the service's own store is corrupt) 500 "data_error", anything else 500 "internal". A 4xx or
// 503 carries the exception's text made public (public_message); a 500 a fixed text, since the
// full one names files and internals and goes to the log (log_text in core/error.hpp).
error_reply reply_for(const std::exception& e);

// Error text for clients: the service's own folders (the store, the shipped filters) are not
// theirs to see, so an absolute path of two or more parts keeps its last part
// ("no shipped filter 'x' in filters"). Source locations never reach what() (core/error.hpp).
std::string public_message(const std::string& what);

}  // namespace specmill::rest
