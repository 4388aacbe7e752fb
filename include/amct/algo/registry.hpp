// amct/algo/registry.hpp: what is derived from the algorithm lists of amct/algo/algorithms.hpp: the variants
// of parameters, names and lookups by config-file name, and any_observer, which holds any activation observer
// behind one interface.
#pragma once

#include <array>        // std::array
#include <memory>       // std::unique_ptr
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <tuple>        // std::apply
#include <type_traits>  // std::enable_if_t, std::is_base_of_v
#include <variant>      // std::variant, std::visit
#include <vector>       // std::vector

#include <amct/algo/algorithms.hpp>
#include <amct/detail/contiguous.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
template <class A, class B>
struct concat_lists;

template <class... A, class... B>
struct concat_lists<algorithm_list<A...>, algorithm_list<B...>>
{
    using type = algorithm_list<A..., B...>;
};

template <class List>
struct list_names;

template <class... P>
struct list_names<algorithm_list<P...>>
{
    static constexpr std::array<std::string_view, sizeof...(P)> value = {P::name...};
};

template <class P, class = void>
struct has_observer : std::false_type
{
};

template <class P>
struct has_observer<P, std::void_t<typename P::observer>> : std::true_type
{
};
}  // namespace detail

/// Every algorithm: the activation algorithms, then the weight algorithms.
using all_algorithms = detail::concat_lists<activation_algorithms, weight_algorithms>::type;

/// The parameters of an activation algorithm; the alternative says which (act_algo).
using activation_params = activation_algorithms::variant;

/// The parameters of a weight algorithm (wts_algo).
using weight_params = weight_algorithms::variant;

/// The parameters of any algorithm.
using algorithm_params = all_algorithms::variant;

/// The same parameters as another variant that holds their type (activation_params -> algorithm_params).
template <class To, class... From>
inline To widen(const std::variant<From...>& v)
{
    return std::visit(
      [](const auto& x) -> To
      {
          return x;
      },
      v);
}

/// Config-file names of every algorithm, in the order of all_algorithms.
inline constexpr auto algorithm_names = detail::list_names<all_algorithms>::value;

/// The config-file name of the algorithm `p` configures (any variant of parameter structs).
template <class... P>
inline std::string_view algorithm_name(const std::variant<P...>& p) noexcept
{
    return std::visit(
      [](const auto& x)
      {
          return std::decay_t<decltype(x)>::name;
      },
      p);
}

/// @brief Calls f(P{}) for the algorithm of `List` called `name`. @return false when there is none.
template <class List, class F>
inline bool visit_algorithm(std::string_view name, F&& f)
{
    bool found = false;
    std::apply(
      [&](auto... defaults)
      {
          ((!found && decltype(defaults)::name == name ? (f(defaults), found = true) : false), ...);
      },
      typename List::defaults{});
    return found;
}

/// "ifmr or hfmg (extensions: max, percentile, kl, mse)": the names of `List`, AMCT's first.
template <class List>
inline std::string algorithm_choices()
{
    std::vector<std::string_view> amct, extensions;
    std::apply(
      [&](auto... defaults)
      {
          ((decltype(defaults)::extension ? extensions : amct).push_back(decltype(defaults)::name), ...);
      },
      typename List::defaults{});
    std::string s;
    for (std::size_t i = 0; i < amct.size(); ++i)
    {
        s += (i == 0 ? "" : i + 1 == amct.size() ? " or " : ", ") + std::string(amct[i]);
    }
    for (std::size_t i = 0; i < extensions.size(); ++i)
    {
        s += (i == 0 ? " (extensions: " : ", ") + std::string(extensions[i]);
    }
    return extensions.empty() ? s : s + ")";
}

/// @brief Default parameters of the algorithm called `name`.
/// @throws unsupported_error naming the unknown name and listing the known ones.
inline algorithm_params default_params(std::string_view name)
{
    algorithm_params out;
    if (!visit_algorithm<all_algorithms>(name,
                                         [&](auto p)
                                         {
                                             out = p;
                                         }))
    {
        std::string known;
        for (const auto n : algorithm_names)
        {
            known += (known.empty() ? "" : ", ") + std::string(n);
        }
        detail::throw_error<unsupported_error>("calibration algorithm \"" + std::string(name)
                                               + "\" (known: " + known + ")");
    }
    return out;
}

/// Whether observers of these parameters merge exactly: merging observers that saw parts of the batches, in
/// any grouping and order, gives the result of one observer fed every batch in order, bit for bit. False for
/// HFMG, whose re-binning depends on the order (docs/algorithms.md; hfmg_segments restores the order), and
/// for weight algorithms, which have no observer.
inline bool merge_is_exact(const algorithm_params& p) noexcept
{
    return std::visit(
      [](const auto& x)
      {
          using P = std::decay_t<decltype(x)>;
          if constexpr (detail::has_observer<P>::value)
          {
              return P::observer::exact_merge;
          }
          else
          {
              return false;
          }
      },
      p);
}

/// @brief Any activation observer (not arq_quantize, which calibrates weights: see arq()), chosen at run
/// time. Same contract as the typed observers (amct/algo/observer.hpp).
class any_observer
{
public:
    /// @throws unsupported_error for arq_quantize; value_error for invalid parameters (naming the layer).
    template <class... Alternatives>
    any_observer(const std::variant<Alternatives...>& params, std::string layer)
    {
        std::visit(
          [&](const auto& p)
          {
              using P = std::decay_t<decltype(p)>;
              if constexpr (!detail::has_observer<P>::value)
              {
                  detail::throw_error<unsupported_error>(std::string(P::name)
                                                         + " calibrates weights, not activations (layer \""
                                                         + layer + "\"); use amct::arq");
              }
              else
              {
                  using O = typename P::observer;
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

    /// observe, with messages naming the batch by `index` (its global index in an indexed_observer).
    void observe_as(std::size_t index, const float* x, const std::vector<std::size_t>& shape)
    {
        m_impl->label_batches(index);
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
        std::apply(
          [&](auto... defaults)
          {
              (
                [&](auto p)
                {
                    using O = typename decltype(p)::observer;
                    if (!o.m_impl && name == O::algorithm)
                    {
                        o.m_impl = std::make_unique<model<O>>(O::load(bytes));
                    }
                }(defaults),
                ...);
          },
          activation_algorithms::defaults{});
        if (!o.m_impl)
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
        virtual void label_batches(std::size_t index) = 0;
        virtual void merge(const concept_t& other) = 0;
        virtual calibration_result compute() const = 0;
        virtual std::string save() const = 0;
    };

    template <class O>
    struct model final : concept_t
    {
        static_assert(is_observer_v<O>,
                      "amct: any_observer: O does not follow the observer contract (observer.hpp)");

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
            obs.observe(x, shape);
        }

        void label_batches(std::size_t index) override
        {
            obs.label_batches(index);
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
