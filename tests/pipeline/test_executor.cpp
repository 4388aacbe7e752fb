// amct/pipeline/executor.hpp: executors run every task once; the error of the lowest failing index wins.
#include <atomic>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <amct/pipeline/executor.hpp>

#include "test_support.hpp"

namespace
{
using amct_test::error_of;
}  // namespace

TEST_SUITE("indexed observer")
{
    TEST_CASE("executors run every task once; the error of the lowest failing index wins")
    {
        for (const amct::executor& exec : {amct::executor{}, amct::thread_executor(3)})
        {
            std::vector<std::atomic<int>> runs(100);
            const std::string e = error_of<std::runtime_error>(
              [&]
              {
                  amct::detail::run_tasks(exec,
                                          runs.size(),
                                          [&](std::size_t i)
                                          {
                                              ++runs[i];
                                              if (i % 30 == 29)
                                              {
                                                  throw std::runtime_error("task " + std::to_string(i));
                                              }
                                          });
              });
            CHECK_EQ(e, "task 29");
            for (const auto& r : runs)
            {
                CHECK_EQ(r.load(), 1);
            }
            std::vector<std::size_t> backwards(runs.size());  // run in another order: the same error
            std::iota(backwards.rbegin(), backwards.rend(), std::size_t{0});
            CHECK_EQ(error_of<std::runtime_error>(
                       [&]
                       {
                           amct::detail::run_tasks(exec,
                                                   backwards,
                                                   [&](std::size_t i)
                                                   {
                                                       ++runs[i];
                                                       if (i % 30 == 29)
                                                       {
                                                           throw std::runtime_error("task "
                                                                                    + std::to_string(i));
                                                       }
                                                   });
                       }),
                     "task 29");
            for (const auto& r : runs)
            {
                CHECK_EQ(r.load(), 2);
            }
        }
    }
}
