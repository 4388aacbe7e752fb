// amct/pipeline/executor.hpp: how the calibration session spreads its per-layer work (ARQ at set-up, the
// observers' searches at finalize) over threads. An executor runs task(0) ... task(n - 1), in any order and
// possibly at once, and returns when all have finished; it may be the caller's own thread pool. amct hands it
// tasks that never throw (each keeps its error) and then rethrows the error of the lowest failing index, so
// errors, like results, do not depend on the schedule.
#pragma once

#include <algorithm>     // std::min
#include <atomic>        // std::atomic
#include <cstddef>       // std::size_t
#include <exception>     // std::exception_ptr
#include <functional>    // std::function
#include <numeric>       // std::iota
#include <system_error>  // std::system_error
#include <thread>        // std::thread
#include <utility>       // std::forward
#include <vector>        // std::vector

#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// Runs task(i) for every i in [0, n) and returns when all have returned. An empty executor runs the tasks
/// one after another on the calling thread.
using executor = std::function<void(std::size_t n, const std::function<void(std::size_t)>& task)>;

/// @brief An executor on `threads` threads: the caller and threads - 1 std::threads started for each call,
/// each taking the next index until none is left. 0 means std::thread::hardware_concurrency().
AMCT_DECL executor thread_executor(std::size_t threads = 0);

namespace detail
{
/// Runs task(order[0]), task(order[1]), ... through `exec` (in that order on this thread when it is empty;
/// largest tasks first balances threads best); rethrows the exception of the lowest index that threw.
template <class F>
void run_tasks(const executor& exec, const std::vector<std::size_t>& order, F&& task)
{
    std::vector<std::exception_ptr> errors(order.size());
    const std::function<void(std::size_t)> guarded = [&](std::size_t j)
    {
        try
        {
            task(order[j]);
        }
        catch (...)
        {
            errors[order[j]] = std::current_exception();
        }
    };
    if (exec)
    {
        exec(order.size(), guarded);
    }
    else
    {
        for (std::size_t j = 0; j < order.size(); ++j)
        {
            guarded(j);
        }
    }
    for (const auto& e : errors)
    {
        if (e)
        {
            std::rethrow_exception(e);
        }
    }
}

/// run_tasks over 0, 1, ..., n - 1.
template <class F>
void run_tasks(const executor& exec, std::size_t n, F&& task)
{
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    run_tasks(exec, order, std::forward<F>(task));
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/pipeline/impl/executor.ipp>
#endif
