// quantize_tensors: quantizes the weights of a real network (MobileNetV2 from npm nsfwjs@4.3.0, converted by
// scripts/tfjs_weights.js) the way AMCT's ARQ does, and prints what it did per tensor: granularity, scale
// range, the integer range used, the error in quantization steps and the SQNR, per tensor and per channel.
//
// usage: quantize_tensors WEIGHTS.amctw [--bits 4|6|7|8|16]
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <amct/amct.hpp>

namespace
{
struct named_tensor
{
    std::string name;
    std::string kind;  // Keras layer class: Conv2D, DepthwiseConv2D, Dense, BatchNormalization
    xt::xarray<float> value;
};

/// Reads the AMCTW1 bundle written by scripts/tfjs_weights.js (little-endian; see that script).
std::vector<named_tensor> read_amctw(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
    {
        throw std::runtime_error(path + ": cannot open");
    }
    auto u32 = [&]
    {
        unsigned char b[4];
        if (!in.read(reinterpret_cast<char*>(b), 4))
        {
            throw std::runtime_error(path + ": truncated file");
        }
        return std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16
               | std::uint32_t{b[3]} << 24;
    };
    auto str = [&]
    {
        std::string s(u32(), '\0');
        if (!in.read(s.data(), static_cast<std::streamsize>(s.size())))
        {
            throw std::runtime_error(path + ": truncated file");
        }
        return s;
    };
    char magic[8];
    if (!in.read(magic, 8) || std::memcmp(magic, "AMCTW1\0\0", 8) != 0)
    {
        throw std::runtime_error(path + ": not an AMCTW1 file");
    }
    std::vector<named_tensor> tensors(u32());
    for (auto& t : tensors)
    {
        t.name = str();
        std::vector<std::size_t> shape(u32());
        for (auto& d : shape)
        {
            d = u32();
        }
        t.kind = str();
        t.value = xt::xarray<float>::from_shape(shape);
        if (!in.read(reinterpret_cast<char*>(t.value.data()),
                     static_cast<std::streamsize>(t.value.size() * 4)))
        {
            throw std::runtime_error(path + ": truncated data of " + t.name);
        }
    }
    return tensors;
}

/// SQNR in dB: 10 log10(sum x^2 / sum (x - y)^2).
double sqnr_db(const xt::xarray<float>& x, const xt::xarray<float>& y)
{
    double signal = 0.0, noise = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i)
    {
        const double e = double(x.data()[i]) - double(y.data()[i]);
        signal += double(x.data()[i]) * double(x.data()[i]);
        noise += e * e;
    }
    return noise == 0.0 ? INFINITY : 10.0 * std::log10(signal / noise);
}

struct tensor_report
{
    double sqnr_tensor = 0.0;   // per-tensor quantization
    double sqnr_channel = 0.0;  // per-channel quantization (NaN where AMCT has no channel axis)
    float scale_min = 0.0f, scale_max = 0.0f;
    int q_min = 0, q_max = 0;
    double max_step_error =
      0.0;  // max |x - fake_quantize(x)| / scale, within [-scale/2, scale/2] unless clipped
};

/// ARQ on one weight: TF kernels keep output channels last, so channels are the last axis (depthwise: the
/// last two, flattened). Dense (ONNX Gemm/MatMul) is per-tensor in AMCT; its per-channel figure is shown for
/// contrast.
template <class Precision>
tensor_report quantize_weight(const named_tensor& t)
{
    using per_tensor = amct::quant_spec<Precision, amct::symmetric, amct::per_tensor>;
    using per_channel = amct::quant_spec<Precision, amct::symmetric, amct::per_channel>;
    xt::xarray<float> w = t.value;
    if (t.kind == "DepthwiseConv2D")
    {
        const auto& s = t.value.shape();
        w.reshape({s[0] * s[1], s[2] * s[3]});
    }
    tensor_report r;
    const auto qt = amct::minmax_qparams<per_tensor>(w);
    r.sqnr_tensor = sqnr_db(w, amct::fake_quantize(w, qt));

    const auto qc = amct::minmax_qparams<per_channel>(w, -1);
    const auto q = amct::quantize(w, qc);
    const auto fq = amct::fake_quantize(w, qc);
    r.sqnr_channel = sqnr_db(w, fq);
    r.scale_min = xt::amin(qc.scale)();
    r.scale_max = xt::amax(qc.scale)();
    r.q_min = int(xt::amin(q)());
    r.q_max = int(xt::amax(q)());
    const std::size_t channels = qc.scale.size();
    for (std::size_t i = 0; i < w.size(); ++i)
    {
        const float step = qc.scale(i % channels);
        r.max_step_error = std::max(r.max_step_error, std::fabs(double(w.data()[i]) - fq.data()[i]) / step);
    }
    return r;
}

template <class Precision>
int run(const std::vector<named_tensor>& tensors)
{
    std::printf("%-44s %-16s %-14s %9s %9s %11s %11s %10s %6s\n",
                "weight",
                "layer",
                "shape",
                "SQNR/t dB",
                "SQNR/c dB",
                "scale min",
                "scale max",
                "q range",
                "|e|/s");
    std::size_t count = 0, params = 0;
    double worst_step = 0.0;
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& t : tensors)
    {
        if (t.kind != "Conv2D" && t.kind != "DepthwiseConv2D" && t.kind != "Dense")
        {
            continue;
        }
        if (t.name.find("kernel") == std::string::npos)
        {
            continue;  // biases stay float here; the pipeline quantizes them to int32 with scale_d * scale_w
        }
        const tensor_report r = quantize_weight<Precision>(t);
        std::string shape;
        for (std::size_t d : t.value.shape())
        {
            shape += (shape.empty() ? "" : "x") + std::to_string(d);
        }
        char range[32];
        std::snprintf(range, sizeof range, "[%d,%d]", r.q_min, r.q_max);
        std::printf("%-44s %-16s %-14s %9.2f %9.2f %11.3e %11.3e %10s %6.3f\n",
                    t.name.c_str(),
                    t.kind.c_str(),
                    shape.c_str(),
                    r.sqnr_tensor,
                    r.sqnr_channel,
                    double(r.scale_min),
                    double(r.scale_max),
                    range,
                    r.max_step_error);
        worst_step = std::max(worst_step, r.max_step_error);
        ++count;
        params += t.value.size();
    }
    const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("\nquantized %zu weight tensors (%zu parameters) to int%d symmetric per channel in %.1f ms "
                "(kernels: %s); worst |x - fake_quantize(x)| = %.3f quantization steps\n",
                count,
                params,
                Precision::bits,
                ms,
                amct::kernel::arch_name(),
                worst_step);
    // Half a step, except where AMCT's 128 rule (|min| > |max|) saturates the positive end: under one step.
    return worst_step <= 1.0 ? 0 : 1;
}
}  // namespace

int main(int argc, char** argv)
{
    if (argc < 2)
    {
        std::fprintf(stderr, "usage: %s WEIGHTS.amctw [--bits 4|6|7|8|16]\n", argv[0]);
        return 2;
    }
    int bits = 8;
    for (int i = 2; i + 1 < argc; i += 2)
    {
        if (std::strcmp(argv[i], "--bits") == 0)
        {
            bits = std::atoi(argv[i + 1]);
        }
    }
    try
    {
        const auto tensors = read_amctw(argv[1]);
        std::printf("%s: %zu tensors\n\n", argv[1], tensors.size());
        amct::quant_descriptor d;
        d.num_bits = bits;
        d.channel_wise = true;
        return amct::dispatch(d,
                              [&](auto spec)
                              {
                                  return run<typename decltype(spec)::precision_type>(tensors);
                              });
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "quantize_tensors: %s\n", e.what());
        return 1;
    }
}
