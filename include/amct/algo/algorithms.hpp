// amct/algo/algorithms.hpp: the registration of every algorithm, one line each. A new algorithm is its header
// (its parameter struct, declared once with amct/algo/param.hpp, and its observer) plus its name in one of
// these lists; the variants, names, readers, writers, validation and the tuners' method list derive from them
// (amct/algo/registry.hpp, amct/config, amct/dsl, amct/analysis/candidates.hpp; docs/architecture.md).
#pragma once

#include <cstddef>  // std::size_t
#include <tuple>    // std::tuple
#include <variant>  // std::variant

#include <amct/algo/arq.hpp>
#include <amct/algo/hfmg.hpp>
#include <amct/algo/ifmr.hpp>
#include <amct/algo/kl.hpp>
#include <amct/algo/max.hpp>
#include <amct/algo/mse.hpp>
#include <amct/algo/percentile.hpp>
#include <amct/base/macros.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// A list of parameter structs; `variant` holds any one of them.
template <class... P>
struct algorithm_list
{
    using variant = std::variant<P...>;
    using defaults = std::tuple<P...>;  ///< one default-constructed parameter struct of each
    static constexpr std::size_t size = sizeof...(P);
};

/// Activation calibration (act_algo); the first is the default, AMCT's IFMR.
using activation_algorithms =
  algorithm_list<ifmr_params, hfmg_params, max_params, percentile_params, kl_params, mse_params>;

/// Weight calibration (wts_algo); the first is the default, AMCT's ARQ.
using weight_algorithms = algorithm_list<arq_params>;
}  // namespace AMCT_ABI
}  // namespace amct
