// amct/pipeline/impl/executor.ipp: the definitions of <amct/pipeline/executor.hpp> (header-only: included by
// it; separate compilation: by <amct/src.hpp>).
#pragma once

#include <amct/pipeline/executor.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL executor thread_executor(std::size_t threads)
{
    if (threads == 0)
    {
        threads = std::max(1u, std::thread::hardware_concurrency());
    }
    return [threads](std::size_t n, const std::function<void(std::size_t)>& task)
    {
        std::atomic<std::size_t> next{0};
        const auto work = [&]
        {
            for (std::size_t i; (i = next++) < n;)
            {
                task(i);
            }
        };
        std::vector<std::thread> pool;
        try
        {
            for (std::size_t t = 1; t < std::min(threads, n); ++t)
            {
                pool.emplace_back(work);
            }
        }
        catch (const std::system_error&)  // no more threads: those running take the remaining tasks
        {
        }
        work();
        for (auto& t : pool)
        {
            t.join();
        }
    };
}
}  // namespace AMCT_ABI
}  // namespace amct
