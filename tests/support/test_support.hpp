// Helpers shared by amct's tests: seeded data, bit-exact comparison, the hex-float golden-file reader.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <amct/base/error.hpp>

namespace amct_test
{
/// The message of the exception of type E that f throws, or "(no error)".
template <class E = amct::error, class F>
std::string error_of(F&& f)
{
    try
    {
        f();
    }
    catch (const E& e)
    {
        return e.what();
    }
    return "(no error)";
}

/// The message of the amct::config_error that f throws, or "(no error)".
template <class F>
std::string config_error_of(F&& f)
{
    return error_of<amct::config_error>(std::forward<F>(f));
}

/// Bit pattern of a float: bit-exact comparison that distinguishes -0.0 and treats NaN payloads as data.
inline std::uint32_t bits(float v)
{
    std::uint32_t u;
    std::memcpy(&u, &v, sizeof u);
    return u;
}

/// A float that is exactly (k + 0.5) * scale when that product is representable, else the nearest float.
inline float tie(int k, float scale)
{
    return (static_cast<float>(k) + 0.5f) * scale;
}

/// Mixed test data: normal values around the quantization range, exact ties, saturation, +-Inf, NaN,
/// denormals and signed zeros, in a seeded order.
inline std::vector<float> mixed_data(std::size_t n, float scale, std::uint32_t seed)
{
    std::mt19937 gen(seed);
    std::normal_distribution<float> normal(0.0f, 60.0f * scale);
    std::uniform_int_distribution<int> kind(0, 19);
    std::uniform_int_distribution<int> k(-140, 140);
    std::vector<float> v(n);
    for (auto& x : v)
    {
        switch (kind(gen))
        {
            case 0:
                x = tie(k(gen), scale);
                break;
            case 1:
                x = std::numeric_limits<float>::infinity();
                break;
            case 2:
                x = -std::numeric_limits<float>::infinity();
                break;
            case 3:
                x = std::numeric_limits<float>::quiet_NaN();
                break;
            case 4:
                x = std::numeric_limits<float>::denorm_min() * static_cast<float>(k(gen));
                break;
            case 5:
                x = -0.0f;
                break;
            case 6:
                x = 1e30f * static_cast<float>(k(gen));
                break;
            case 7:
                x = -std::numeric_limits<float>::max();
                break;
            default:
                x = normal(gen) * (kind(gen) < 3 ? 400.0f : 1.0f);
        }
    }
    return v;
}

/// One case of tests/data/torch_fake_quant.txt (written by scripts/gen_torch_golden.py).
struct golden_case
{
    std::string name;
    bool per_channel = false;
    std::int32_t qmin = 0, qmax = 0;
    std::ptrdiff_t axis = 0;
    std::vector<float> scales;
    std::vector<std::int32_t> offsets;
    std::vector<std::size_t> shape;
    std::vector<float> input, output;
};

inline float parse_float(const std::string& token)
{
    char* end = nullptr;
    const float v = std::strtof(token.c_str(), &end);
    if (end == token.c_str() || *end != '\0')
    {
        throw std::runtime_error("bad float literal '" + token + "'");
    }
    return v;
}

/// A raw little-endian float32 file (tests/data/algo/*.f32).
inline std::vector<float> read_f32(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
    {
        throw std::runtime_error("cannot open " + path);
    }
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<float> v(bytes.size() / 4);
    std::memcpy(v.data(), bytes.data(), v.size() * 4);
    return v;
}

inline std::vector<golden_case> read_golden(const std::string& path)
{
    std::ifstream in(path);
    if (!in)
    {
        throw std::runtime_error("cannot open " + path);
    }
    std::vector<golden_case> cases;
    std::string line;
    golden_case c;
    auto floats = [](std::istringstream& s)
    {
        std::size_t n = 0;
        s >> n;
        std::vector<float> v(n);
        std::string t;
        for (auto& x : v)
        {
            s >> t;
            x = parse_float(t);
        }
        return v;
    };
    while (std::getline(in, line))
    {
        std::istringstream s(line);
        std::string key;
        if (!(s >> key) || key[0] == '#')
        {
            continue;
        }
        if (key == "case")
        {
            c = golden_case{};
            std::string kind;
            s >> c.name >> kind >> c.qmin >> c.qmax;
            c.per_channel = kind == "per_channel";
            if (c.per_channel)
            {
                std::size_t channels = 0;
                s >> c.axis >> channels;
            }
            else
            {
                std::string t;
                s >> t;
                c.scales = {parse_float(t)};
                c.offsets.resize(1);
                s >> c.offsets[0];
            }
        }
        else if (key == "scales")
        {
            std::string t;
            while (s >> t)
            {
                c.scales.push_back(parse_float(t));
            }
        }
        else if (key == "zero_points")
        {
            std::int32_t z;
            while (s >> z)
            {
                c.offsets.push_back(z);
            }
        }
        else if (key == "shape")
        {
            std::size_t rank = 0;
            s >> rank;
            c.shape.resize(rank);
            for (auto& d : c.shape)
            {
                s >> d;
            }
        }
        else if (key == "input")
        {
            c.input = floats(s);
        }
        else if (key == "output")
        {
            c.output = floats(s);
        }
        else if (key == "end")
        {
            cases.push_back(c);
        }
    }
    return cases;
}
}  // namespace amct_test
