// amct/algo/registry.hpp: calibration algorithms chosen at run time by their config-file names
// (ifmr, hfmg, arq_quantize, max, percentile, kl, mse), each with its typed parameter struct, and
// any_observer, which holds any activation observer behind one interface.
#pragma once

#include <memory>       // std::unique_ptr
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <type_traits>  // std::enable_if_t, std::is_base_of_v
#include <variant>      // std::variant, std::visit
#include <vector>       // std::vector

#include <amct/algo/hfmg.hpp>
#include <amct/algo/ifmr.hpp>
#include <amct/algo/kl.hpp>
#include <amct/algo/max.hpp>
#include <amct/algo/mse.hpp>
#include <amct/algo/percentile.hpp>
#include <amct/detail/contiguous.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// The parameters of any algorithm; the alternative says which algorithm.
using algorithm_params =
  std::variant<ifmr_params, hfmg_params, arq_params, max_params, percentile_params, kl_params, mse_params>;

/// Config-file name of each alternative of algorithm_params, in order.
inline constexpr std::string_view algorithm_names[] =
  {"ifmr", "hfmg", "arq_quantize", "max", "percentile", "kl", "mse"};

/// The name of the algorithm `p` configures.
inline std::string_view algorithm_name(const algorithm_params& p) noexcept
{
    return algorithm_names[p.index()];
}

/// @brief Default parameters of the algorithm called `name`.
/// @throws unsupported_error naming the unknown name and listing the known ones.
inline algorithm_params default_params(std::string_view name)
{
    if (name == "ifmr")
    {
        return ifmr_params{};
    }
    if (name == "hfmg")
    {
        return hfmg_params{};
    }
    if (name == "arq_quantize")
    {
        return arq_params{};
    }
    if (name == "max")
    {
        return max_params{};
    }
    if (name == "percentile")
    {
        return percentile_params{};
    }
    if (name == "kl")
    {
        return kl_params{};
    }
    if (name == "mse")
    {
        return mse_params{};
    }
    detail::throw_error<unsupported_error>(
      "calibration algorithm \"" + std::string(name)
      + "\" (known: ifmr, hfmg, arq_quantize, max, percentile, kl, mse)");
}

/// Whether observers of these parameters merge exactly: merging observers that saw parts of the batches, in
/// any grouping and order, gives the result of one observer fed every batch in order, bit for bit. True for
/// all but HFMG, whose re-binning depends on the order (docs/algorithms.md; hfmg_segments restores the
/// order).
inline bool merge_is_exact(const algorithm_params& p) noexcept
{
    return !std::holds_alternative<hfmg_params>(p) && !std::holds_alternative<arq_params>(p);
}

namespace detail
{
/// The observer class of each activation algorithm's parameters.
template <class P>
struct observer_of;

template <>
struct observer_of<ifmr_params>
{
    using type = ifmr_observer;
};

template <>
struct observer_of<hfmg_params>
{
    using type = hfmg_observer;
};

template <>
struct observer_of<max_params>
{
    using type = max_observer;
};

template <>
struct observer_of<percentile_params>
{
    using type = percentile_observer;
};

template <>
struct observer_of<kl_params>
{
    using type = kl_observer;
};

template <>
struct observer_of<mse_params>
{
    using type = mse_observer;
};
}  // namespace detail

/// @brief Any activation observer (not arq_quantize, which calibrates weights: see arq()), chosen at run
/// time. Same contract as the typed observers (amct/algo/observer.hpp).
class any_observer
{
public:
    /// @throws unsupported_error for arq_quantize; value_error for invalid parameters (naming the layer).
    any_observer(const algorithm_params& params, std::string layer)
    {
        std::visit(
          [&](const auto& p)
          {
              using P = std::decay_t<decltype(p)>;
              if constexpr (std::is_same_v<P, arq_params>)
              {
                  detail::throw_error<unsupported_error>(
                    "arq_quantize calibrates weights, not activations (layer \"" + layer
                    + "\"); use amct::arq");
              }
              else
              {
                  using O = typename detail::observer_of<P>::type;
                  m_impl = std::make_unique<model<O>>(O(p, layer));
              }
          },
          params);
    }

    /// Holds a typed observer (ifmr_observer, hfmg_observer, ...).
    template <class O, class = std::enable_if_t<std::is_base_of_v<observer_base, O>>>
    explicit any_observer(O observer)
      : m_impl(std::make_unique<model<O>>(std::move(observer)))
    {
    }

    any_observer(const any_observer& o)
      : m_impl(o.m_impl->clone())
    {
    }

    any_observer& operator=(const any_observer& o)
    {
        m_impl = o.m_impl->clone();
        return *this;
    }

    any_observer(any_observer&&) noexcept = default;
    any_observer& operator=(any_observer&&) noexcept = default;

    std::string_view algorithm() const noexcept
    {
        return m_impl->algorithm();
    }

    const std::string& layer() const noexcept
    {
        return m_impl->base().layer();
    }

    algorithm_params params() const
    {
        return m_impl->params();
    }

    std::size_t batches() const noexcept
    {
        return m_impl->base().batches();
    }

    template <class E>
    void observe(const xt::xexpression<E>& batch)
    {
        const detail::contiguous_data<float> in(batch.derived_cast());
        m_impl->observe(in.data(), in.shape());
    }

    void observe(const float* x, const std::vector<std::size_t>& shape)
    {
        m_impl->observe(x, shape);
    }

    /// @throws value_error if `other` runs another algorithm or other parameters.
    void merge(const any_observer& other)
    {
        m_impl->merge(*other.m_impl);
    }

    calibration_result compute() const
    {
        return m_impl->compute();
    }

    std::string save() const
    {
        return m_impl->save();
    }

    /// Loads the state of any observer, whatever its algorithm. @throws state_error.
    static any_observer load(const std::string& bytes)
    {
        const std::string name = state_reader::algorithm_of(bytes);
        any_observer o;
        if (name == ifmr_observer::algorithm)
        {
            o.m_impl = std::make_unique<model<ifmr_observer>>(ifmr_observer::load(bytes));
        }
        else if (name == hfmg_observer::algorithm)
        {
            o.m_impl = std::make_unique<model<hfmg_observer>>(hfmg_observer::load(bytes));
        }
        else if (name == max_observer::algorithm)
        {
            o.m_impl = std::make_unique<model<max_observer>>(max_observer::load(bytes));
        }
        else if (name == percentile_observer::algorithm)
        {
            o.m_impl = std::make_unique<model<percentile_observer>>(percentile_observer::load(bytes));
        }
        else if (name == kl_observer::algorithm)
        {
            o.m_impl = std::make_unique<model<kl_observer>>(kl_observer::load(bytes));
        }
        else if (name == mse_observer::algorithm)
        {
            o.m_impl = std::make_unique<model<mse_observer>>(mse_observer::load(bytes));
        }
        else
        {
            detail::throw_error<state_error>("state of an unknown algorithm \"" + name + "\"");
        }
        return o;
    }

private:
    any_observer() = default;

    struct concept_t
    {
        virtual ~concept_t() = default;
        virtual std::unique_ptr<concept_t> clone() const = 0;
        virtual std::string_view algorithm() const noexcept = 0;
        virtual const observer_base& base() const noexcept = 0;
        virtual algorithm_params params() const = 0;
        virtual void observe(const float* x, const std::vector<std::size_t>& shape) = 0;
        virtual void merge(const concept_t& other) = 0;
        virtual calibration_result compute() const = 0;
        virtual std::string save() const = 0;
    };

    template <class O>
    struct model final : concept_t
    {
        explicit model(O o)
          : obs(std::move(o))
        {
        }

        std::unique_ptr<concept_t> clone() const override
        {
            return std::make_unique<model>(*this);
        }

        std::string_view algorithm() const noexcept override
        {
            return O::algorithm;
        }

        const observer_base& base() const noexcept override
        {
            return obs;
        }

        algorithm_params params() const override
        {
            return obs.params();
        }

        void observe(const float* x, const std::vector<std::size_t>& shape) override
        {
            if constexpr (std::is_same_v<O, ifmr_observer> || std::is_same_v<O, hfmg_observer>)
            {
                const std::size_t n = detail::element_count(shape);
                obs.observe(x, n);
            }
            else
            {
                obs.observe(x, shape);
            }
        }

        void merge(const concept_t& other) override
        {
            const auto* o = dynamic_cast<const model*>(&other);
            if (!o)
            {
                detail::throw_error<value_error>("layer \"" + obs.layer() + "\": cannot merge a \""
                                                 + std::string(other.algorithm()) + "\" observer into a \""
                                                 + std::string(O::algorithm) + "\" observer");
            }
            obs.merge(o->obs);
        }

        calibration_result compute() const override
        {
            return obs.compute();
        }

        std::string save() const override
        {
            return obs.save();
        }

        O obs;
    };

    std::unique_ptr<concept_t> m_impl;
};

}  // namespace AMCT_ABI
}  // namespace amct
