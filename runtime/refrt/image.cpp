// runtime/refrt/image.cpp: see image.hpp.
#define STB_IMAGE_IMPLEMENTATION
#include "image.hpp"

#include <algorithm>  // std::min, std::max, std::sort, std::copy
#include <cmath>      // std::floor, std::ceil, std::nearbyint
#include <limits>     // std::numeric_limits
#include <memory>     // std::unique_ptr
#include <stdexcept>  // std::runtime_error, std::invalid_argument

#include <amct/detail/text_file.hpp>  // amct::detail::read_regular_file

#include "onnx_proto.hpp"  // proto::max_model_file_bytes
#include <stb_image.h>

namespace refrt
{
namespace
{
static_assert(tensor::static_layout == xt::layout_type::row_major,
              "tensor data is walked in row-major order");

void check_image(const image& img, const char* what)
{
    if (img.height == 0 || img.width == 0 || img.channels == 0
        || img.pixels.size() != img.height * img.width * img.channels)
    {
        throw std::invalid_argument(std::string(what)
                                    + ": empty image or pixel count != height*width*channels");
    }
}

void check_rgb(const image& img, const char* what)
{
    check_image(img, what);
    if (img.channels != 3)
    {
        throw std::invalid_argument(std::string(what) + ": needs 3 channels, got "
                                    + std::to_string(img.channels));
    }
}

/// One output coordinate's two source indices and the weight of the second (half-pixel centres, clamped).
struct tap
{
    std::size_t i0, i1;
    float w1;
};

std::vector<tap> taps(std::size_t in, std::size_t out)
{
    std::vector<tap> t(out);
    const double scale = static_cast<double>(in) / static_cast<double>(out);
    for (std::size_t o = 0; o < out; ++o)
    {
        const double src = std::max(0.0, (static_cast<double>(o) + 0.5) * scale - 0.5);
        const auto i0 = std::min(static_cast<std::size_t>(std::floor(src)), in - 1);
        const std::size_t i1 = std::min(i0 + 1, in - 1);
        t[o] = {i0, i1, i1 == i0 ? 0.0f : static_cast<float>(src - static_cast<double>(i0))};
    }
    return t;
}

/// Writes planes B, G, R (bgr) or R, G, B of `img` (3 channels) as (x / 255 - mean[c]) / stddev[c] for
/// output channel c, into `dst` with rows `stride` floats apart.
void normalized_planes(const image& img,
                       const std::array<float, 3>& mean,
                       const std::array<float, 3>& stddev,
                       bool bgr,
                       float* dst,
                       std::size_t stride)
{
    for (std::size_t ch = 0; ch < 3; ++ch)
    {
        const std::size_t from = bgr ? 2 - ch : ch;
        const float m = mean[ch], s = stddev[ch];
        for (std::size_t y = 0; y < img.height; ++y)
        {
            float* out = dst + (ch * img.height + y) * stride;
            const float* src = img.pixels.data() + y * img.width * 3;
            for (std::size_t x = 0; x < img.width; ++x)
            {
                out[x] = (src[x * 3 + from] / 255.0f - m) / s;
            }
        }
    }
}

/// Python's round(): nearest integer, ties to even (the default floating-point rounding mode).
double round_half_even(double v)
{
    return std::nearbyint(v);
}
}  // namespace

image load_image(const std::string& path)
{
    std::string bytes, problem;  // read here, not by stb_image: a regular file within the model file limit
    if (!amct::detail::read_regular_file(
          path, proto::max_model_file_bytes, "the reference runtime's model reader", bytes, problem))
        throw std::runtime_error("load_image: '" + path + "': " + problem);
    if (bytes.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw std::runtime_error("load_image: '" + path + "': larger than stb_image's 2 GiB limit");
    int w = 0, h = 0, n = 0;
    std::unique_ptr<stbi_uc, void (*)(void*)> data(
      stbi_load_from_memory(
        reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &w, &h, &n, 3),
      stbi_image_free);
    if (!data)
    {
        const char* reason = stbi_failure_reason();
        throw std::runtime_error("load_image: cannot decode '" + path
                                 + "': " + (reason ? reason : "unknown"));
    }
    const auto height = static_cast<std::size_t>(h), width = static_cast<std::size_t>(w);
    return {height, width, 3, std::vector<float>(data.get(), data.get() + height * width * 3)};
}

image resize_bilinear(const image& img, std::size_t height, std::size_t width)
{
    check_image(img, "resize_bilinear");
    if (height == 0 || width == 0)
    {
        throw std::invalid_argument("resize_bilinear: target size must be positive");
    }
    const std::size_t c = img.channels;
    const std::vector<tap> ty = taps(img.height, height), tx = taps(img.width, width);
    image out{height, width, c, std::vector<float>(height * width * c)};
    const float* in = img.pixels.data();
    for (std::size_t y = 0; y < height; ++y)
    {
        const float* r0 = in + ty[y].i0 * img.width * c;
        const float* r1 = in + ty[y].i1 * img.width * c;
        const float wy = ty[y].w1;
        float* dst = out.pixels.data() + y * width * c;
        for (std::size_t x = 0; x < width; ++x)
        {
            const std::size_t a = tx[x].i0 * c, b = tx[x].i1 * c;
            const float wx = tx[x].w1;
            for (std::size_t k = 0; k < c; ++k)
            {
                const float top = r0[a + k] + wx * (r0[b + k] - r0[a + k]);
                const float bottom = r1[a + k] + wx * (r1[b + k] - r1[a + k]);
                dst[x * c + k] = top + wy * (bottom - top);
            }
        }
    }
    return out;
}

image crop(const image& img, std::size_t y, std::size_t x, std::size_t h, std::size_t w)
{
    check_image(img, "crop");
    if (h == 0 || w == 0 || y > img.height || h > img.height - y || x > img.width || w > img.width - x)
    {
        throw std::invalid_argument("crop: rows " + std::to_string(y) + "+" + std::to_string(h) + ", columns "
                                    + std::to_string(x) + "+" + std::to_string(w) + " outside a "
                                    + std::to_string(img.height) + "x" + std::to_string(img.width)
                                    + " image (or empty)");
    }
    const std::size_t c = img.channels;
    image out{h, w, c, std::vector<float>(h * w * c)};
    for (std::size_t r = 0; r < h; ++r)
    {
        const float* src = img.pixels.data() + ((y + r) * img.width + x) * c;
        std::copy(src, src + w * c, out.pixels.data() + r * w * c);
    }
    return out;
}

image rotate180(const image& img)
{
    check_image(img, "rotate180");
    const std::size_t c = img.channels, n = img.height * img.width;
    image out{img.height, img.width, c, std::vector<float>(img.pixels.size())};
    for (std::size_t p = 0; p < n; ++p)
    {
        const float* src = img.pixels.data() + (n - 1 - p) * c;
        std::copy(src, src + c, out.pixels.data() + p * c);
    }
    return out;
}

tensor to_nchw(const image& img,
               const std::array<float, 3>& mean,
               const std::array<float, 3>& stddev,
               bool bgr)
{
    check_rgb(img, "to_nchw");
    tensor t = tensor::from_shape({1, 3, img.height, img.width});
    normalized_planes(img, mean, stddev, bgr, t.data(), img.width);
    return t;
}

tensor to_nhwc(const image& img, float scale)
{
    check_image(img, "to_nhwc");
    tensor t = tensor::from_shape({1, img.height, img.width, img.channels});
    float* dst = t.data();
    for (std::size_t i = 0; i < img.pixels.size(); ++i)
    {
        dst[i] = img.pixels[i] * scale;
    }
    return t;
}

tensor stack(const std::vector<tensor>& batch)
{
    if (batch.empty())
    {
        throw std::invalid_argument("stack: no tensors");
    }
    const auto& first = batch.front().shape();
    if (first.empty() || first[0] != 1)
    {
        throw std::invalid_argument("stack: tensors must have shape [1, ...]");
    }
    for (const tensor& t : batch)
    {
        if (t.shape() != first)
        {
            throw std::invalid_argument("stack: tensors of different shapes");
        }
    }
    std::vector<std::size_t> shape(first.begin(), first.end());
    shape[0] = batch.size();
    tensor out = tensor::from_shape(shape);
    const std::size_t each = batch.front().size();
    for (std::size_t i = 0; i < batch.size(); ++i)
    {
        std::copy(batch[i].data(), batch[i].data() + each, out.data() + i * each);
    }
    return out;
}

std::array<std::size_t, 2> det_size(std::size_t height, std::size_t width, std::size_t limit_side)
{
    if (height == 0 || width == 0)
    {
        throw std::invalid_argument("det_size: empty image");
    }
    const double h = static_cast<double>(height), w = static_cast<double>(width);
    const double ratio =
      std::max(height, width) > limit_side ? static_cast<double>(limit_side) / (height > width ? h : w) : 1.0;
    auto side = [ratio](double s)
    {
        const double scaled = std::floor(s * ratio);  // int(h * ratio)
        return static_cast<std::size_t>(std::max(round_half_even(scaled / 32.0) * 32.0, 32.0));
    };
    return {side(h), side(w)};
}

image resize_for_det(const image& img, std::size_t limit_side)
{
    check_image(img, "resize_for_det");
    const auto [h, w] = det_size(img.height, img.width, limit_side);
    return resize_bilinear(img, h, w);
}

std::vector<box> text_boxes(const tensor& prob_map,
                            float thresh,
                            float box_thresh,
                            float unclip_ratio,
                            std::size_t min_size)
{
    const auto& shape = prob_map.shape();
    if (shape.size() != 4 || shape[0] != 1 || shape[1] != 1 || shape[2] == 0 || shape[3] == 0)
    {
        throw std::invalid_argument("text_boxes: the probability map must have shape [1, 1, H, W]");
    }
    const std::size_t H = shape[2], W = shape[3];
    const float* p = prob_map.data();
    std::vector<unsigned char> seen(H * W, 0);
    std::vector<std::size_t> todo;
    std::vector<box> boxes;
    for (std::size_t start = 0; start < H * W; ++start)
    {
        if (!(p[start] > thresh) || seen[start])
        {
            continue;
        }
        // Flood fill of one 8-connected component with an explicit stack.
        std::size_t y0 = H, y1 = 0, x0 = W, x1 = 0, count = 0;
        double sum = 0.0;
        todo.assign(1, start);
        seen[start] = 1;
        while (!todo.empty())
        {
            const std::size_t at = todo.back();
            todo.pop_back();
            const std::size_t y = at / W, x = at % W;
            y0 = std::min(y0, y), y1 = std::max(y1, y), x0 = std::min(x0, x), x1 = std::max(x1, x);
            sum += static_cast<double>(p[at]);
            ++count;
            for (std::size_t ny = (y > 0 ? y - 1 : 0); ny <= std::min(y + 1, H - 1); ++ny)
            {
                for (std::size_t nx = (x > 0 ? x - 1 : 0); nx <= std::min(x + 1, W - 1); ++nx)
                {
                    const std::size_t n = ny * W + nx;
                    if (!seen[n] && p[n] > thresh)
                    {
                        seen[n] = 1;
                        todo.push_back(n);
                    }
                }
            }
        }
        // Rectangle through the border pixels' centres, as OpenCV's contour and minAreaRect give it.
        const double rw = static_cast<double>(x1 - x0), rh = static_cast<double>(y1 - y0);
        if (std::min(rw, rh) < static_cast<double>(min_size))
        {
            continue;
        }
        const double score = sum / static_cast<double>(count);
        if (score < static_cast<double>(box_thresh))
        {
            continue;
        }
        const double d =
          rw + rh > 0.0 ? rw * rh * static_cast<double>(unclip_ratio) / (2.0 * (rw + rh)) : 0.0;
        if (std::min(rw, rh) + 2.0 * d < static_cast<double>(min_size + 2))
        {
            continue;
        }
        auto edge = [d](std::size_t v, double sign, std::size_t last)
        {
            const double e = round_half_even(static_cast<double>(v) + sign * d);
            return static_cast<std::size_t>(std::clamp(e, 0.0, static_cast<double>(last)));
        };
        const std::size_t bx0 = edge(x0, -1.0, W - 1), bx1 = edge(x1, 1.0, W - 1);
        const std::size_t by0 = edge(y0, -1.0, H - 1), by1 = edge(y1, 1.0, H - 1);
        boxes.push_back({by0, bx0, by1 - by0 + 1, bx1 - bx0 + 1, static_cast<float>(score)});
    }
    std::sort(boxes.begin(),
              boxes.end(),
              [](const box& a, const box& b)
              {
                  return a.y != b.y ? a.y < b.y : a.x < b.x;
              });
    return boxes;
}

tensor cls_input(const image& text_crop)
{
    check_rgb(text_crop, "cls_input");
    constexpr std::size_t H = 48, W = 192;
    const double ratio = static_cast<double>(text_crop.width) / static_cast<double>(text_crop.height);
    const double want = std::ceil(static_cast<double>(H) * ratio);
    const std::size_t rw =
      want > static_cast<double>(W) ? W : std::max<std::size_t>(1, static_cast<std::size_t>(want));
    const image small = resize_bilinear(text_crop, H, rw);
    tensor t = tensor::from_shape({1, 3, H, W});
    t.fill(0.0f);
    normalized_planes(small, {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}, true, t.data(), W);
    return t;
}
}  // namespace refrt
