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
  // Every rank needs the whole list's places (its share's rows span it); each resolves a block.
  const auto resolved = resolve_ids_ranks(comm, st.catalog(), opts.context, std::move(ids));
  batch_test_hook(comm, "stack");
  const stack_result r = compute_stack(opts, st, resolved, &comm);
  if (comm.rank() == 0) write_stack(opts, r);
  return r.summary;
}

}  // namespace specmill
