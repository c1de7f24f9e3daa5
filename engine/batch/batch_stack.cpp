#include "engine/batch/batch_stack.hpp"

#include "core/error.hpp"
#include "engine/batch/batch_job.hpp"

namespace specmill {

stack_summary run_batch_stack(const communicator& comm, const stack_options& opts, std::vector<spectrum_id> ids) {
  check_stack_options(opts);
  SPECMILL_EXPECTS(!opts.out.empty(), "no output path (--out)");
  store st(opts.store, store::access::read);
  SPECMILL_EXPECTS(st.catalog().has_context(opts.context),
                   "unknown context '" + opts.context + "' in store " + opts.store.string());
  // Every rank resolves the whole list: each needs every row's place (its groups or its pixels
  // span the list), and the catalog is read-only and shared.
  const auto resolved = resolve_ids(st.catalog(), opts.context, std::move(ids));
  batch_test_hook(comm, "stack");
  const stack_result r = compute_stack(opts, st, resolved, &comm);
  if (comm.rank() == 0) write_stack(opts, r);
  return r.summary;
}

}  // namespace specmill
