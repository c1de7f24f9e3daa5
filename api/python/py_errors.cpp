// specmill::error types become the client's exceptions (specmill.errors), by type as the REST
// front maps them to status codes (api/rest/rest_errors.cpp): the same call raises the same
// exception class locally and over HTTP, with the status the service would have answered.
#include <pybind11/pybind11.h>

#include <exception>
#include <new>

#include "api/python/py_store.hpp"
#include "core/error.hpp"

namespace specmill::python {
namespace {

void raise(const char* cls_name, int status, const char* kind, const char* message) {
  const py::object cls = py::module_::import("specmill.errors").attr(cls_name);
  const py::object exc = cls(py::str(message), status, kind);
  PyErr_SetObject(cls.ptr(), exc.ptr());
}

}  // namespace

void add_errors(py::module_&) {
  py::register_exception_translator([](std::exception_ptr p) {
    if (!p) return;
    try {
      std::rethrow_exception(p);
    } catch (const no_usable_data& e) {
      raise("InvalidArgumentError", 400, "invalid_argument", e.what());  // every spectrum dropped: the request's
    } catch (const invalid_argument& e) {
      raise("InvalidArgumentError", 400, "invalid_argument", e.what());
    } catch (const not_found& e) {
      raise("NotFoundError", 404, "not_found", e.what());
    } catch (const data_error& e) {
      raise("ServerError", 500, "data_error", e.what());
    } catch (const error& e) {
      raise("ServerError", 500, "internal", e.what());
    } catch (const py::error_already_set&) {
      throw;  // a Python error raised inside a call stays what it is
    } catch (const py::builtin_exception&) {
      throw;
    } catch (const std::bad_alloc&) {
      throw;  // pybind11 makes it MemoryError
    } catch (const std::exception& e) {
      raise("ServerError", 500, "internal", e.what());
    }
  });
}

}  // namespace specmill::python
