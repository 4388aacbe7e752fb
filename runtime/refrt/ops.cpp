// The reference runtime's ops (executor.hpp: run_node, is_supported) with their ONNX semantics, opsets 7..17.
// Hot loops work on raw contiguous row-major buffers (tensor::data()); Conv is im2col + GEMM (gemm.hpp).
#include <algorithm>      // std::max, std::min, std::fill
#include <array>          // std::array
#include <cmath>          // std::exp, std::floor
#include <cstddef>        // std::size_t, std::ptrdiff_t
#include <cstdint>        // std::int64_t
#include <functional>     // std::function, std::plus, ...
#include <limits>         // std::numeric_limits
#include <string>         // std::string
#include <type_traits>    // std::invoke_result_t, std::is_same_v
#include <unordered_map>  // std::unordered_map
#include <utility>        // std::pair, std::move
#include <vector>         // std::vector

#include "executor.hpp"
#include "gemm.hpp"

namespace refrt
{
namespace
{
using i64 = std::int64_t;
using shape_t = std::vector<std::size_t>;
using args_t = std::vector<const tensor*>;
using outs_t = std::vector<tensor>;

[[noreturn]] void fail(const node& n, const std::string& what)
{
    throw model_error(n.where() + ": " + what);
}

std::string str(const shape_t& s)
{
    std::string out = "[";
    for (std::size_t k = 0; k < s.size(); ++k)
        out += (k ? ", " : "") + std::to_string(s[k]);
    return out + "]";
}

shape_t shape_of(const tensor& t)
{
    return shape_t(t.shape().begin(), t.shape().end());
}

std::size_t numel(const shape_t& s)
{
    std::size_t n = 1;
    for (const std::size_t d : s)
        n *= d;
    return n;
}

tensor make(const shape_t& s)
{
    return tensor::from_shape(s);
}

tensor make(const shape_t& s, float value)
{
    tensor t = tensor::from_shape(s);
    std::fill(t.data(), t.data() + t.size(), value);
    return t;
}

std::ptrdiff_t sgn(std::size_t v)
{
    return static_cast<std::ptrdiff_t>(v);
}

std::size_t usz(i64 v)
{
    return static_cast<std::size_t>(v);
}

/// Row-major strides of a shape.
std::vector<std::ptrdiff_t> strides_of(const shape_t& s)
{
    std::vector<std::ptrdiff_t> st(s.size());
    std::ptrdiff_t acc = 1;
    for (std::size_t k = s.size(); k-- > 0;)
    {
        st[k] = acc;
        acc *= sgn(s[k]);
    }
    return st;
}

/// A float holding an integer (shape, axis, pad, index) as int64; beyond +-2^63 (INT64_MAX as float) clamps.
i64 to_i64(float v)
{
    constexpr float limit = 9.2233715e18f;  // largest float below 2^63
    if (std::isnan(v))
        return 0;
    if (v >= limit)
        return std::numeric_limits<i64>::max();
    if (v <= -limit)
        return std::numeric_limits<i64>::min();
    return static_cast<i64>(v);
}

std::vector<i64> ints_of(const tensor& t)
{
    std::vector<i64> out(t.size());
    for (std::size_t e = 0; e < t.size(); ++e)
        out[e] = to_i64(t.data()[e]);
    return out;
}

const tensor& need(const node& n, const args_t& in, std::size_t k)
{
    if (k >= in.size() || in[k] == nullptr)
        fail(n, "input " + std::to_string(k) + " is required");
    return *in[k];
}

const tensor* opt(const args_t& in, std::size_t k)
{
    return k < in.size() ? in[k] : nullptr;
}

/// An axis in [-rank, rank) (or [-rank, rank] with extra = 1) made non-negative (negative: counted from
/// rank).
std::size_t norm_axis(const node& n, i64 axis, std::size_t rank, std::size_t extra = 0)
{
    const i64 r = static_cast<i64>(rank);
    if (axis < -r || axis >= r + static_cast<i64>(extra))
        fail(n, "axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
    return usz(axis < 0 ? axis + r : axis);
}

/// dst[out index] = src[base + sum idx_k * strides_k] for every index of `out` in row-major order.
void strided_copy(const float* src,
                  std::ptrdiff_t base,
                  const std::vector<std::ptrdiff_t>& strides,
                  const shape_t& out,
                  float* dst)
{
    const std::size_t total = numel(out);
    if (total == 0)
        return;
    if (out.empty())
    {
        dst[0] = src[base];
        return;
    }
    const std::size_t r = out.size();
    const std::size_t inner = out[r - 1];
    const std::ptrdiff_t is = strides[r - 1];
    std::vector<std::size_t> idx(r, 0);
    std::ptrdiff_t off = base;
    for (std::size_t o = 0; o < total; o += inner)
    {
        for (std::size_t j = 0; j < inner; ++j)
            dst[o + j] = src[off + sgn(j) * is];
        for (std::size_t k = r - 1; k-- > 0;)
        {
            off += strides[k];
            if (++idx[k] < out[k])
                break;
            off -= strides[k] * sgn(out[k]);
            idx[k] = 0;
        }
    }
}

// ---------------------------------------------------------------------------------------------- elementwise

template <class F>
tensor unary(const tensor& x, F f)
{
    tensor y = make(shape_of(x));
    const float* px = x.data();
    float* py = y.data();
    for (std::size_t e = 0, n = x.size(); e < n; ++e)
        py[e] = f(px[e]);
    return y;
}

/// Numpy multidirectional broadcasting of two shapes.
shape_t broadcast_shape(const node& n, const shape_t& a, const shape_t& b)
{
    const std::size_t r = std::max(a.size(), b.size());
    shape_t out(r);
    for (std::size_t k = 0; k < r; ++k)
    {
        const std::size_t da = k + a.size() >= r ? a[k + a.size() - r] : 1;
        const std::size_t db = k + b.size() >= r ? b[k + b.size() - r] : 1;
        if (da != db && da != 1 && db != 1)
            fail(n, "shapes " + str(a) + " and " + str(b) + " do not broadcast");
        out[k] = da == 1 ? db : da;
    }
    return out;
}

/// Strides of `s` read as broadcast to `out` (0 along broadcast dimensions).
std::vector<std::ptrdiff_t> broadcast_strides(const shape_t& s, const shape_t& out)
{
    const auto st = strides_of(s);
    std::vector<std::ptrdiff_t> res(out.size(), 0);
    for (std::size_t k = 0; k < s.size(); ++k)
        res[out.size() - s.size() + k] = s[k] == 1 ? 0 : st[k];
    return res;
}

/// Row-major data of shape `s` materialized at a broadcast shape.
tensor expand_to(const float* x, const shape_t& s, const shape_t& out)
{
    tensor y = make(out);
    strided_copy(x, 0, broadcast_strides(s, out), out, y.data());
    return y;
}

template <class F>
tensor binary(const node& n, const tensor& a, const tensor& b, F f)
{
    const shape_t sa = shape_of(a), sb = shape_of(b);
    const shape_t so = broadcast_shape(n, sa, sb);
    tensor y = make(so);
    const float* pa = a.data();
    const float* pb = b.data();
    float* py = y.data();
    const std::size_t total = y.size();
    if (sa == so && sb == so)
    {
        for (std::size_t e = 0; e < total; ++e)
            py[e] = f(pa[e], pb[e]);
        return y;
    }
    if (sa == so && b.size() == 1)
    {
        const float bv = pb[0];
        for (std::size_t e = 0; e < total; ++e)
            py[e] = f(pa[e], bv);
        return y;
    }
    if (total == 0)
        return y;
    // General case: walk the output with the innermost dimension as the contiguous loop.
    const auto st_a = broadcast_strides(sa, so), st_b = broadcast_strides(sb, so);
    const std::size_t r = so.size();
    const std::size_t inner = so[r - 1];
    const std::ptrdiff_t ia = st_a[r - 1], ib = st_b[r - 1];
    std::vector<std::size_t> idx(r, 0);
    std::ptrdiff_t oa = 0, ob = 0;
    for (std::size_t o = 0; o < total; o += inner)
    {
        for (std::size_t j = 0; j < inner; ++j)
            py[o + j] = f(pa[oa + sgn(j) * ia], pb[ob + sgn(j) * ib]);
        for (std::size_t k = r - 1; k-- > 0;)
        {
            oa += st_a[k];
            ob += st_b[k];
            if (++idx[k] < so[k])
                break;
            oa -= st_a[k] * sgn(so[k]);
            ob -= st_b[k] * sgn(so[k]);
            idx[k] = 0;
        }
    }
    return y;
}

/// Sum, Max, Min: pairwise over every input with broadcasting.
template <class F>
tensor variadic(const node& n, const args_t& in, F f)
{
    if (in.size() < 2)
        return need(n, in, 0);
    tensor acc = binary(n, need(n, in, 0), need(n, in, 1), f);
    for (std::size_t k = 2; k < in.size(); ++k)
        acc = binary(n, acc, need(n, in, k), f);
    return acc;
}

// ------------------------------------------------------------------------------------ windows (conv, pool)

/// Geometry of a sliding window over up to 3 spatial dimensions; 1-D and 2-D lead with size-1 dimensions.
struct window
{
    std::array<std::size_t, 3> in{1, 1, 1}, k{1, 1, 1}, out{1, 1, 1}, stride{1, 1, 1}, dil{1, 1, 1};
    std::array<std::ptrdiff_t, 3> pad{0, 0, 0}, pad_end{0, 0, 0};

    std::size_t in_size() const
    {
        return in[0] * in[1] * in[2];
    }

    std::size_t out_size() const
    {
        return out[0] * out[1] * out[2];
    }

    std::size_t k_size() const
    {
        return k[0] * k[1] * k[2];
    }
};

/// Output size and pads of Conv/MaxPool/AveragePool:
///   NOTSET: out = floor((in + pb + pe - ek) / s) + 1 (ceil with ceil_mode, the last window starting inside
///   in + pb), ek = (k - 1) d + 1; VALID: pads 0; SAME_UPPER/SAME_LOWER: out = ceil(in / s), total pad
///   max(0, (out - 1) s + ek - in), the odd one at the end (UPPER) or the start (LOWER).
window make_window(const node& n,
                   const shape_t& x_shape,
                   const std::vector<std::size_t>& kernel,
                   bool ceil_mode)
{
    const std::size_t r = x_shape.size() - 2;
    if (r < 1 || r > 3)
        fail(n, "expected 1 to 3 spatial dimensions, input shape is " + str(x_shape));
    if (kernel.size() != r)
        fail(n, "kernel rank " + std::to_string(kernel.size()) + " does not match input " + str(x_shape));
    const auto strides = n.get_ints("strides", std::vector<i64>(r, 1));
    const auto dilations = n.get_ints("dilations", std::vector<i64>(r, 1));
    const auto pads = n.get_ints("pads", std::vector<i64>(2 * r, 0));
    const std::string auto_pad = n.get_string("auto_pad", "NOTSET");
    if (strides.size() != r || dilations.size() != r || pads.size() != 2 * r)
        fail(n, "strides, dilations or pads do not match the spatial rank " + std::to_string(r));
    window w;
    const std::size_t o = 3 - r;
    for (std::size_t d = 0; d < r; ++d)
    {
        if (strides[d] < 1 || dilations[d] < 1 || kernel[d] < 1)
            fail(n, "strides, dilations and kernel sizes must be positive");
        const std::ptrdiff_t in = sgn(x_shape[2 + d]);
        const std::ptrdiff_t s = strides[d], dl = dilations[d];
        const std::ptrdiff_t ek = (sgn(kernel[d]) - 1) * dl + 1;
        std::ptrdiff_t pb = pads[d], pe = pads[d + r], out = 0;
        if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER")
        {
            out = (in + s - 1) / s;
            const std::ptrdiff_t total = std::max<std::ptrdiff_t>(0, (out - 1) * s + ek - in);
            pb = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
            pe = total - pb;
        }
        else
        {
            if (auto_pad == "VALID")
                pb = pe = 0;
            else if (auto_pad != "NOTSET" && !auto_pad.empty())
                fail(n, "unknown auto_pad '" + auto_pad + "'");
            const std::ptrdiff_t span = in + pb + pe - ek;
            if (span < 0)
                fail(n, "window " + std::to_string(ek) + " larger than the padded input " + str(x_shape));
            out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
            if (ceil_mode && (out - 1) * s >= in + pb)
                --out;
        }
        w.in[o + d] = x_shape[2 + d];
        w.k[o + d] = kernel[d];
        w.out[o + d] = static_cast<std::size_t>(out);
        w.stride[o + d] = static_cast<std::size_t>(s);
        w.dil[o + d] = static_cast<std::size_t>(dl);
        w.pad[o + d] = pb;
        w.pad_end[o + d] = pe;
    }
    return w;
}

shape_t out_shape(const shape_t& x_shape, std::size_t channels, const window& w)
{
    shape_t s{x_shape[0], channels};
    for (std::size_t d = 3 - (x_shape.size() - 2); d < 3; ++d)
        s.push_back(w.out[d]);
    return s;
}

/// col[(c, kd, kh, kw)][(od, oh, ow)] = x[c][od sd + kd dd - pd][...] (0 in the padding).
void im2col(const float* x, std::size_t channels, const window& w, float* col)
{
    const std::size_t osp = w.out_size();
    for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t kd = 0; kd < w.k[0]; ++kd)
            for (std::size_t kh = 0; kh < w.k[1]; ++kh)
                for (std::size_t kw = 0; kw < w.k[2]; ++kw)
                {
                    float* dst = col + (((c * w.k[0] + kd) * w.k[1] + kh) * w.k[2] + kw) * osp;
                    for (std::size_t od = 0; od < w.out[0]; ++od)
                    {
                        const std::ptrdiff_t id = sgn(od * w.stride[0] + kd * w.dil[0]) - w.pad[0];
                        for (std::size_t oh = 0; oh < w.out[1]; ++oh, dst += w.out[2])
                        {
                            const std::ptrdiff_t ih = sgn(oh * w.stride[1] + kh * w.dil[1]) - w.pad[1];
                            if (id < 0 || id >= sgn(w.in[0]) || ih < 0 || ih >= sgn(w.in[1]))
                            {
                                std::fill(dst, dst + w.out[2], 0.0f);
                                continue;
                            }
                            const float* src = x + ((c * w.in[0] + usz(id)) * w.in[1] + usz(ih)) * w.in[2];
                            const std::ptrdiff_t iw0 = sgn(kw * w.dil[2]) - w.pad[2];
                            for (std::size_t ow = 0; ow < w.out[2]; ++ow)
                            {
                                const std::ptrdiff_t iw = iw0 + sgn(ow * w.stride[2]);
                                dst[ow] = iw >= 0 && iw < sgn(w.in[2]) ? src[iw] : 0.0f;
                            }
                        }
                    }
                }
}

/// The range [lo, hi) of outputs o with 0 <= o s + off < in.
std::pair<std::size_t, std::size_t> valid_range(std::ptrdiff_t off,
                                                std::size_t s,
                                                std::size_t in,
                                                std::size_t out)
{
    const std::ptrdiff_t st = sgn(s);
    std::ptrdiff_t lo = off >= 0 ? 0 : (-off + st - 1) / st;
    std::ptrdiff_t hi = sgn(in) - off <= 0 ? 0 : (sgn(in) - off - 1) / st + 1;
    lo = std::min(lo, sgn(out));
    hi = std::max(lo, std::min(hi, sgn(out)));
    return {usz(lo), usz(hi)};
}

/// Depthwise (one input and one output channel per group): y[od][oh][ow] += w[kd][kh][kw] x[...], direct.
void depthwise(const float* x, const float* wt, const window& w, float* y)
{
    const std::size_t osp = w.out_size();
    std::fill(y, y + osp, 0.0f);
    for (std::size_t kd = 0; kd < w.k[0]; ++kd)
        for (std::size_t kh = 0; kh < w.k[1]; ++kh)
            for (std::size_t kw = 0; kw < w.k[2]; ++kw)
            {
                const float wv = wt[(kd * w.k[1] + kh) * w.k[2] + kw];
                const std::ptrdiff_t offw = sgn(kw * w.dil[2]) - w.pad[2];
                const auto [lo, hi] = valid_range(offw, w.stride[2], w.in[2], w.out[2]);
                for (std::size_t od = 0; od < w.out[0]; ++od)
                {
                    const std::ptrdiff_t id = sgn(od * w.stride[0] + kd * w.dil[0]) - w.pad[0];
                    if (id < 0 || id >= sgn(w.in[0]))
                        continue;
                    for (std::size_t oh = 0; oh < w.out[1]; ++oh)
                    {
                        const std::ptrdiff_t ih = sgn(oh * w.stride[1] + kh * w.dil[1]) - w.pad[1];
                        if (ih < 0 || ih >= sgn(w.in[1]))
                            continue;
                        const float* src = x + ((usz(id) * w.in[1]) + usz(ih)) * w.in[2];
                        float* dst = y + (od * w.out[1] + oh) * w.out[2];
                        const std::size_t s = w.stride[2];
                        if (s == 1)
                        {
                            const float* s0 = src + offw;
                            for (std::size_t ow = lo; ow < hi; ++ow)
                                dst[ow] += wv * s0[ow];
                        }
                        else
                            for (std::size_t ow = lo; ow < hi; ++ow)
                                dst[ow] += wv * src[sgn(ow * s) + offw];
                    }
                }
            }
}

/// Kernel sizes: the attribute kernel_shape, else the weight's spatial dimensions.
std::vector<std::size_t> kernel_of(const node& n, const shape_t& w_shape)
{
    std::vector<std::size_t> k(w_shape.begin() + 2, w_shape.end());
    if (const attribute* a = n.find("kernel_shape"))
    {
        if (a->ints.size() != k.size())
            fail(n, "kernel_shape does not match the weight " + str(w_shape));
        for (std::size_t d = 0; d < k.size(); ++d)
            if (usz(a->ints[d]) != k[d])
                fail(n, "kernel_shape does not match the weight " + str(w_shape));
    }
    return k;
}

void add_bias(const node& n,
              const tensor* b,
              std::size_t channels,
              float* y,
              std::size_t batch,
              std::size_t plane)
{
    if (b == nullptr)
        return;
    if (b->size() != channels)
        fail(n, "bias has " + std::to_string(b->size()) + " elements, expected " + std::to_string(channels));
    for (std::size_t i = 0; i < batch; ++i)
        for (std::size_t c = 0; c < channels; ++c)
        {
            const float bv = b->data()[c];
            float* p = y + (i * channels + c) * plane;
            for (std::size_t e = 0; e < plane; ++e)
                p[e] += bv;
        }
}

tensor conv(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    const tensor& wt = need(n, in, 1);
    const shape_t xs = shape_of(x), ws = shape_of(wt);
    const auto group = usz(n.get_int("group", 1));
    if (xs.size() < 3 || ws.size() != xs.size() || group < 1)
        fail(n, "bad shapes: input " + str(xs) + ", weight " + str(ws));
    const std::size_t c = xs[1], m = ws[0];
    if (c % group != 0 || m % group != 0 || ws[1] * group != c)
        fail(n,
             "input " + str(xs) + " and weight " + str(ws) + " do not match group " + std::to_string(group));
    const window w = make_window(n, xs, kernel_of(n, ws), false);
    const std::size_t cg = c / group, mg = m / group, isp = w.in_size(), osp = w.out_size(), ksz = w.k_size();
    tensor y = make(out_shape(xs, m, w));
    const bool pointwise = ksz == 1 && w.stride == std::array<std::size_t, 3>{1, 1, 1}
                           && w.pad == std::array<std::ptrdiff_t, 3>{0, 0, 0} && osp == isp;
    std::vector<float> col(pointwise || (cg == 1 && mg == 1) ? 0 : cg * ksz * osp);
    for (std::size_t b = 0; b < xs[0]; ++b)
        for (std::size_t g = 0; g < group; ++g)
        {
            const float* xg = x.data() + (b * c + g * cg) * isp;
            const float* wg = wt.data() + g * mg * cg * ksz;
            float* yg = y.data() + (b * m + g * mg) * osp;
            if (cg == 1 && mg == 1)
                depthwise(xg, wg, w, yg);
            else if (pointwise)
                detail::gemm(mg, osp, cg, {wg, cg}, {xg, isp}, yg, osp, false);
            else
            {
                im2col(xg, cg, w, col.data());
                detail::gemm(mg, osp, cg * ksz, {wg, cg * ksz}, {col.data(), osp}, yg, osp, false);
            }
        }
    add_bias(n, opt(in, 2), m, y.data(), xs[0], osp);
    return y;
}

/// ConvTranspose: col = W_g^T x_g (GEMM), then col2im scatters col[(m, k)][i] to y[m][i s + k d - pb].
/// out = s (in - 1) + output_padding + ek - pb - pe; with output_shape (or SAME_*: out = in s), the total
/// padding s (in - 1) + output_padding + ek - out is split as pb = total / 2 (SAME_UPPER) or
/// total - total / 2 (otherwise); a negative total extends the end.
tensor conv_transpose(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    const tensor& wt = need(n, in, 1);
    const shape_t xs = shape_of(x), ws = shape_of(wt);
    const auto group = usz(n.get_int("group", 1));
    if (xs.size() < 3 || xs.size() > 5 || ws.size() != xs.size() || group < 1 || ws[0] != xs[1]
        || xs[1] % group != 0)
        fail(n, "bad shapes: input " + str(xs) + ", weight " + str(ws));
    const std::size_t r = xs.size() - 2, c = xs[1], cg = c / group, mg = ws[1], m = mg * group;
    const auto kernel = kernel_of(n, ws);
    const auto strides = n.get_ints("strides", std::vector<i64>(r, 1));
    const auto dilations = n.get_ints("dilations", std::vector<i64>(r, 1));
    const auto pads = n.get_ints("pads", std::vector<i64>(2 * r, 0));
    const auto out_pad = n.get_ints("output_padding", std::vector<i64>(r, 0));
    auto out_shape_attr = n.get_ints("output_shape");
    const std::string auto_pad = n.get_string("auto_pad", "NOTSET");
    if (strides.size() != r || dilations.size() != r || pads.size() != 2 * r || out_pad.size() != r)
        fail(n, "strides, dilations, pads or output_padding do not match the spatial rank");
    if (out_shape_attr.size() == r + 2)
        out_shape_attr.erase(out_shape_attr.begin(), out_shape_attr.begin() + 2);
    if (!out_shape_attr.empty() && out_shape_attr.size() != r)
        fail(n, "output_shape does not match the spatial rank");
    window w;  // in: the ConvTranspose input, out: its output
    const std::size_t o = 3 - r;
    for (std::size_t d = 0; d < r; ++d)
    {
        const std::ptrdiff_t i = sgn(xs[2 + d]), s = strides[d], dl = dilations[d];
        const std::ptrdiff_t ek = (sgn(kernel[d]) - 1) * dl + 1;
        const std::ptrdiff_t full = s * (i - 1) + out_pad[d] + ek;
        std::ptrdiff_t pb = pads[d], out = full - pads[d] - pads[d + r];
        const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
        if (!out_shape_attr.empty() || same)
        {
            out = !out_shape_attr.empty() ? out_shape_attr[d] : i * s;
            const std::ptrdiff_t total = full - out;
            pb = total < 0 ? 0 : auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
        }
        else if (auto_pad == "VALID")
        {
            pb = 0;
            out = full;
        }
        if (out < 1 || s < 1 || dl < 1)
            fail(n, "empty output or bad strides/dilations");
        w.in[o + d] = xs[2 + d];
        w.k[o + d] = kernel[d];
        w.out[o + d] = usz(out);
        w.stride[o + d] = usz(s);
        w.dil[o + d] = usz(dl);
        w.pad[o + d] = pb;
    }
    const std::size_t isp = w.in_size(), osp = w.out_size(), ksz = w.k_size();
    tensor y = make(out_shape(xs, m, w), 0.0f);
    std::vector<float> col(mg * ksz * isp);
    for (std::size_t g = 0; g < group; ++g)
    {
        // W_g is cg x (mg ksz), read transposed.
        const detail::matrix_view wg_t{wt.data() + g * cg * mg * ksz, 1, mg * ksz};
        for (std::size_t b = 0; b < xs[0]; ++b)
        {
            const float* xg = x.data() + (b * c + g * cg) * isp;
            detail::gemm(mg * ksz, isp, cg, wg_t, {xg, isp}, col.data(), isp, false);
            float* yg = y.data() + (b * m + g * mg) * osp;
            for (std::size_t mm = 0; mm < mg; ++mm)
                for (std::size_t kd = 0; kd < w.k[0]; ++kd)
                    for (std::size_t kh = 0; kh < w.k[1]; ++kh)
                        for (std::size_t kw = 0; kw < w.k[2]; ++kw)
                        {
                            const float* src =
                              col.data() + (((mm * w.k[0] + kd) * w.k[1] + kh) * w.k[2] + kw) * isp;
                            float* dst = yg + mm * osp;
                            for (std::size_t id = 0; id < w.in[0]; ++id)
                            {
                                const std::ptrdiff_t od = sgn(id * w.stride[0] + kd * w.dil[0]) - w.pad[0];
                                if (od < 0 || od >= sgn(w.out[0]))
                                    continue;
                                for (std::size_t ih = 0; ih < w.in[1]; ++ih)
                                {
                                    const std::ptrdiff_t oh =
                                      sgn(ih * w.stride[1] + kh * w.dil[1]) - w.pad[1];
                                    if (oh < 0 || oh >= sgn(w.out[1]))
                                        continue;
                                    const float* s = src + (id * w.in[1] + ih) * w.in[2];
                                    float* dr = dst + (usz(od) * w.out[1] + usz(oh)) * w.out[2];
                                    for (std::size_t iw = 0; iw < w.in[2]; ++iw)
                                    {
                                        const std::ptrdiff_t ow =
                                          sgn(iw * w.stride[2] + kw * w.dil[2]) - w.pad[2];
                                        if (ow >= 0 && ow < sgn(w.out[2]))
                                            dr[ow] += s[iw];
                                    }
                                }
                            }
                        }
        }
    }
    add_bias(n, opt(in, 2), m, y.data(), xs[0], osp);
    return y;
}

/// MaxPool / AveragePool over each (n, c) plane. MaxPool's optional second output: the argmax as an index
/// into the flattened input, spatial dimensions row-major (storage_order 0) or column-major (1).
outs_t pool(const node& n, const args_t& in, bool is_max)
{
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    const auto ks = n.get_ints("kernel_shape");
    if (xs.size() < 3)
        fail(n, "input " + str(xs) + " has no spatial dimension");
    std::vector<std::size_t> kernel(ks.size());
    for (std::size_t d = 0; d < ks.size(); ++d)
        kernel[d] = usz(std::max<i64>(ks[d], 0));
    const window w = make_window(n, xs, kernel, n.get_int("ceil_mode", 0) != 0);
    const bool include_pad = n.get_int("count_include_pad", 0) != 0;
    const std::size_t planes = xs[0] * xs[1], isp = w.in_size(), osp = w.out_size();
    tensor y = make(out_shape(xs, xs[1], w));
    const bool with_indices = is_max && n.outputs.size() > 1 && !n.outputs[1].empty();
    const bool column_major = n.get_int("storage_order", 0) != 0;
    tensor indices = with_indices ? make(shape_of(y)) : tensor();

    // Taps of each output position along each dimension: [lo, hi) valid kernel indices and the padded count.
    struct taps
    {
        std::size_t lo, hi, padded;
    };

    std::array<std::vector<taps>, 3> t;
    for (std::size_t d = 0; d < 3; ++d)
        for (std::size_t o = 0; o < w.out[d]; ++o)
        {
            const std::ptrdiff_t start = sgn(o * w.stride[d]) - w.pad[d];
            taps tp{w.k[d], 0, 0};
            for (std::size_t k = 0; k < w.k[d]; ++k)
            {
                const std::ptrdiff_t p = start + sgn(k * w.dil[d]);
                if (p >= 0 && p < sgn(w.in[d]))
                {
                    tp.lo = std::min(tp.lo, k);
                    tp.hi = k + 1;
                }
                if (p >= -w.pad[d] && p < sgn(w.in[d]) + w.pad_end[d])
                    ++tp.padded;
            }
            if (tp.hi == 0)
                tp.lo = 0;
            t[d].push_back(tp);
        }
    for (std::size_t pl = 0; pl < planes; ++pl)
    {
        const float* xp = x.data() + pl * isp;
        float* yp = y.data() + pl * osp;
        for (std::size_t od = 0; od < w.out[0]; ++od)
            for (std::size_t oh = 0; oh < w.out[1]; ++oh)
                for (std::size_t ow = 0; ow < w.out[2]; ++ow)
                {
                    const taps &td = t[0][od], &th = t[1][oh], &tw = t[2][ow];
                    float acc = is_max ? -std::numeric_limits<float>::infinity() : 0.0f;
                    std::size_t count = 0, arg = 0;
                    for (std::size_t kd = td.lo; kd < td.hi; ++kd)
                    {
                        const std::size_t id = usz(sgn(od * w.stride[0] + kd * w.dil[0]) - w.pad[0]);
                        for (std::size_t kh = th.lo; kh < th.hi; ++kh)
                        {
                            const std::size_t ih = usz(sgn(oh * w.stride[1] + kh * w.dil[1]) - w.pad[1]);
                            const float* row = xp + (id * w.in[1] + ih) * w.in[2];
                            for (std::size_t kw = tw.lo; kw < tw.hi; ++kw)
                            {
                                const std::ptrdiff_t iw = sgn(ow * w.stride[2] + kw * w.dil[2]) - w.pad[2];
                                if (iw < 0 || iw >= sgn(w.in[2]))
                                    continue;
                                const float v = row[iw];
                                if (is_max)
                                {
                                    if (v > acc || count == 0)
                                    {
                                        acc = v;
                                        arg = column_major ? (usz(iw) * w.in[1] + ih) * w.in[0] + id
                                                           : (id * w.in[1] + ih) * w.in[2] + usz(iw);
                                    }
                                }
                                else
                                    acc += v;
                                ++count;
                            }
                        }
                    }
                    const std::size_t div = include_pad ? td.padded * th.padded * tw.padded : count;
                    const std::size_t o = (od * w.out[1] + oh) * w.out[2] + ow;
                    yp[o] = is_max ? acc : acc / static_cast<float>(div);
                    if (with_indices)
                        indices.data()[pl * osp + o] = static_cast<float>(pl * isp + arg);
                }
    }
    outs_t out;
    out.push_back(std::move(y));
    if (with_indices)
        out.push_back(std::move(indices));
    return out;
}

tensor global_pool(const node& n, const args_t& in, bool is_max)
{
    const tensor& x = need(n, in, 0);
    shape_t s = shape_of(x);
    if (s.size() < 2)
        fail(n, "input " + str(s) + " has no channel dimension");
    const std::size_t planes = s[0] * s[1], plane = numel(s) / std::max<std::size_t>(planes, 1);
    for (std::size_t d = 2; d < s.size(); ++d)
        s[d] = 1;
    tensor y = make(s);
    for (std::size_t p = 0; p < planes; ++p)
    {
        const float* xp = x.data() + p * plane;
        float acc = is_max ? -std::numeric_limits<float>::infinity() : 0.0f;
        for (std::size_t e = 0; e < plane; ++e)
            acc = is_max ? std::max(acc, xp[e]) : acc + xp[e];
        y.data()[p] = is_max ? acc : acc / static_cast<float>(plane);
    }
    return y;
}

/// BatchNormalization: y = scale (x - mean) / sqrt(var + epsilon) + bias along axis 1. Inference uses the
/// inputs mean and var; training_mode (opset 14) the batch's mean and population variance, and also returns
/// running_mean = mean momentum + batch_mean (1 - momentum) and running_var likewise.
outs_t batch_norm(const node& n, const args_t& in)
{
    const bool training = n.get_int("training_mode", 0) != 0;
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    if (xs.size() < 2)
        fail(n, "input " + str(xs) + " has no channel dimension");
    const std::size_t c = xs[1], plane = numel(xs) / std::max<std::size_t>(xs[0] * c, 1);
    const float eps = n.get_float("epsilon", 1e-5f);
    for (std::size_t k = 1; k <= 4; ++k)
        if (need(n, in, k).size() != c)
            fail(n, "parameter " + std::to_string(k) + " does not have " + std::to_string(c) + " elements");
    const float *sc = in[1]->data(), *bi = in[2]->data(), *mu = in[3]->data(), *var = in[4]->data();
    outs_t out(1);
    tensor y = make(xs);
    std::vector<float> bmean(mu, mu + c), bvar(var, var + c);
    if (training)
    {
        const float momentum = n.get_float("momentum", 0.9f);
        const double count = static_cast<double>(xs[0] * plane);
        tensor running_mean = make({c}), running_var = make({c});
        for (std::size_t ch = 0; ch < c; ++ch)
        {
            double s1 = 0.0, s2 = 0.0;
            for (std::size_t b = 0; b < xs[0]; ++b)
                for (std::size_t e = 0; e < plane; ++e)
                {
                    const double v = x.data()[(b * c + ch) * plane + e];
                    s1 += v;
                    s2 += v * v;
                }
            const double m = s1 / count;
            bmean[ch] = static_cast<float>(m);
            bvar[ch] = static_cast<float>(std::max(s2 / count - m * m, 0.0));
            running_mean.data()[ch] = mu[ch] * momentum + bmean[ch] * (1.0f - momentum);
            running_var.data()[ch] = var[ch] * momentum + bvar[ch] * (1.0f - momentum);
        }
        out.push_back(std::move(running_mean));
        out.push_back(std::move(running_var));
    }
    for (std::size_t b = 0; b < xs[0]; ++b)
        for (std::size_t ch = 0; ch < c; ++ch)
        {
            const float a = sc[ch] / std::sqrt(bvar[ch] + eps), shift = bi[ch] - a * bmean[ch];
            const float* xp = x.data() + (b * c + ch) * plane;
            float* yp = y.data() + (b * c + ch) * plane;
            for (std::size_t e = 0; e < plane; ++e)
                yp[e] = a * xp[e] + shift;
        }
    out[0] = std::move(y);
    return out;
}

// ------------------------------------------------------------------------------------------ GEMM, MatMul

/// Gemm: Y = alpha A' B' + beta C, A' = transA ? A^T : A, C broadcast to (M, N).
tensor gemm_op(const node& n, const args_t& in)
{
    const tensor& a = need(n, in, 0);
    const tensor& b = need(n, in, 1);
    const shape_t as = shape_of(a), bs = shape_of(b);
    if (as.size() != 2 || bs.size() != 2)
        fail(n, "expected 2-D A and B, got " + str(as) + " and " + str(bs));
    const bool ta = n.get_int("transA", 0) != 0, tb = n.get_int("transB", 0) != 0;
    const std::size_t m = ta ? as[1] : as[0], k = ta ? as[0] : as[1];
    const std::size_t kb = tb ? bs[1] : bs[0], nn = tb ? bs[0] : bs[1];
    if (k != kb)
        fail(n, "inner dimensions differ: A " + str(as) + ", B " + str(bs));
    // A transposed operand is read in place (row stride 1, column stride its row length).
    const detail::matrix_view av{a.data(), ta ? 1 : as[1], ta ? as[1] : 1};
    const detail::matrix_view bv{b.data(), tb ? 1 : bs[1], tb ? bs[1] : 1};
    tensor y = make({m, nn});
    detail::gemm(m, nn, k, av, bv, y.data(), nn, false);
    const float alpha = n.get_float("alpha", 1.0f), beta = n.get_float("beta", 1.0f);
    if (alpha != 1.0f)
        for (std::size_t e = 0; e < y.size(); ++e)
            y.data()[e] *= alpha;
    if (const tensor* c = opt(in, 2); c != nullptr && beta != 0.0f)
    {
        const shape_t ys{m, nn};
        if (broadcast_shape(n, shape_of(*c), ys) != ys)
            fail(n, "C " + str(shape_of(*c)) + " does not broadcast to " + str(ys));
        y = binary(n,
                   y,
                   *c,
                   [beta](float yv, float cv)
                   {
                       return yv + beta * cv;
                   });
    }
    return y;
}

/// MatMul with numpy semantics: batch dimensions broadcast; a 1-D A is (1, K), a 1-D B is (K, 1), and the
/// added dimension is removed from the result.
tensor matmul(const node& n, const args_t& in)
{
    const tensor& a = need(n, in, 0);
    const tensor& b = need(n, in, 1);
    shape_t as = shape_of(a), bs = shape_of(b);
    if (as.empty() || bs.empty())
        fail(n, "MatMul of a scalar");
    const bool a1 = as.size() == 1, b1 = bs.size() == 1;
    if (a1)
        as.insert(as.begin(), 1);
    if (b1)
        bs.push_back(1);
    const std::size_t m = as[as.size() - 2], k = as.back(), nn = bs.back();
    if (bs[bs.size() - 2] != k)
        fail(n, "inner dimensions differ: " + str(shape_of(a)) + " and " + str(shape_of(b)));
    const shape_t abatch(as.begin(), as.end() - 2), bbatch(bs.begin(), bs.end() - 2);
    const shape_t batch = broadcast_shape(n, abatch, bbatch);
    shape_t ae = batch, be = batch;
    ae.insert(ae.end(), {m, k});
    be.insert(be.end(), {k, nn});
    // Operands already at the broadcast shape are read in place.
    tensor a_store, b_store;
    const float* pa = as == ae ? a.data() : (a_store = expand_to(a.data(), as, ae)).data();
    const float* pb = bs == be ? b.data() : (b_store = expand_to(b.data(), bs, be)).data();
    shape_t ys = batch;
    ys.insert(ys.end(), {m, nn});
    tensor y = make(ys);
    for (std::size_t i = 0, nb = numel(batch); i < nb; ++i)
        detail::gemm(m, nn, k, {pa + i * m * k, k}, {pb + i * k * nn, nn}, y.data() + i * m * nn, nn, false);
    if (a1)
        ys.erase(ys.end() - 2);
    if (b1)
        ys.pop_back();
    y.reshape(ys);
    return y;
}

// ------------------------------------------------------------------------------------------------ shapes

tensor reshaped(const tensor& x, const shape_t& s)
{
    tensor y = make(s);
    std::copy(x.data(), x.data() + x.size(), y.data());
    return y;
}

tensor vector_of(const std::vector<i64>& v)
{
    tensor t = make({v.size()});
    for (std::size_t e = 0; e < v.size(); ++e)
        t.data()[e] = static_cast<float>(v[e]);
    return t;
}

/// Reshape: 0 copies the input dimension (unless allowzero), -1 is inferred.
tensor reshape(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    const auto spec = ints_of(need(n, in, 1));
    const bool allowzero = n.get_int("allowzero", 0) != 0;
    shape_t s(spec.size());
    std::size_t known = 1, infer = spec.size();
    for (std::size_t d = 0; d < spec.size(); ++d)
    {
        if (spec[d] == -1)
        {
            if (infer != spec.size())
                fail(n, "more than one -1 in the shape");
            infer = d;
            continue;
        }
        if (spec[d] < -1)
            fail(n, "negative dimension " + std::to_string(spec[d]));
        s[d] = spec[d] == 0 && !allowzero ? (d < xs.size() ? xs[d] : 0) : usz(spec[d]);
        if (spec[d] == 0 && !allowzero && d >= xs.size())
            fail(n, "0 copies dimension " + std::to_string(d) + " the input " + str(xs) + " does not have");
        known *= s[d];
    }
    if (infer != spec.size())
    {
        if (known == 0 || x.size() % known != 0)
            fail(n, "cannot infer the -1 dimension of input " + str(xs));
        s[infer] = x.size() / known;
    }
    if (numel(s) != x.size())
        fail(n, "cannot reshape " + str(xs) + " to " + str(s));
    return reshaped(x, s);
}

tensor flatten(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    const std::size_t axis = norm_axis(n, n.get_int("axis", 1), xs.size(), 1);
    std::size_t outer = 1;
    for (std::size_t d = 0; d < axis; ++d)
        outer *= xs[d];
    return reshaped(x, {outer, outer == 0 ? 0 : x.size() / outer});
}

tensor transpose(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    const std::size_t r = xs.size();
    std::vector<i64> perm = n.get_ints("perm");
    if (perm.empty())
        for (std::size_t d = r; d-- > 0;)
            perm.push_back(static_cast<i64>(d));
    if (perm.size() != r)
        fail(n, "perm does not match the rank of " + str(xs));
    const auto st = strides_of(xs);
    shape_t ys(r);
    std::vector<std::ptrdiff_t> src_st(r);
    std::vector<bool> seen(r, false);
    for (std::size_t d = 0; d < r; ++d)
    {
        const std::size_t p = norm_axis(n, perm[d], r);
        if (seen[p])
            fail(n, "perm repeats axis " + std::to_string(p));
        seen[p] = true;
        ys[d] = xs[p];
        src_st[d] = st[p];
    }
    tensor y = make(ys);
    strided_copy(x.data(), 0, src_st, ys, y.data());
    return y;
}

tensor concat(const node& n, const args_t& in)
{
    const tensor& first = need(n, in, 0);
    shape_t ys = shape_of(first);
    const std::size_t axis = norm_axis(n, n.get_int("axis", 0), ys.size());
    ys[axis] = 0;
    for (std::size_t k = 0; k < in.size(); ++k)
    {
        const shape_t s = shape_of(need(n, in, k));
        if (s.size() != ys.size())
            fail(n, "input " + std::to_string(k) + " " + str(s) + " does not match " + str(shape_of(first)));
        for (std::size_t d = 0; d < s.size(); ++d)
            if (d != axis && s[d] != ys[d])
                fail(n,
                     "input " + std::to_string(k) + " " + str(s) + " does not match " + str(shape_of(first)));
        ys[axis] += s[axis];
    }
    tensor y = make(ys);
    std::size_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < axis; ++d)
        outer *= ys[d];
    for (std::size_t d = axis + 1; d < ys.size(); ++d)
        inner *= ys[d];
    std::size_t offset = 0;
    for (const tensor* t : in)
    {
        const std::size_t block = t->shape()[axis] * inner;
        for (std::size_t o = 0; o < outer; ++o)
            std::copy(
              t->data() + o * block, t->data() + (o + 1) * block, y.data() + o * ys[axis] * inner + offset);
        offset += block;
    }
    return y;
}

/// Axes from the attribute (older opsets) or input 1 (opset 13), normalized against `rank`.
std::vector<i64> axes_of(const node& n, const args_t& in, std::size_t input)
{
    if (const tensor* t = opt(in, input))
        return ints_of(*t);
    return n.get_ints("axes");
}

tensor squeeze(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    std::vector<bool> drop(xs.size(), false);
    const auto axes = axes_of(n, in, 1);
    if (axes.empty())
        for (std::size_t d = 0; d < xs.size(); ++d)
            drop[d] = xs[d] == 1;
    for (const i64 a : axes)
    {
        const std::size_t d = norm_axis(n, a, xs.size());
        if (xs[d] != 1)
            fail(n, "cannot squeeze axis " + std::to_string(a) + " of " + str(xs));
        drop[d] = true;
    }
    shape_t ys;
    for (std::size_t d = 0; d < xs.size(); ++d)
        if (!drop[d])
            ys.push_back(xs[d]);
    return reshaped(x, ys);
}

tensor unsqueeze(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    const auto axes = axes_of(n, in, 1);
    const std::size_t r = xs.size() + axes.size();
    std::vector<bool> added(r, false);
    for (const i64 a : axes)
    {
        const std::size_t d = norm_axis(n, a, r);
        if (added[d])
            fail(n, "repeated axis " + std::to_string(a));
        added[d] = true;
    }
    shape_t ys;
    for (std::size_t d = 0, k = 0; d < r; ++d)
        ys.push_back(added[d] ? 1 : xs[k++]);
    return reshaped(x, ys);
}

/// Slice: per axis, negative starts/ends count from the end; then for step > 0 start and end clamp to
/// [0, dim], for step < 0 start to [0, dim - 1] and end to [-1, dim - 1];
/// size = max(0, ceil((end - start) / step)).
tensor slice(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    std::vector<i64> starts, ends, axes, steps;
    if (in.size() > 1)
    {
        starts = ints_of(need(n, in, 1));
        ends = ints_of(need(n, in, 2));
        axes = opt(in, 3) ? ints_of(*in[3]) : std::vector<i64>{};
        steps = opt(in, 4) ? ints_of(*in[4]) : std::vector<i64>{};
    }
    else
    {
        starts = n.get_ints("starts");
        ends = n.get_ints("ends");
        axes = n.get_ints("axes");
    }
    if (axes.empty())
        for (std::size_t d = 0; d < starts.size(); ++d)
            axes.push_back(static_cast<i64>(d));
    if (steps.empty())
        steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
        fail(n, "starts, ends, axes and steps differ in length");
    const auto st = strides_of(xs);
    shape_t ys = xs;
    std::vector<std::ptrdiff_t> src_st = st;
    std::ptrdiff_t base = 0;
    for (std::size_t k = 0; k < starts.size(); ++k)
    {
        const std::size_t d = norm_axis(n, axes[k], xs.size());
        const i64 dim = static_cast<i64>(xs[d]), step = steps[k];
        if (step == 0)
            fail(n, "step 0");
        i64 s = starts[k], e = ends[k];
        if (s < 0)
            s = s == std::numeric_limits<i64>::min() ? 0 : s + dim;
        if (e < 0)
            e = e == std::numeric_limits<i64>::min() ? -1 : e + dim;
        if (step > 0)
        {
            s = std::clamp<i64>(s, 0, dim);
            e = std::clamp<i64>(e, 0, dim);
        }
        else
        {
            s = std::clamp<i64>(s, 0, dim - 1);
            e = std::clamp<i64>(e, -1, dim - 1);
        }
        const i64 len = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
        ys[d] = usz(std::max<i64>(len, 0));
        base += s * st[d];
        src_st[d] = st[d] * step;
    }
    tensor y = make(ys);
    if (y.size() > 0)
        strided_copy(x.data(), base, src_st, ys, y.data());
    return y;
}

tensor gather(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    const tensor& idx = need(n, in, 1);
    const shape_t xs = shape_of(x), is = shape_of(idx);
    const std::size_t axis = norm_axis(n, n.get_int("axis", 0), xs.size());
    shape_t ys(xs.begin(), xs.begin() + sgn(axis));
    ys.insert(ys.end(), is.begin(), is.end());
    ys.insert(ys.end(), xs.begin() + sgn(axis) + 1, xs.end());
    std::size_t outer = 1, inner = 1;
    for (std::size_t d = 0; d < axis; ++d)
        outer *= xs[d];
    for (std::size_t d = axis + 1; d < xs.size(); ++d)
        inner *= xs[d];
    const auto ids = ints_of(idx);
    const i64 dim = static_cast<i64>(xs[axis]);
    tensor y = make(ys);
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t j = 0; j < ids.size(); ++j)
        {
            const i64 i = ids[j] < 0 ? ids[j] + dim : ids[j];
            if (i < 0 || i >= dim)
                fail(n,
                     "index " + std::to_string(ids[j]) + " out of range for dimension "
                       + std::to_string(dim));
            const float* src = x.data() + (o * xs[axis] + usz(i)) * inner;
            std::copy(src, src + inner, y.data() + (o * ids.size() + j) * inner);
        }
    return y;
}

tensor shape_op(const node& n, const args_t& in)
{
    const shape_t xs = shape_of(need(n, in, 0));
    const i64 r = static_cast<i64>(xs.size());
    i64 start = n.get_int("start", 0), end = n.get_int("end", r);
    start = std::clamp<i64>(start < 0 ? start + r : start, 0, r);
    end = std::clamp<i64>(end < 0 ? end + r : end, 0, r);
    std::vector<i64> dims;
    for (i64 d = start; d < end; ++d)
        dims.push_back(static_cast<i64>(xs[usz(d)]));
    return vector_of(dims);
}

/// Pad: pads = [x1_begin, x2_begin, ..., x1_end, ...] (negative crops); constant, reflect (mirror without
/// the edge) or edge (replicate).
tensor pad(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    const std::size_t r = xs.size();
    std::vector<i64> pads;
    float value = 0.0f;
    if (in.size() > 1 && in[1] != nullptr)
    {
        pads = ints_of(*in[1]);
        if (const tensor* v = opt(in, 2); v != nullptr && v->size() > 0)
            value = v->data()[0];
        if (const tensor* ax = opt(in, 3))
        {
            // opset 18: pads for the listed axes only.
            const auto axes = ints_of(*ax);
            std::vector<i64> full(2 * r, 0);
            if (pads.size() != 2 * axes.size())
                fail(n, "pads do not match axes");
            for (std::size_t k = 0; k < axes.size(); ++k)
            {
                const std::size_t d = norm_axis(n, axes[k], r);
                full[d] = pads[k];
                full[d + r] = pads[k + axes.size()];
            }
            pads = full;
        }
    }
    else
    {
        pads = n.get_ints("pads");
        value = n.get_float("value", 0.0f);
    }
    if (pads.size() != 2 * r)
        fail(n, "pads has " + std::to_string(pads.size()) + " values for rank " + std::to_string(r));
    const std::string mode = n.get_string("mode", "constant");
    if (mode != "constant" && mode != "reflect" && mode != "edge")
        fail(n, "unknown mode '" + mode + "'");
    // map[d][o]: the source index of output index o along d, -1 for the constant.
    shape_t ys(r);
    std::vector<std::vector<std::ptrdiff_t>> map(r);
    for (std::size_t d = 0; d < r; ++d)
    {
        const i64 size = static_cast<i64>(xs[d]) + pads[d] + pads[d + r];
        if (size < 0)
            fail(n, "negative output dimension");
        ys[d] = usz(size);
        const std::ptrdiff_t dim = sgn(xs[d]);
        if ((mode == "reflect" && dim < 2 && size != dim) || (mode == "edge" && dim == 0 && size > 0))
            fail(n, mode + " padding of a dimension of size " + std::to_string(dim));
        for (std::ptrdiff_t o = 0; o < size; ++o)
        {
            std::ptrdiff_t i = o - pads[d];
            if (i < 0 || i >= dim)
            {
                if (mode == "constant")
                    i = -1;
                else if (mode == "edge")
                    i = std::clamp<std::ptrdiff_t>(i, 0, dim - 1);
                else
                {
                    const std::ptrdiff_t period = 2 * (dim - 1);
                    i = ((i % period) + period) % period;
                    if (i >= dim)
                        i = period - i;
                }
            }
            map[d].push_back(i);
        }
    }
    tensor y = make(ys);
    const std::size_t total = y.size();
    if (total == 0)
        return y;
    if (r == 0)
    {
        y.data()[0] = x.data()[0];
        return y;
    }
    const auto st = strides_of(xs);
    const std::size_t inner = ys[r - 1];
    std::vector<std::size_t> idx(r, 0);
    for (std::size_t o = 0; o < total; o += inner)
    {
        std::ptrdiff_t off = 0;
        bool inside = true;
        for (std::size_t d = 0; d + 1 < r; ++d)
        {
            const std::ptrdiff_t i = map[d][idx[d]];
            inside = inside && i >= 0;
            off += i * st[d];
        }
        float* dst = y.data() + o;
        const auto& last = map[r - 1];
        for (std::size_t j = 0; j < inner; ++j)
            dst[j] = inside && last[j] >= 0 ? x.data()[off + last[j]] : value;
        for (std::size_t k = r - 1; k-- > 0;)
        {
            if (++idx[k] < ys[k])
                break;
            idx[k] = 0;
        }
    }
    return y;
}

// ----------------------------------------------------------------------------------------- Resize, Softmax

/// One output index of a resampled axis: taps (source index, weight); `outside` for tf_crop_and_resize
/// coordinates beyond the input (the result is extrapolation_value).
struct resample
{
    std::vector<std::pair<std::size_t, float>> taps;
    bool outside = false;
};

/// Resize (opset 10: X, scales; 11+: X, roi, scales, sizes). Per axis, x_original of output index x:
///   half_pixel (x + 0.5) / scale - 0.5; pytorch_half_pixel the same if out > 1 else 0;
///   align_corners x (in - 1) / (scale in - 1); asymmetric x / scale; tf_half_pixel_for_nn (x + 0.5) / scale;
///   tf_crop_and_resize start (in - 1) + x (end - start) (in - 1) / (scale in - 1).
/// nearest rounds per nearest_mode; linear and cubic (coefficient a, exclude_outside) read clamped (edge)
/// neighbours. Axes are resampled one after the other (separable, as ONNX's reference interpolates).
tensor resize(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    const std::size_t r = xs.size();
    // Opset 10 (inputs X, scales): asymmetric coordinates and floor for nearest, as Upsample.
    const bool v10 = n.opset > 0 ? n.opset < 11 : in.size() == 2;
    const tensor* roi_t = v10 ? nullptr : opt(in, 1);
    const tensor* scales_t = v10 ? in[1] : opt(in, 2);
    const tensor* sizes_t = v10 ? nullptr : opt(in, 3);
    if (scales_t != nullptr && scales_t->size() == 0)
        scales_t = nullptr;
    if (sizes_t != nullptr && sizes_t->size() == 0)
        sizes_t = nullptr;
    if ((scales_t == nullptr) == (sizes_t == nullptr))
        fail(n, "exactly one of scales and sizes must be given");
    std::vector<float> scales(r);
    shape_t ys(r);
    for (std::size_t d = 0; d < r; ++d)
    {
        if (sizes_t != nullptr)
        {
            if (sizes_t->size() != r)
                fail(n, "sizes does not match the rank of " + str(xs));
            ys[d] = usz(std::max<i64>(to_i64(sizes_t->data()[d]), 0));
            scales[d] = static_cast<float>(ys[d]) / static_cast<float>(xs[d]);
        }
        else
        {
            if (scales_t->size() != r)
                fail(n, "scales does not match the rank of " + str(xs));
            scales[d] = scales_t->data()[d];
            if (!(scales[d] > 0.0f))
                fail(n, "scales must be positive");
            ys[d] = usz(to_i64(std::floor(static_cast<float>(xs[d]) * scales[d])));
        }
    }
    const std::string mode = n.get_string("mode", "nearest");
    const std::string ctm = n.get_string("coordinate_transformation_mode", v10 ? "asymmetric" : "half_pixel");
    const std::string nearest_mode = n.get_string("nearest_mode", v10 ? "floor" : "round_prefer_floor");
    const float a = n.get_float("cubic_coeff_a", -0.75f);
    const bool exclude_outside = n.get_int("exclude_outside", 0) != 0;
    const float extrapolation = n.get_float("extrapolation_value", 0.0f);
    if (mode != "nearest" && mode != "linear" && mode != "cubic")
        fail(n, "unknown mode '" + mode + "'");
    tensor cur;                // the axes resampled so far
    const tensor* src_t = &x;  // x until the first resampled axis, then cur
    shape_t cs = xs;
    std::vector<std::vector<bool>> outside(r);
    for (std::size_t d = 0; d < r; ++d)
    {
        if (ys[d] == xs[d] && scales[d] == 1.0f && ctm != "tf_crop_and_resize")
            continue;
        const float in_len = static_cast<float>(xs[d]);
        const float out_len = scales[d] * in_len;  // ONNX's reference uses the unrounded length
        std::vector<resample> plan(ys[d]);
        for (std::size_t o = 0; o < ys[d]; ++o)
        {
            const float xo = static_cast<float>(o);
            float xi = 0.0f;
            if (ctm == "half_pixel")
                xi = (xo + 0.5f) / scales[d] - 0.5f;
            else if (ctm == "pytorch_half_pixel")
                xi = ys[d] > 1 ? (xo + 0.5f) / scales[d] - 0.5f : 0.0f;
            else if (ctm == "align_corners")
                xi = out_len == 1.0f ? 0.0f : xo * (in_len - 1.0f) / (out_len - 1.0f);
            else if (ctm == "asymmetric")
                xi = xo / scales[d];
            else if (ctm == "tf_half_pixel_for_nn")
                xi = (xo + 0.5f) / scales[d];
            else if (ctm == "tf_crop_and_resize")
            {
                if (roi_t == nullptr || roi_t->size() != 2 * r)
                    fail(n, "tf_crop_and_resize needs roi of 2 x rank values");
                const float start = roi_t->data()[d], end = roi_t->data()[d + r];
                xi = out_len > 1.0f
                       ? start * (in_len - 1.0f) + xo * (end - start) * (in_len - 1.0f) / (out_len - 1.0f)
                       : 0.5f * (start + end) * (in_len - 1.0f);
                if (xi < 0.0f || xi > in_len - 1.0f)
                    plan[o].outside = true;
            }
            else
                fail(n, "unknown coordinate_transformation_mode '" + ctm + "'");
            const i64 last = static_cast<i64>(xs[d]) - 1;
            const auto clampi = [last](i64 i)
            {
                return usz(std::clamp<i64>(i, 0, last));
            };
            if (mode == "nearest")
            {
                float v = 0.0f;
                if (nearest_mode == "round_prefer_floor")
                    v = xi == std::floor(xi) + 0.5f ? std::floor(xi) : std::round(xi);
                else if (nearest_mode == "round_prefer_ceil")
                    v = std::round(xi);
                else if (nearest_mode == "floor")
                    v = std::floor(xi);
                else if (nearest_mode == "ceil")
                    v = std::ceil(xi);
                else
                    fail(n, "unknown nearest_mode '" + nearest_mode + "'");
                plan[o].taps.push_back({clampi(to_i64(v)), 1.0f});
            }
            else if (mode == "linear")
            {
                const float f = std::floor(xi), t = xi - f;
                const i64 i0 = to_i64(f);
                plan[o].taps.push_back({clampi(i0), 1.0f - t});
                plan[o].taps.push_back({clampi(i0 + 1), t});
            }
            else
            {
                const float f = std::floor(xi), t = xi - f;
                const i64 i0 = to_i64(f);
                // Keys' cubic convolution with coefficient a at distances 1 + t, t, 1 - t, 2 - t.
                const auto near = [a](float s)
                {
                    return ((a + 2.0f) * s - (a + 3.0f)) * s * s + 1.0f;
                };
                const auto far = [a](float s)
                {
                    return ((a * s - 5.0f * a) * s + 8.0f * a) * s - 4.0f * a;
                };
                const float w[4] = {far(1.0f + t), near(t), near(1.0f - t), far(2.0f - t)};
                float sum = 0.0f;
                for (i64 k = 0; k < 4; ++k)
                {
                    const i64 i = i0 - 1 + k;
                    if (exclude_outside && (i < 0 || i > last))
                        continue;
                    plan[o].taps.push_back({clampi(i), w[k]});
                    sum += w[k];
                }
                if (exclude_outside && sum != 0.0f)
                    for (auto& tp : plan[o].taps)
                        tp.second /= sum;
            }
        }
        // Resample axis d of *src_t (outer x in_d x inner) to (outer x out_d x inner).
        std::size_t outer = 1, inner = 1;
        for (std::size_t k = 0; k < d; ++k)
            outer *= cs[k];
        for (std::size_t k = d + 1; k < r; ++k)
            inner *= cs[k];
        shape_t ns = cs;
        ns[d] = ys[d];
        tensor next = make(ns, 0.0f);
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t j = 0; j < ys[d]; ++j)
            {
                float* dst = next.data() + (o * ys[d] + j) * inner;
                for (const auto& [src_i, wt] : plan[j].taps)
                {
                    const float* src = src_t->data() + (o * cs[d] + src_i) * inner;
                    for (std::size_t e = 0; e < inner; ++e)
                        dst[e] += wt * src[e];
                }
            }
        for (const auto& p : plan)
            outside[d].push_back(p.outside);
        cur = std::move(next);
        src_t = &cur;
        cs = ns;
    }
    if (src_t == &x)
        return x;
    if (ctm == "tf_crop_and_resize")
    {
        const auto st = strides_of(ys);
        for (std::size_t e = 0; e < cur.size(); ++e)
            for (std::size_t d = 0; d < r; ++d)
                if (!outside[d].empty() && outside[d][(e / usz(st[d])) % ys[d]])
                {
                    cur.data()[e] = extrapolation;
                    break;
                }
    }
    return cur;
}

/// Softmax: y = exp(x - max) / sum exp(x - max) over axis (opset 13+, default -1), or before opset 13 over
/// the input coerced to 2-D at axis (default 1), i.e. over all dimensions from axis on.
tensor softmax(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    const bool coerce = n.opset > 0 && n.opset < 13;
    const std::size_t axis =
      norm_axis(n, n.get_int("axis", coerce ? 1 : -1), std::max<std::size_t>(xs.size(), 1));
    std::size_t outer = 1, len = 1, inner = 1;
    for (std::size_t d = 0; d < xs.size(); ++d)
        (d < axis ? outer : d == axis || coerce ? len : inner) *= xs[d];
    tensor y = make(xs);
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < inner; ++i)
        {
            const float* src = x.data() + o * len * inner + i;
            float* dst = y.data() + o * len * inner + i;
            float mx = -std::numeric_limits<float>::infinity();
            for (std::size_t k = 0; k < len; ++k)
                mx = std::max(mx, src[k * inner]);
            float sum = 0.0f;
            for (std::size_t k = 0; k < len; ++k)
                sum += dst[k * inner] = std::exp(src[k * inner] - mx);
            for (std::size_t k = 0; k < len; ++k)
                dst[k * inner] /= sum;
        }
    return y;
}

enum class reduction
{
    mean,
    sum,
    max
};

/// ReduceMean / ReduceSum / ReduceMax over axes (attribute, or input 1 from opset 13 (ReduceSum) / 18);
/// no axes: all (unless noop_with_empty_axes); keepdims default 1.
tensor reduce(const node& n, const args_t& in, reduction kind)
{
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    const auto axes = axes_of(n, in, 1);
    const bool keep = n.get_int("keepdims", 1) != 0;
    if (axes.empty() && n.get_int("noop_with_empty_axes", 0) != 0)
        return x;
    std::vector<bool> red(xs.size(), axes.empty());
    for (const i64 a : axes)
        red[norm_axis(n, a, xs.size())] = true;
    shape_t kept(xs.size()), ys;
    for (std::size_t d = 0; d < xs.size(); ++d)
    {
        kept[d] = red[d] ? 1 : xs[d];
        if (!red[d] || keep)
            ys.push_back(kept[d]);
    }
    const bool is_max = kind == reduction::max;
    tensor y = make(ys, is_max ? -std::numeric_limits<float>::infinity() : 0.0f);
    const auto ost = broadcast_strides(kept, xs);
    const std::size_t total = x.size();
    std::vector<std::size_t> idx(xs.size(), 0);
    std::ptrdiff_t off = 0;
    for (std::size_t e = 0; e < total; ++e)
    {
        float& acc = y.data()[off];
        acc = is_max ? std::max(acc, x.data()[e]) : acc + x.data()[e];
        for (std::size_t k = xs.size(); k-- > 0;)
        {
            off += ost[k];
            if (++idx[k] < xs[k])
                break;
            off -= ost[k] * sgn(xs[k]);
            idx[k] = 0;
        }
    }
    if (kind == reduction::mean)
    {
        const float count =
          static_cast<float>(total) / static_cast<float>(std::max<std::size_t>(y.size(), 1));
        for (std::size_t e = 0; e < y.size(); ++e)
            y.data()[e] /= count;
    }
    return y;
}

/// Cast to float/double: identity; to integer types: truncation toward zero; to bool: x != 0.
tensor cast(const node& n, const args_t& in)
{
    const tensor& x = need(n, in, 0);
    switch (n.get_int("to", 1))
    {
        case 1:   // FLOAT
        case 11:  // DOUBLE
            return x;
        case 9:  // BOOL
            return unary(x,
                         [](float v)
                         {
                             return v != 0.0f ? 1.0f : 0.0f;
                         });
        case 2:
        case 3:
        case 4:
        case 5:
        case 6:
        case 7:
        case 12:
        case 13:
            return unary(x,
                         [](float v)
                         {
                             return std::trunc(v);
                         });
        default:
            fail(n, "cast to data type " + std::to_string(n.get_int("to", 1)) + " is not supported");
    }
}

/// Clip: bounds from attributes min/max (opset 6) or optional inputs 1 and 2 (opset 11+).
tensor clip(const node& n, const args_t& in)
{
    float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
    if (in.size() > 1)
    {
        if (const tensor* t = opt(in, 1); t != nullptr && t->size() > 0)
            lo = t->data()[0];
        if (const tensor* t = opt(in, 2); t != nullptr && t->size() > 0)
            hi = t->data()[0];
    }
    else
    {
        lo = n.get_float("min", lo);
        hi = n.get_float("max", hi);
    }
    return unary(need(n, in, 0),
                 [lo, hi](float v)
                 {
                     return std::min(std::max(v, lo), hi);
                 });
}

tensor constant(const node& n, const args_t&)
{
    if (const attribute* a = n.find("value"); a != nullptr && a->t)
        return *a->t;
    if (const attribute* a = n.find("value_float"))
        return tensor(a->f);
    if (const attribute* a = n.find("value_int"))
        return tensor(static_cast<float>(a->i));
    if (const attribute* a = n.find("value_floats"))
    {
        tensor t = make({a->floats.size()});
        std::copy(a->floats.begin(), a->floats.end(), t.data());
        return t;
    }
    if (const attribute* a = n.find("value_ints"))
        return vector_of(a->ints);
    fail(n, "no supported value attribute");
}

/// Expand: numpy broadcasting of the input and the shape (input 1).
tensor expand(const node& n, const args_t& in)
{
    const auto dims = ints_of(need(n, in, 1));
    shape_t s(dims.size());
    for (std::size_t d = 0; d < dims.size(); ++d)
        s[d] = usz(std::max<i64>(dims[d], 0));
    const tensor& x = need(n, in, 0);
    const shape_t xs = shape_of(x);
    return expand_to(x.data(), xs, broadcast_shape(n, xs, s));
}

/// Identity, Dropout (inference: no mask output).
tensor identity(const node& n, const args_t& in)
{
    return need(n, in, 0);
}

using op_fn = std::function<outs_t(const node&, const args_t&)>;

/// An op from f(n, in, extra...), which returns one tensor or all the outputs.
template <class F, class... A>
op_fn op(F f, A... extra)
{
    return [f, extra...](const node& n, const args_t& in)
    {
        if constexpr (std::is_same_v<std::invoke_result_t<F, const node&, const args_t&, A...>, outs_t>)
            return f(n, in, extra...);
        else
            return outs_t{f(n, in, extra...)};
    };
}

/// y = f(x) per element.
template <class F>
op_fn elementwise(F f)
{
    return [f](const node& n, const args_t& in)
    {
        return outs_t{unary(need(n, in, 0), f)};
    };
}

/// y = f(a, b) per element of inputs 0 and 1 broadcast.
template <class F>
op_fn broadcasting(F f)
{
    return [f](const node& n, const args_t& in)
    {
        return outs_t{binary(n, need(n, in, 0), need(n, in, 1), f)};
    };
}

/// Sum, Max, Min: f folded over every input (variadic).
template <class F>
op_fn pairwise(F f)
{
    return [f](const node& n, const args_t& in)
    {
        return outs_t{variadic(n, in, f)};
    };
}

const std::unordered_map<std::string, op_fn>& ops()
{
    static const std::unordered_map<std::string, op_fn> table = {
      {"Conv", op(conv)},
      {"ConvTranspose", op(conv_transpose)},
      {"Gemm", op(gemm_op)},
      {"MatMul", op(matmul)},
      {"BatchNormalization", op(batch_norm)},
      {"MaxPool", op(pool, true)},
      {"AveragePool", op(pool, false)},
      {"Expand", op(expand)},
      {"GlobalAveragePool", op(global_pool, false)},
      {"GlobalMaxPool", op(global_pool, true)},
      {"Relu",
       elementwise(
         [](float v)
         {
             return v > 0.0f ? v : 0.0f;
         })},
      {"Sigmoid",
       elementwise(
         [](float v)
         {
             return 1.0f / (1.0f + std::exp(-v));
         })},
      {"Exp",
       elementwise(
         [](float v)
         {
             return std::exp(v);
         })},
      {"Sqrt",
       elementwise(
         [](float v)
         {
             return std::sqrt(v);
         })},
      {"Neg", elementwise(std::negate<float>())},
      {"Tanh",
       elementwise(
         [](float v)
         {
             return std::tanh(v);
         })},
      {"HardSwish",
       elementwise(
         [](float v)
         {
             return v * std::min(std::max(v / 6.0f + 0.5f, 0.0f), 1.0f);
         })},
      {"HardSigmoid",
       [](const node& n, const args_t& in)
       {
           const float alpha = n.get_float("alpha", 0.2f), beta = n.get_float("beta", 0.5f);
           return outs_t{unary(need(n, in, 0),
                               [alpha, beta](float v)
                               {
                                   return std::min(std::max(alpha * v + beta, 0.0f), 1.0f);
                               })};
       }},
      {"LeakyRelu",
       [](const node& n, const args_t& in)
       {
           const float alpha = n.get_float("alpha", 0.01f);
           return outs_t{unary(need(n, in, 0),
                               [alpha](float v)
                               {
                                   return v >= 0.0f ? v : alpha * v;
                               })};
       }},
      {"Clip", op(clip)},
      {"Add", broadcasting(std::plus<float>())},
      {"Sub", broadcasting(std::minus<float>())},
      {"Mul", broadcasting(std::multiplies<float>())},
      {"Div", broadcasting(std::divides<float>())},
      {"Sum", pairwise(std::plus<float>())},
      {"Max",
       pairwise(
         [](float a, float b)
         {
             return std::isnan(a) || a >= b ? a : b;
         })},
      {"Min",
       pairwise(
         [](float a, float b)
         {
             return std::isnan(a) || a <= b ? a : b;
         })},
      {"Pad", op(pad)},
      {"Concat", op(concat)},
      {"Reshape", op(reshape)},
      {"Flatten", op(flatten)},
      {"Transpose", op(transpose)},
      {"Resize", op(resize)},
      {"Softmax", op(softmax)},
      {"Identity", op(identity)},
      {"Dropout", op(identity)},
      {"Constant", op(constant)},
      {"Shape", op(shape_op)},
      {"Cast", op(cast)},
      {"Slice", op(slice)},
      {"Squeeze", op(squeeze)},
      {"Unsqueeze", op(unsqueeze)},
      {"Gather", op(gather)},
      {"ReduceMean", op(reduce, reduction::mean)},
      {"ReduceSum", op(reduce, reduction::sum)},
      {"ReduceMax", op(reduce, reduction::max)},
    };
    return table;
}
}  // namespace

std::vector<tensor> run_node(const node& n, const std::vector<const tensor*>& inputs)
{
    const auto& table = ops();
    const auto it = table.find(n.op);
    if (it == table.end())
        throw model_error("unsupported op '" + n.op + "' in node '" + n.name + "'");
    return it->second(n, inputs);
}

bool is_supported(const std::string& op)
{
    return ops().count(op) != 0;
}
}  // namespace refrt
