// amct/detail/contiguous.hpp: access to any xtensor expression as contiguous row-major float32 data,
// evaluating it once only when it is not already laid out that way; shapes split around an axis.
#pragma once

#include <algorithm>    // std::copy
#include <array>        // std::array, std::tuple_size
#include <cstddef>      // std::size_t, std::ptrdiff_t
#include <string>       // std::to_string
#include <type_traits>  // std::is_same_v, std::decay_t, std::void_t
#include <utility>      // std::declval
#include <vector>       // std::vector

#include <amct/base/error.hpp>
#include <amct/base/macros.hpp>
#include <amct/detail/xtensor.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
namespace detail
{
/// The number of elements of a row-major shape (1 for rank 0).
inline std::size_t element_count(const std::vector<std::size_t>& shape) noexcept
{
    std::size_t n = 1;
    for (std::size_t d : shape)
    {
        n *= d;
    }
    return n;
}

template <class T>
struct is_std_array : std::false_type
{
};

template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type
{
};

/// xt::xtensor<T, N> when E has a static rank N, else xt::xarray<T>.
template <class E, class T, class Shape = typename std::decay_t<E>::shape_type>
struct result_container
{
    using type = xt::xarray<T>;
};

template <class E, class T, class I, std::size_t N>
struct result_container<E, T, std::array<I, N>>
{
    using type = xt::xtensor<T, N>;
};

template <class E, class T>
using result_container_t = typename result_container<E, T>::type;

/// True if E's data() and data_offset() can be called (some expressions report a data interface they lack).
template <class E, class = void>
struct has_usable_data : std::false_type
{
};

template <class E>
struct has_usable_data<
  E,
  std::void_t<decltype(std::declval<const E&>().data() + std::declval<const E&>().data_offset()),
              decltype(std::declval<const typename E::storage_type&>().data())>>
  : std::bool_constant<xt::has_data_interface<E>::value
                       && std::is_pointer_v<decltype(std::declval<const typename E::storage_type&>().data())>>
{
};

/// True if `e` exposes row-major contiguous storage (a container, or a view such as a leading slice).
template <class E>
inline bool is_row_major_contiguous(const E& e)
{
    if constexpr (has_usable_data<E>::value)
    {
        const auto& shape = e.shape();
        const auto& strides = e.strides();
        std::ptrdiff_t expected = 1;
        for (std::size_t d = shape.size(); d-- > 0;)
        {
            if (shape[d] != 1 && static_cast<std::ptrdiff_t>(strides[d]) != expected)
            {
                return false;
            }
            expected *= static_cast<std::ptrdiff_t>(shape[d]);
        }
        return true;
    }
    else
    {
        return false;
    }
}

/// @brief The elements of an expression as contiguous row-major data of type T: a pointer into the
/// expression's own storage when possible, else into an evaluated copy held by this object.
template <class T>
class contiguous_data
{
public:
    template <class E>
    explicit contiguous_data(const E& e)
      : m_shape(e.shape().begin(), e.shape().end())
    {
        if constexpr (has_usable_data<E>::value && std::is_same_v<typename E::value_type, T>)
        {
            if (is_row_major_contiguous(e))
            {
                m_data = e.data() + e.data_offset();
                return;
            }
        }
        m_owned = e;  // xt::xarray<T> assignment evaluates (and converts) in row-major order
        m_data = m_owned.data();
    }

    contiguous_data(const contiguous_data&) = delete;
    contiguous_data& operator=(const contiguous_data&) = delete;

    const T* data() const noexcept
    {
        return m_data;
    }

    const std::vector<std::size_t>& shape() const noexcept
    {
        return m_shape;
    }

    std::size_t size() const noexcept
    {
        return element_count(m_shape);
    }

private:
    std::vector<std::size_t> m_shape;
    xt::xarray<T, xt::layout_type::row_major> m_owned;
    const T* m_data = nullptr;
};

/// A row-major container of T with the shape (and static rank, when E has one) of E.
template <class E, class T, class Shape>
inline result_container_t<E, T> make_result(const Shape& shape)
{
    using result = result_container_t<E, T>;
    typename result::shape_type s;
    if constexpr (is_std_array<typename result::shape_type>::value)
    {
        if constexpr (std::tuple_size<typename result::shape_type>::value > 0)
        {
            std::copy(shape.begin(), shape.end(), s.begin());
        }
    }
    else
    {
        s.assign(shape.begin(), shape.end());
    }
    return result::from_shape(s);
}

/// `w` itself when it is an xt::xarray<float>, else its evaluation.
template <class E>
inline decltype(auto) float_array(const xt::xexpression<E>& w)
{
    if constexpr (std::is_same_v<E, xt::xarray<float>>)
    {
        return w.derived_cast();
    }
    else
    {
        return xt::xarray<float>(w.derived_cast());
    }
}

/// Resolves a possibly negative axis against `rank`, or throws shape_error.
inline std::size_t normalize_axis(std::ptrdiff_t axis, std::size_t rank)
{
    const auto r = static_cast<std::ptrdiff_t>(rank);
    if (axis < -r || axis >= r)
    {
        throw_error<shape_error>("per_channel axis " + std::to_string(axis) + " is out of range for a rank-"
                                 + std::to_string(rank) + " tensor");
    }
    return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

/// A shape split around `axis`: outer = prod(shape[:axis]), channels = shape[axis], inner =
/// prod(shape[axis+1:]).
struct axis_split
{
    std::size_t outer = 1;
    std::size_t channels = 1;
    std::size_t inner = 1;
};

inline axis_split split_at(const std::vector<std::size_t>& shape, std::size_t axis) noexcept
{
    axis_split s;
    for (std::size_t d = 0; d < shape.size(); ++d)
    {
        (d < axis ? s.outer : (d == axis ? s.channels : s.inner)) *= shape[d];
    }
    return s;
}
}  // namespace detail
}  // namespace AMCT_ABI
}  // namespace amct
