// `specmill batch <command>`: a command run by every rank of an MPI job
//   mpirun -np 4 specmill batch stack --store S --ids list.txt --method median --out m.npz
// with the single-process command's options and output (docs/scale-out.md). Without mpirun, or
// in a build without MPI, it runs as one rank. A rank that fails ends the whole job: it logs
// its rank and the reason, then aborts every rank (MPI_Abort), so no rank is left waiting.
#include <spdlog/spdlog.h>

#include <exception>
#include <functional>

#include "api/cli/command.hpp"
#include "api/cli/get_args.hpp"
#include "api/cli/image_args.hpp"
#include "api/cli/ingest_args.hpp"
#include "api/cli/photometry_args.hpp"
#include "api/cli/span_args.hpp"
#include "api/cli/stack_args.hpp"
#include "core/error.hpp"
#include "engine/batch/batch_get.hpp"
#include "engine/batch/batch_image.hpp"
#include "engine/batch/batch_ingest.hpp"
#include "engine/batch/batch_job.hpp"
#include "engine/batch/batch_photometry.hpp"
#include "engine/batch/batch_span.hpp"
#include "engine/batch/batch_stack.hpp"

namespace {

using specmill::communicator;

int exit_code_of(const std::exception& e) {
  if (dynamic_cast<const specmill::invalid_argument*>(&e)) return specmill::cli::exit_usage;
  if (dynamic_cast<const specmill::not_found*>(&e)) return specmill::cli::exit_not_found;
  return specmill::cli::exit_failure;
}

void run_job(const std::function<void(const communicator&)>& job) {
  communicator comm;
  // Before anything touches CUDA (the options' --device auto looks for a device).
  const int gpu = specmill::bind_rank_device(comm);
  if (comm.size() > 1) {
    spdlog::set_pattern("%^%l%$: [rank " + std::to_string(comm.rank()) + "/" + std::to_string(comm.size()) + "] %v");
    // One voice for progress and summaries: the other ranks say only what goes wrong.
    if (comm.rank() != 0 && spdlog::get_level() < spdlog::level::warn) spdlog::set_level(spdlog::level::warn);
  }
  int threads = 0;
  const auto thread_limit = specmill::limit_rank_threads(comm, &threads);
  spdlog::debug("batch: rank {} of {} (node rank {} of {}), MPI {}, {} threads, GPU {}", comm.rank(), comm.size(),
                comm.node_rank(), comm.node_size(), communicator::mpi_compiled() ? "on" : "not compiled", threads, gpu);
  try {
    job(comm);
  } catch (const std::exception& e) {
    if (comm.size() == 1) throw;  // one process: main() reports it and picks the exit code
    spdlog::error("rank {} of {} failed, ending the job: {}", comm.rank(), comm.size(), e.what());
    if (const auto* located = dynamic_cast<const specmill::error*>(&e); located && !located->where().empty())
      spdlog::debug("thrown at {}", located->where());
    spdlog::default_logger()->flush();
    comm.abort(exit_code_of(e));
  }
}

void add_stack(CLI::App& batch) {
  auto* sub = batch.add_subcommand("stack", "`stack` over the ranks: the same options, the same bytes out");
  auto a = std::make_shared<specmill::cli::stack_args>();
  specmill::cli::add_stack_options(*sub, *a);
  sub->callback([a] {
    run_job([&](const communicator& comm) {
      specmill::cli::finish_stack_args(*a);
      if (comm.rank() != 0) a->opts.progress = false;
      const auto s = specmill::run_batch_stack(comm, a->opts, specmill::broadcast_id_list(comm, a->ids));
      if (comm.rank() == 0) specmill::cli::report_stack(*a, s);
    });
  });
}

void add_photometry(CLI::App& batch) {
  auto* sub = batch.add_subcommand("photometry", "`photometry` over the ranks: the same options, the same CSV out");
  auto a = std::make_shared<specmill::cli::photometry_args>();
  specmill::cli::add_photometry_options(*sub, *a);
  sub->callback([a] {
    run_job([&](const communicator& comm) {
      specmill::cli::finish_photometry_args(*a);
      if (comm.rank() != 0) a->opts.progress = false;
      const auto s = specmill::run_batch_photometry(comm, a->opts, specmill::broadcast_id_list(comm, a->ids));
      if (comm.rank() == 0) specmill::cli::report_photometry(*a, s);
    });
  });
}

void add_image(CLI::App& batch) {
  auto* sub = batch.add_subcommand("image", "`image` over the ranks: the same options, the same PNG or .npy out");
  auto a = std::make_shared<specmill::cli::image_args>();
  specmill::cli::add_image_options(*sub, *a);
  sub->callback([a] {
    run_job([&](const communicator& comm) {
      specmill::cli::finish_image_args(*a);
      if (comm.rank() != 0) a->opts.progress = false;
      const auto s = specmill::run_batch_image(comm, a->opts, specmill::broadcast_id_list(comm, a->ids), a->out);
      if (comm.rank() == 0) specmill::cli::report_image(*a, s);
    });
  });
}

void add_get(CLI::App& batch) {
  auto* sub = batch.add_subcommand("get", "`get` (stored form) over the ranks: the same options, the same file out");
  auto a = std::make_shared<specmill::cli::get_args>();
  specmill::cli::add_get_options(*sub, *a);
  sub->callback([a] {
    run_job([&](const communicator& comm) {
      specmill::cli::finish_get_args(*a);
      if (a->opts.camera || a->opts.with_resolution)
        throw specmill::invalid_argument("--camera and --with-resolution are not distributed: run `specmill get`");
      if (comm.rank() != 0) a->opts.progress = false;
      const auto s = specmill::run_batch_get(comm, a->opts, specmill::broadcast_id_list(comm, a->ids));
      if (comm.rank() == 0) specmill::cli::report_get(*a, s);
    });
  });
}

void add_span(CLI::App& batch) {
  auto* sub = batch.add_subcommand("span", "`span` over the ranks: the same options, the same JSON out");
  auto a = std::make_shared<specmill::cli::span_args>();
  specmill::cli::add_span_options(*sub, *a);
  sub->callback([a] {
    // A list none of whose IDs has pixels is an answer every rank agrees on, not a failed rank:
    // raised on rank 0 once MPI has ended, as `specmill span` raises it (exit 3), no MPI_Abort.
    std::exception_ptr none_found;
    run_job([&](const communicator& comm) {
      const auto r = specmill::run_batch_span(comm, a->store, a->context, specmill::broadcast_id_list(comm, a->ids));
      if (comm.rank() != 0) return;
      if (r.found == 0)
        none_found = std::make_exception_ptr(specmill::batch_span_none_found(r.requested));
      else
        specmill::cli::print_span(r);
    });
    if (none_found) std::rethrow_exception(none_found);
  });
}

void add_ingest(CLI::App& batch) {
  auto* sub = batch.add_subcommand(
      "ingest", "SDSS `ingest` over the ranks: every rank decodes files and writes its own blocks, rank 0 commits the catalog");
  auto a = std::make_shared<specmill::cli::ingest_args>();
  specmill::cli::add_ingest_options(*sub, *a);
  sub->callback([a] {
    int refused = 0;  // report_ingest's exit 1 (nothing ingested, --strict), raised after MPI ends
    run_job([&](const communicator& comm) {
      specmill::cli::finish_ingest_args(*a);
      // Reads the store only: nothing to share among ranks.
      if (a->check_stale)
        throw specmill::invalid_argument("--check-stale is not distributed: run `specmill ingest --check-stale`");
      if (comm.rank() != 0) a->opts.progress = false;
      const auto s = specmill::run_batch_ingest(comm, a->opts);
      if (comm.rank() != 0) return;
      try {
        specmill::cli::report_ingest(*a, s);
      } catch (const CLI::RuntimeError& e) {
        refused = e.get_exit_code();  // not a failed rank: the store is complete, so no MPI_Abort
      }
    });
    if (refused) throw CLI::RuntimeError(refused);
  });
}

const bool registered = specmill::cli::add_command(
    {"batch", "Run stack, photometry, image, get, span or ingest over the ranks of an MPI job (mpirun -np N specmill batch <command> ...)",
     [](CLI::App& sub) {
       sub.require_subcommand(1);
       add_stack(sub);
       add_photometry(sub);
       add_image(sub);
       add_get(sub);
       add_span(sub);
       add_ingest(sub);
     }});

}  // namespace
