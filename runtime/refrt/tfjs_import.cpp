// runtime/refrt/tfjs_import.cpp: TF.js layers models into refrt::graph. See tfjs_import.hpp.
//
// Layout: every rank-4 Keras tensor (NHWC) is held as NCHW in the graph; other ranks keep the Keras order.
// Layer semantics follow the Keras layer documentation as tfjs-layers implements it.
#include "tfjs_import.hpp"

#include <algorithm>   // std::all_of, std::copy
#include <cmath>       // std::floor, std::ldexp
#include <cstddef>     // std::size_t
#include <cstdint>     // std::int64_t, std::uint8_t
#include <cstring>     // std::memcpy
#include <filesystem>  // std::filesystem
#include <limits>      // std::numeric_limits
#include <optional>    // std::optional
#include <set>         // std::set
#include <utility>     // std::move

#include <boost/json.hpp>

#include <amct/base/diagnostic.hpp>   // amct::locate
#include <amct/detail/text_file.hpp>  // amct::detail::read_regular_file

#include "onnx_proto.hpp"  // proto::max_model_file_bytes

namespace refrt
{
namespace
{
namespace json = boost::json;
namespace fs = std::filesystem;

using shape_t = std::vector<std::int64_t>;  // Keras order; -1 for an unknown dimension

[[noreturn]] void fail(const std::string& file, const std::string& message)
{
    throw model_error(file + ": " + message);
}

/// A file's bytes (a regular file within refrt::proto::max_model_file_bytes); `what` ("" or "cannot read
/// shard 'x' (path): ") prefixes the problem in the message, which starts with `file`.
std::string read_file(const std::string& file, const fs::path& path, const std::string& what)
{
    std::string bytes, problem;
    if (!amct::detail::read_regular_file(
          path.string(), proto::max_model_file_bytes, "the reference runtime's model reader", bytes, problem))
        fail(file, what + problem);
    return bytes;
}

/// Whether a manifest path stays inside the model's folder: relative, without a root and without "..".
bool inside_folder(const fs::path& p)
{
    if (p.empty() || p.has_root_path() || p.is_absolute())
        return false;
    for (const fs::path& part : p)
        if (part == "..")
            return false;
    return true;
}

/// The file's top-level object; a syntax error names the line and column.
json::object parse_model_json(const std::string& file)
{
    const std::string text = read_file(file, file, "");
    json::stream_parser parser;
    json::error_code ec;
    const std::size_t used = parser.write(text.data(), text.size(), ec);
    if (!ec)
        parser.finish(ec);
    if (ec)
    {
        const amct::source_location at = amct::locate(file, text, used);
        fail(file,
             "invalid JSON at line " + std::to_string(at.line) + ", column " + std::to_string(at.column)
               + ": " + ec.message());
    }
    json::value root = parser.release();
    if (!root.is_object())
        fail(file, "expected a JSON object");
    return std::move(root.as_object());
}

std::string shape_string(const shape_t& shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
}

/// An integer-valued JSON number, or nullopt.
std::optional<std::int64_t> as_integer(const json::value& v)
{
    if (v.is_int64())
        return v.as_int64();
    if (v.is_uint64()
        && v.as_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(v.as_uint64());
    if (v.is_double())
    {
        const double d = v.as_double();
        if (std::floor(d) == d && std::abs(d) < 9.0e15)
            return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------------------
// Weights (tfjs-core io_utils decodeWeights)

/// IEEE binary16 to float32, exact.
float half_to_float(std::uint16_t h)
{
    const int exponent = (h >> 10) & 0x1f;
    const int fraction = h & 0x3ff;
    float v = 0.0f;
    if (exponent == 0)
        v = std::ldexp(static_cast<float>(fraction), -24);
    else if (exponent == 31)
        v = fraction ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
    else
        v = std::ldexp(static_cast<float>(fraction + 1024), exponent - 25);
    return (h & 0x8000) ? -v : v;
}

std::uint32_t read_le(const unsigned char* p, std::size_t bytes)
{
    std::uint32_t v = 0;
    for (std::size_t i = bytes; i-- > 0;)
        v = (v << 8) | p[i];
    return v;
}

std::map<std::string, tfjs_weight> decode_manifest(const json::object& root, const std::string& file)
{
    std::map<std::string, tfjs_weight> weights;
    const json::value* manifest = root.if_contains("weightsManifest");
    if (!manifest)
        return weights;
    if (!manifest->is_array())
        fail(file, "weightsManifest: expected a list");
    const fs::path dir = fs::path(file).parent_path();
    std::size_t group_index = 0;
    for (const json::value& group_value : manifest->as_array())
    {
        const std::string where = "weightsManifest[" + std::to_string(group_index++) + "]";
        const json::object* group = group_value.if_object();
        const json::value* paths = group ? group->if_contains("paths") : nullptr;
        const json::value* specs = group ? group->if_contains("weights") : nullptr;
        if (!paths || !paths->is_array() || !specs || !specs->is_array())
            fail(file, where + ": expected {\"paths\": [...], \"weights\": [...]}");
        // A group's shards are one byte sequence split into files.
        std::string data, shard_names;
        for (const json::value& p : paths->as_array())
        {
            if (!p.is_string())
                fail(file, where + ".paths: expected strings");
            const std::string name(p.as_string());
            if (!inside_folder(fs::path(name)))
                fail(file,
                     where + ": shard path '" + name + "' leaves the model's folder (absolute or '..')");
            const std::string shard =
              read_file(file,
                        dir / name,
                        where + ": cannot read shard '" + name + "' (" + (dir / name).string() + "): ");
            if (data.size() + shard.size() > proto::max_model_file_bytes)
                fail(file,
                     where + ": the shards hold more than "
                       + std::to_string(proto::max_model_file_bytes >> 30) + " GiB");
            data += shard;
            shard_names += (shard_names.empty() ? "'" : ", '") + name + "'";
        }
        shard_names = (paths->as_array().size() == 1 ? "shard " + shard_names + " holds"
                                                     : "shards " + shard_names + " hold");
        const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
        std::size_t offset = 0;
        for (const json::value& spec_value : specs->as_array())
        {
            const json::object* spec = spec_value.if_object();
            const json::value* name_value = spec ? spec->if_contains("name") : nullptr;
            const json::value* shape_value = spec ? spec->if_contains("shape") : nullptr;
            if (!name_value || !name_value->is_string() || !shape_value || !shape_value->is_array())
                fail(file, where + ".weights: expected {\"name\", \"shape\", \"dtype\"} entries");
            const std::string name(name_value->as_string());
            const std::string wwhere = where + ": weight '" + name + "'";
            tfjs_weight w;
            std::size_t count = 1;
            for (const json::value& d : shape_value->as_array())
            {
                const auto dim = as_integer(d);
                if (!dim || *dim < 0 || *dim > (std::int64_t{1} << 31))
                    fail(file, wwhere + ": bad shape");
                w.shape.push_back(*dim);
                // checked before the product, which could otherwise wrap (2^34 * 2^31 > 2^64)
                const auto udim = static_cast<std::size_t>(*dim);
                if (udim != 0 && count > (std::size_t{1} << 34) / udim)
                    fail(file, wwhere + ": shape too large");
                count *= udim;
            }
            std::string dtype = "float32";
            if (const json::value* d = spec->if_contains("dtype"); d && d->is_string())
                dtype = d->as_string().c_str();
            std::string stored = dtype;  // the dtype of the bytes
            double scale = 1.0, min = 0.0;
            const json::object* quant = nullptr;
            if (const json::value* q = spec->if_contains("quantization"); q && !q->is_null())
            {
                quant = q->if_object();
                const json::value* qd = quant ? quant->if_contains("dtype") : nullptr;
                if (!qd || !qd->is_string())
                    fail(file, wwhere + ": quantization without a dtype");
                stored = qd->as_string().c_str();
                if (stored == "uint8" || stored == "uint16")
                {
                    const json::value* s = quant->if_contains("scale");
                    const json::value* m = quant->if_contains("min");
                    if (!s || !m || !s->is_number() || !m->is_number())
                        fail(file, wwhere + ": " + stored + " quantization without min and scale");
                    scale = s->to_number<double>();
                    min = m->to_number<double>();
                }
                else if (stored != "float16")
                    fail(file, wwhere + ": unsupported quantization dtype '" + stored + "'");
                if (dtype != "float32" && !(dtype == "int32" && stored != "float16"))
                    fail(file,
                         wwhere + ": " + stored + " quantization of dtype '" + dtype + "' is not supported");
            }
            const std::size_t size = stored == "uint8" || stored == "bool"       ? 1
                                     : stored == "uint16" || stored == "float16" ? 2
                                     : stored == "float32" || stored == "int32"  ? 4
                                                                                 : 0;
            if (size == 0)
                fail(file, wwhere + ": unsupported dtype '" + stored + "'");
            const std::size_t need = count * size;
            if (data.size() - offset < need)
                fail(file,
                     wwhere + " needs bytes [" + std::to_string(offset) + ", " + std::to_string(offset + need)
                       + ") but " + shard_names + " only " + std::to_string(data.size()) + " bytes");
            w.values.resize(count);
            float* out = w.values.data();
            const unsigned char* p = bytes + offset;
            if (stored == "uint8" || stored == "uint16")
            {
                const bool round = dtype == "int32";  // Math.round
                for (std::size_t i = 0; i < count; ++i)
                {
                    // value = q * scale + min in double (JS numbers), rounded once to float32. The volatile
                    // product keeps the compiler from fusing it into an FMA (one rounding fewer than JS).
                    const volatile double product = static_cast<double>(read_le(p + i * size, size)) * scale;
                    const double v = product + min;
                    out[i] = static_cast<float>(round ? std::floor(v + 0.5) : v);
                }
            }
            else if (stored == "float16")
                for (std::size_t i = 0; i < count; ++i)
                    out[i] = half_to_float(static_cast<std::uint16_t>(read_le(p + 2 * i, 2)));
            else if (stored == "float32")
                for (std::size_t i = 0; i < count; ++i)
                {
                    const std::uint32_t u = read_le(p + 4 * i, 4);
                    std::memcpy(&out[i], &u, sizeof u);
                }
            else if (stored == "int32")
                for (std::size_t i = 0; i < count; ++i)
                    out[i] = static_cast<float>(static_cast<std::int32_t>(read_le(p + 4 * i, 4)));
            else  // bool
                for (std::size_t i = 0; i < count; ++i)
                    out[i] = p[i] ? 1.0f : 0.0f;
            offset += need;
            if (!weights.emplace(name, std::move(w)).second)
                fail(file, wwhere + ": listed twice");
        }
        if (offset != data.size())
            fail(file,
                 where + ": " + shard_names + " " + std::to_string(data.size())
                   + " bytes but the manifest's weights take " + std::to_string(offset));
    }
    return weights;
}

// ---------------------------------------------------------------------------------------------------------
// Graph construction

struct ktensor
{
    std::string name;  ///< graph tensor (NCHW when rank 4)
    shape_t shape;     ///< Keras shape (NHWC when rank 4)
};

// Transpose perms between Keras's NHWC and the graph's NCHW.
const std::vector<std::int64_t> nhwc_to_nchw = {0, 3, 1, 2}, nchw_to_nhwc = {0, 2, 3, 1};

/// Keras NHWC axis to the graph's axis for a tensor of that rank.
std::int64_t graph_axis(std::int64_t keras_axis, std::size_t rank)
{
    if (rank != 4)
        return keras_axis;
    static const std::int64_t map[4] = {0, 2, 3, 1};
    return map[keras_axis];
}

tensor make_tensor(const shape_t& shape, const std::vector<float>& values)
{
    std::vector<std::size_t> s(shape.begin(), shape.end());
    tensor t = tensor::from_shape(s);
    std::copy(values.begin(), values.end(), t.data());
    return t;
}

class builder
{
public:
    builder(std::string file, std::map<std::string, tfjs_weight> weights)
      : file_(std::move(file))
      , weights_(std::move(weights))
    {
    }

    graph build(const json::object& root)
    {
        const json::value* topology_value = root.if_contains("modelTopology");
        if (!topology_value || !topology_value->is_object())
        {
            if (const json::value* f = root.if_contains("format");
                f && f->is_string() && f->as_string() == "graph-model")
                fail(file_, "a TF.js graph model, not a layers model");
            fail(file_, "modelTopology: expected an object");
        }
        const json::object* topology = &topology_value->as_object();
        std::string path = "modelTopology";
        if (const json::value* mc = topology->if_contains("model_config"))
        {
            if (!mc->is_object())
                fail(file_, "modelTopology.model_config: expected an object");
            topology = &mc->as_object();
            path += ".model_config";
        }
        const std::string cls = string_at(*topology, "class_name", path);
        const json::value* config = topology->if_contains("config");
        if (!config)
            fail(file_, path + ".config: missing");
        if (cls == "Sequential")
            build_sequential(*config, path + ".config");
        else if (cls == "Model" || cls == "Functional")
            build_functional(*config, path + ".config");
        else
            fail(file_, path + ".class_name: unsupported model class '" + cls + "'");
        return std::move(g_);
    }

private:
    std::string file_;
    std::map<std::string, tfjs_weight> weights_;
    graph g_;
    std::map<std::string, ktensor> outputs_;  // by layer name
    std::string layer_, class_;               // the layer being converted, for errors
    std::string where_;                       // the JSON path for errors outside layers
    const json::object* cfg_ = nullptr;

    std::string string_at(const json::object& o, const char* key, const std::string& path) const
    {
        const json::value* v = o.if_contains(key);
        if (!v || !v->is_string())
            fail(file_, path + "." + key + ": expected a string");
        return std::string(v->as_string());
    }

    // --- errors and config access for the current layer

    [[noreturn]] void error(const std::string& message) const
    {
        fail(file_, (layer_.empty() ? where_ : "layer '" + layer_ + "' (" + class_ + ")") + ": " + message);
    }

    const json::value* param(const char* key) const
    {
        const json::value* v = cfg_->if_contains(key);
        return v && !v->is_null() ? v : nullptr;
    }

    [[noreturn]] void bad_param(const char* key, const std::string& expected) const
    {
        error(std::string("config.") + key + ": expected " + expected);
    }

    /// param(key), which must pass `is_type` when present.
    const json::value* typed_param(const char* key,
                                   bool (json::value::*is_type)() const noexcept,
                                   const char* expected) const
    {
        const json::value* v = param(key);
        if (v && !(v->*is_type)())
            bad_param(key, expected);
        return v;
    }

    std::int64_t int_param(const char* key, std::int64_t fallback) const
    {
        const json::value* v = param(key);
        if (!v)
            return fallback;
        if (v->is_array() && v->as_array().size() == 1)  // Keras 3 writes some axes as lists
            v = &v->as_array()[0];
        const auto i = as_integer(*v);
        if (!i)
            bad_param(key, "an integer");
        return *i;
    }

    double double_param(const char* key, double fallback) const
    {
        const json::value* v = typed_param(key, &json::value::is_number, "a number");
        return v ? v->to_number<double>() : fallback;
    }

    bool bool_param(const char* key, bool fallback) const
    {
        const json::value* v = typed_param(key, &json::value::is_bool, "true or false");
        return v ? v->as_bool() : fallback;
    }

    std::string string_param(const char* key, const std::string& fallback) const
    {
        const json::value* v = typed_param(key, &json::value::is_string, "a string");
        return v ? std::string(v->as_string()) : fallback;
    }

    /// config.axis (default -1, the last), counted from the front for a rank-`rank` tensor.
    std::int64_t axis_param(std::size_t rank) const
    {
        const std::int64_t axis = int_param("axis", -1);
        return axis < 0 ? axis + static_cast<std::int64_t>(rank) : axis;
    }

    /// An integer or a list of two integers (Keras's normalize_tuple).
    std::vector<std::int64_t> pair_param(const char* key, std::vector<std::int64_t> fallback) const
    {
        const json::value* v = param(key);
        if (!v)
            return fallback;
        if (const auto i = as_integer(*v))
            return {*i, *i};
        std::vector<std::int64_t> r;
        if (v->is_array())
            for (const json::value& e : v->as_array())
                if (const auto i = as_integer(e))
                    r.push_back(*i);
        if (r.size() != 2 || v->as_array().size() != 2 || r[0] <= 0 || r[1] <= 0)
            bad_param(key, "a positive integer or a list of two");
        return r;
    }

    // --- graph helpers

    node& add_node(const std::string& op,
                   const std::string& name,
                   std::vector<std::string> inputs,
                   const std::string& output)
    {
        node n;
        n.name = name;
        n.op = op;
        n.inputs = std::move(inputs);
        n.outputs = {output};
        g_.nodes.push_back(std::move(n));
        return g_.nodes.back();
    }

    static void set_int(node& n, const char* key, std::int64_t v)
    {
        n.attributes[key].i = v;
    }

    static void set_ints(node& n, const char* key, std::vector<std::int64_t> v)
    {
        n.attributes[key].ints = std::move(v);
    }

    static void set_float(node& n, const char* key, float v)
    {
        n.attributes[key].f = v;
    }

    static void set_string(node& n, const char* key, std::string v)
    {
        n.attributes[key].s = std::move(v);
    }

    std::string add_constant(const std::string& name, const shape_t& shape, const std::vector<float>& values)
    {
        if (!g_.constants.emplace(name, make_tensor(shape, values)).second)
            error("constant '" + name + "' defined twice");
        return name;
    }

    /// A Transpose node `name` writing `output` (default: a tensor named as the node); returns the output.
    std::string transpose(const std::string& input,
                          const std::string& name,
                          const std::vector<std::int64_t>& perm,
                          std::string output = {})
    {
        if (output.empty())
            output = name;
        set_ints(add_node("Transpose", name, {input}, output), "perm", perm);
        return output;
    }

    /// The manifest weight "<layer>/<suffix>", checked against the expected shape (-1: any).
    tfjs_weight take_weight(const std::string& suffix, const shape_t& expected)
    {
        const std::string name = layer_ + "/" + suffix;
        const auto it = weights_.find(name);
        if (it == weights_.end())
            error("missing weight '" + name + "' in the weights manifest");
        tfjs_weight w = std::move(it->second);
        weights_.erase(it);
        bool ok = w.shape.size() == expected.size();
        for (std::size_t i = 0; ok && i < expected.size(); ++i)
            ok = expected[i] < 0 || expected[i] == w.shape[i];
        if (!ok)
            error("weight '" + name + "' has shape " + shape_string(w.shape) + ", expected "
                  + shape_string(expected));
        return w;
    }

    /// The manifest weight "<layer>/<suffix>" as the graph constant of that name.
    std::string weight_constant(const std::string& suffix, const shape_t& expected)
    {
        const tfjs_weight w = take_weight(suffix, expected);
        return add_constant(layer_ + "/" + suffix, w.shape, w.values);
    }

    /// Appends the activation `act` (Keras name) reading `input`, writing `output`; "linear" adds nothing.
    void activation(const std::string& act,
                    const std::string& input,
                    const std::string& output,
                    std::size_t rank)
    {
        const std::string name = layer_ + "/" + act;
        if (act == "relu")
            add_node("Relu", name, {input}, output);
        else if (act == "relu6")
            clip(name, input, output, 6.0f);
        else if (act == "sigmoid")
            add_node("Sigmoid", name, {input}, output);
        else if (act == "tanh")
            add_node("Tanh", name, {input}, output);
        else if (act == "softmax")  // over the last Keras axis
            set_int(add_node("Softmax", name, {input}, output),
                    "axis",
                    graph_axis(static_cast<std::int64_t>(rank) - 1, rank));
        else if (act == "hard_sigmoid")  // tfjs-layers and Keras 2: clip(0.2 x + 0.5, 0, 1)
        {
            node& n = add_node("HardSigmoid", name, {input}, output);
            set_float(n, "alpha", 0.2f);
            set_float(n, "beta", 0.5f);
        }
        else if (act == "linear")
            add_node("Identity", name, {input}, output);
        else
            error("unsupported activation '" + act + "'");
    }

    void clip(const std::string& name, const std::string& input, const std::string& output, float max)
    {
        add_constant(name + "/min", {}, {0.0f});
        add_constant(name + "/max", {}, {max});
        add_node("Clip", name, {input, name + "/min", name + "/max"}, output);
    }

    /// The main node's output: the layer's name, or "<layer>/linear" when an activation follows.
    std::string pre_activation(const std::string& act) const
    {
        return act == "linear" ? layer_ : layer_ + "/linear";
    }

    ktensor finish_activation(const std::string& act, const std::string& pre, shape_t shape)
    {
        if (act != "linear")
            activation(act, pre, layer_, shape.size());
        return {layer_, std::move(shape)};
    }

    // --- layers

    void require_rank(const ktensor& x, std::size_t rank) const
    {
        if (x.shape.size() != rank)
            error("expects a rank-" + std::to_string(rank) + " input, got shape " + shape_string(x.shape));
    }

    void require_channels_last() const
    {
        const std::string f = string_param("data_format", "channels_last");
        if (f != "channels_last")
            error("data_format '" + f + "' is not supported");
    }

    bool same_padding() const
    {
        const std::string p = string_param("padding", "valid");
        if (p != "same" && p != "valid")
            error("padding '" + p + "' is not supported");
        return p == "same";
    }

    /// TF's output size: same ceil(in / s), valid ceil((in - effective kernel + 1) / s).
    std::int64_t out_size(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t d, bool same) const
    {
        if (in < 0)
            return -1;
        const std::int64_t eff = (k - 1) * d + 1;
        if (same)
            return (in + s - 1) / s;
        if (in < eff)
            error("input size " + std::to_string(in) + " is smaller than the kernel extent "
                  + std::to_string(eff));
        return (in - eff) / s + 1;
    }

    ktensor conv(const ktensor& x, bool depthwise)
    {
        require_rank(x, 4);
        require_channels_last();
        const auto k = pair_param("kernel_size", {});
        if (k.empty())
            error("config.kernel_size: missing");
        const auto s = pair_param("strides", {1, 1});
        const auto d = pair_param("dilation_rate", {1, 1});
        const bool same = same_padding();
        const std::int64_t c = x.shape[3];
        if (c < 0)
            error("the input's channel count is unknown");
        const char* kernel = depthwise ? "depthwise_kernel" : "kernel";
        std::int64_t groups = 1, filters = 0, ci_n = 1;  // kernel HWIO: I = ci_n, O = filters
        tfjs_weight w;
        if (depthwise)
        {
            // Kernel [H, W, C, M]: output channel c * M + m reads input channel c (tf.nn.depthwise_conv2d),
            // so it is HWIO with I = 1, O = C * M.
            const std::int64_t m = int_param("depth_multiplier", 1);
            w = take_weight(kernel, {k[0], k[1], c, m});
            groups = c;
            filters = c * m;
        }
        else
        {
            groups = int_param("groups", 1);
            filters = int_param("filters", -1);
            if (groups <= 0 || c % groups != 0)
                error("groups " + std::to_string(groups) + " does not divide " + std::to_string(c)
                      + " channels");
            ci_n = c / groups;
            w = take_weight(kernel, {k[0], k[1], ci_n, filters});
            filters = w.shape[3];
        }
        // HWIO to ONNX's OIHW.
        std::vector<float> values(w.values.size());
        for (std::int64_t h = 0; h < k[0]; ++h)
            for (std::int64_t ww = 0; ww < k[1]; ++ww)
                for (std::int64_t ci = 0; ci < ci_n; ++ci)
                    for (std::int64_t o = 0; o < filters; ++o)
                        values[static_cast<std::size_t>(((o * ci_n + ci) * k[0] + h) * k[1] + ww)] =
                          w.values[static_cast<std::size_t>(((h * k[1] + ww) * ci_n + ci) * filters + o)];
        std::vector<std::string> inputs = {
          x.name, add_constant(layer_ + "/" + kernel, {filters, ci_n, k[0], k[1]}, values)};
        if (bool_param("use_bias", true))
            inputs.push_back(weight_constant("bias", {filters}));
        const std::string act = string_param("activation", "linear");
        const std::string pre = pre_activation(act);
        node& n = add_node("Conv", layer_, std::move(inputs), pre);
        set_ints(n, "kernel_shape", k);
        set_ints(n, "strides", s);
        set_ints(n, "dilations", d);
        set_int(n, "group", groups);
        if (same)
            set_string(n, "auto_pad", "SAME_UPPER");  // TF puts the odd padding pixel at the end
        else
            set_ints(n, "pads", {0, 0, 0, 0});
        return finish_activation(act,
                                 pre,
                                 {x.shape[0],
                                  out_size(x.shape[1], k[0], s[0], d[0], same),
                                  out_size(x.shape[2], k[1], s[1], d[1], same),
                                  filters});
    }

    ktensor batch_norm(const ktensor& x)
    {
        const auto rank = static_cast<std::int64_t>(x.shape.size());
        const std::int64_t axis = axis_param(x.shape.size());
        if (rank < 2 || axis != rank - 1 || (rank != 2 && rank != 4))
            error("axis " + std::to_string(int_param("axis", -1)) + " of a rank-" + std::to_string(rank)
                  + " input is not supported (only the channel axis of rank-2 or rank-4 tensors)");
        const std::int64_t c = x.shape.back();
        if (c < 0)
            error("the input's channel count is unknown");
        const auto vec = [&](const char* name, bool present, float fallback)
        {
            if (present)
                return weight_constant(name, {c});
            return add_constant(
              layer_ + "/" + name, {c}, std::vector<float>(static_cast<std::size_t>(c), fallback));
        };
        std::vector<std::string> inputs = {x.name};
        inputs.push_back(vec("gamma", bool_param("scale", true), 1.0f));
        inputs.push_back(vec("beta", bool_param("center", true), 0.0f));
        inputs.push_back(vec("moving_mean", true, 0.0f));
        inputs.push_back(vec("moving_variance", true, 1.0f));
        node& n = add_node("BatchNormalization", layer_, std::move(inputs), layer_);
        set_float(n, "epsilon", static_cast<float>(double_param("epsilon", 1e-3)));
        return {layer_, x.shape};
    }

    ktensor relu(const ktensor& x)
    {
        if (double_param("negative_slope", 0.0) != 0.0 || double_param("threshold", 0.0) != 0.0)
            error("negative_slope and threshold other than 0 are not supported");
        if (const json::value* m = typed_param("max_value", &json::value::is_number, "a number"))
            clip(layer_, x.name, layer_, static_cast<float>(m->to_number<double>()));
        else
            add_node("Relu", layer_, {x.name}, layer_);
        return {layer_, x.shape};
    }

    ktensor zero_padding(const ktensor& x)
    {
        require_rank(x, 4);
        require_channels_last();
        // int, (symmetric_h, symmetric_w) or ((top, bottom), (left, right)).
        std::int64_t t = 1, b = 1, l = 1, r = 1;
        if (const json::value* p = param("padding"))
        {
            bool ok = false;
            if (const auto i = as_integer(*p))
            {
                t = b = l = r = *i;
                ok = true;
            }
            else if (p->is_array() && p->as_array().size() == 2)
            {
                const json::array& a = p->as_array();
                if (as_integer(a[0]) && as_integer(a[1]))
                {
                    t = b = *as_integer(a[0]);
                    l = r = *as_integer(a[1]);
                    ok = true;
                }
                else if (a[0].is_array() && a[1].is_array() && a[0].as_array().size() == 2
                         && a[1].as_array().size() == 2)
                {
                    const auto v = [](const json::value& e)
                    {
                        return as_integer(e).value_or(-1);
                    };
                    t = v(a[0].as_array()[0]);
                    b = v(a[0].as_array()[1]);
                    l = v(a[1].as_array()[0]);
                    r = v(a[1].as_array()[1]);
                    ok = true;
                }
            }
            if (!ok || t < 0 || b < 0 || l < 0 || r < 0)
                bad_param("padding", "an integer, two integers or ((top, bottom), (left, right))");
        }
        // ONNX Pad pads: begins of every axis, then ends; NCHW.
        const std::string pads = add_constant(layer_ + "/pads",
                                              {8},
                                              {0.0f,
                                               0.0f,
                                               static_cast<float>(t),
                                               static_cast<float>(l),
                                               0.0f,
                                               0.0f,
                                               static_cast<float>(b),
                                               static_cast<float>(r)});
        set_string(add_node("Pad", layer_, {x.name, pads}, layer_), "mode", "constant");
        const auto grow = [](std::int64_t n, std::int64_t by)
        {
            return n < 0 ? n : n + by;
        };
        return {layer_, {x.shape[0], grow(x.shape[1], t + b), grow(x.shape[2], l + r), x.shape[3]}};
    }

    ktensor elementwise(const std::vector<ktensor>& xs, const std::string& op)
    {
        if (xs.size() < 2)
            error("expects at least two inputs");
        for (const ktensor& x : xs)
            if (x.shape.size() != xs[0].shape.size())
                error("inputs of different ranks");
        // ONNX Add/Mul are binary: a chain whose last node carries the layer's name.
        std::string acc = xs[0].name;
        for (std::size_t i = 1; i < xs.size(); ++i)
        {
            const std::string name = i + 1 == xs.size() ? layer_ : layer_ + "/" + std::to_string(i);
            add_node(op, name, {acc, xs[i].name}, name);
            acc = name;
        }
        return {layer_, xs[0].shape};
    }

    ktensor concatenate(const std::vector<ktensor>& xs)
    {
        if (xs.empty())
            error("expects inputs");
        const std::size_t rank = xs[0].shape.size();
        const std::int64_t axis = axis_param(rank);
        if (axis < 1 || axis >= static_cast<std::int64_t>(rank))
            error("axis " + std::to_string(int_param("axis", -1)) + " is out of range");
        shape_t shape = xs[0].shape;
        shape[static_cast<std::size_t>(axis)] = 0;
        std::vector<std::string> inputs;
        for (const ktensor& x : xs)
        {
            if (x.shape.size() != rank)
                error("inputs of different ranks");
            const std::int64_t n = x.shape[static_cast<std::size_t>(axis)];
            auto& total = shape[static_cast<std::size_t>(axis)];
            total = total < 0 || n < 0 ? -1 : total + n;
            inputs.push_back(x.name);
        }
        set_int(add_node("Concat", layer_, std::move(inputs), layer_), "axis", graph_axis(axis, rank));
        return {layer_, shape};
    }

    ktensor global_pool(const ktensor& x, const std::string& op)
    {
        require_rank(x, 4);
        require_channels_last();
        if (bool_param("keepdims", false))
        {
            add_node(op, layer_, {x.name}, layer_);
            return {layer_, {x.shape[0], 1, 1, x.shape[3]}};
        }
        // Keras returns [N, C]: GlobalAveragePool gives [N, C, 1, 1], Flatten drops the ones.
        add_node(op, layer_, {x.name}, layer_ + "/pooled");
        set_int(add_node("Flatten", layer_ + "/flatten", {layer_ + "/pooled"}, layer_), "axis", 1);
        return {layer_, {x.shape[0], x.shape[3]}};
    }

    ktensor pool(const ktensor& x, const std::string& op)
    {
        require_rank(x, 4);
        require_channels_last();
        const auto k = pair_param("pool_size", {2, 2});
        const auto s = pair_param("strides", k);
        const bool same = same_padding();
        node& n = add_node(op, layer_, {x.name}, layer_);
        set_ints(n, "kernel_shape", k);
        set_ints(n, "strides", s);
        if (same)
            set_string(n, "auto_pad", "SAME_UPPER");
        else
            set_ints(n, "pads", {0, 0, 0, 0});
        if (op == "AveragePool")
            set_int(n, "count_include_pad", 0);  // TF averages over the valid pixels only
        return {layer_,
                {x.shape[0],
                 out_size(x.shape[1], k[0], s[0], 1, same),
                 out_size(x.shape[2], k[1], s[1], 1, same),
                 x.shape[3]}};
    }

    ktensor dense(const ktensor& x)
    {
        if (x.shape.size() != 2)
            error("a rank-" + std::to_string(x.shape.size())
                  + " input is not supported (only [batch, features])");
        const tfjs_weight w = take_weight("kernel", {x.shape[1], int_param("units", -1)});
        const std::int64_t units = w.shape[1];
        std::vector<std::string> inputs = {x.name, add_constant(layer_ + "/kernel", w.shape, w.values)};
        if (bool_param("use_bias", true))
            inputs.push_back(weight_constant("bias", {units}));
        const std::string act = string_param("activation", "linear");
        const std::string pre = pre_activation(act);
        node& n = add_node("Gemm", layer_, std::move(inputs), pre);  // kernel [in, out]: Y = X B + C
        set_int(n, "transA", 0);
        set_int(n, "transB", 0);
        set_float(n, "alpha", 1.0f);
        set_float(n, "beta", 1.0f);
        return finish_activation(act, pre, {x.shape[0], units});
    }

    static std::int64_t product(const shape_t& shape, std::size_t from)
    {
        std::int64_t p = 1;
        for (std::size_t i = from; i < shape.size(); ++i)
        {
            if (shape[i] < 0)
                return -1;
            p *= shape[i];
        }
        return p;
    }

    ktensor flatten(const ktensor& x)
    {
        if (x.shape.size() < 2)
            error("expects an input of rank 2 or more");
        std::string input = x.name;
        // Keras flattens in NHWC order; NCHW needs a transpose unless H = W = 1.
        if (x.shape.size() == 4 && !(x.shape[1] == 1 && x.shape[2] == 1))
        {
            require_channels_last();
            input = transpose(x.name, layer_ + "/to_nhwc", nchw_to_nhwc);
        }
        set_int(add_node("Flatten", layer_, {input}, layer_), "axis", 1);
        return {layer_, {x.shape[0], product(x.shape, 1)}};
    }

    ktensor reshape(const ktensor& x)
    {
        const json::value* t = param("target_shape");
        shape_t target;
        if (t && t->is_array())
            for (const json::value& e : t->as_array())
                if (const auto i = as_integer(e))
                    target.push_back(*i);
        if (!t || !t->is_array() || target.size() != t->as_array().size() || target.empty())
            bad_param("target_shape", "a list of integers");
        const std::int64_t in = product(x.shape, 1);
        std::int64_t known = 1, unknown = 0;
        for (const std::int64_t d : target)
        {
            if (d == -1)
                ++unknown;
            else if (d <= 0)
                error("config.target_shape " + shape_string(target) + ": bad dimension");
            else
                known *= d;
        }
        if (unknown > 1 || (unknown == 1 && in < 0))
            error("config.target_shape " + shape_string(target) + " cannot be resolved for input "
                  + shape_string(x.shape));
        for (std::int64_t& d : target)
            if (d == -1)
                d = in / known;
        if (in >= 0 && product(target, 0) != in)
            error("cannot reshape " + shape_string(x.shape) + " to " + shape_string(target));
        std::string input = x.name;
        if (x.shape.size() == 4)
            input = transpose(x.name, layer_ + "/to_nhwc", nchw_to_nhwc);
        shape_t shape = {-1};
        shape.insert(shape.end(), target.begin(), target.end());
        std::vector<float> dims(shape.begin(), shape.end());
        const std::string shape_name =
          add_constant(layer_ + "/shape", {static_cast<std::int64_t>(shape.size())}, dims);
        const bool to_nchw = shape.size() == 4;
        add_node("Reshape", layer_, {input, shape_name}, to_nchw ? layer_ + "/nhwc" : layer_);
        if (to_nchw)
            transpose(layer_ + "/nhwc", layer_ + "/to_nchw", nhwc_to_nchw, layer_);
        shape[0] = x.shape.empty() ? -1 : x.shape[0];
        return {layer_, shape};
    }

    ktensor identity(const ktensor& x)
    {
        add_node("Identity", layer_, {x.name}, layer_);
        return {layer_, x.shape};
    }

    /// A graph input with the declared (Keras) layout, transposed to NCHW when rank 4.
    ktensor input(const json::object& cfg)
    {
        const json::value* s = cfg.if_contains("batch_input_shape");
        if (!s)
            s = cfg.if_contains("batch_shape");
        shape_t shape;
        if (s && s->is_array())
            for (const json::value& e : s->as_array())
                shape.push_back(e.is_null() ? -1 : as_integer(e).value_or(-2));
        if (!s || !s->is_array() || shape.empty()
            || !std::all_of(shape.begin(),
                            shape.end(),
                            [](std::int64_t d)
                            {
                                return d == -1 || d > 0;
                            }))
            bad_param("batch_input_shape", "a list of sizes (null for any)");
        const std::string dtype = string_param("dtype", "float32");
        if (dtype != "float32")
            error("input dtype '" + dtype + "' is not supported");
        g_.inputs.push_back({layer_, shape});
        if (shape.size() != 4)
            return {layer_, shape};
        return {transpose(layer_, layer_ + "/to_nchw", nhwc_to_nchw), shape};
    }

    ktensor convert(const std::string& cls, const std::vector<ktensor>& xs)
    {
        const auto one = [&]() -> const ktensor&
        {
            if (xs.size() != 1)
                error("expects one input, got " + std::to_string(xs.size()));
            return xs[0];
        };
        if (cls == "Conv2D" || cls == "Convolution2D")
            return conv(one(), false);
        if (cls == "DepthwiseConv2D")
            return conv(one(), true);
        if (cls == "BatchNormalization")
            return batch_norm(one());
        if (cls == "ReLU")
            return relu(one());
        if (cls == "Activation")
        {
            const ktensor& x = one();
            activation(string_param("activation", "linear"), x.name, layer_, x.shape.size());
            g_.nodes.back().name = layer_;
            return {layer_, x.shape};
        }
        if (cls == "Softmax")
        {
            const ktensor& x = one();
            const std::int64_t axis = axis_param(x.shape.size());
            if (axis < 1 || axis >= static_cast<std::int64_t>(x.shape.size()))
                error("axis out of range");
            set_int(add_node("Softmax", layer_, {x.name}, layer_), "axis", graph_axis(axis, x.shape.size()));
            return {layer_, x.shape};
        }
        if (cls == "ZeroPadding2D")
            return zero_padding(one());
        if (cls == "Add")
            return elementwise(xs, "Add");
        if (cls == "Multiply")
            return elementwise(xs, "Mul");
        if (cls == "Concatenate")
            return concatenate(xs);
        if (cls == "GlobalAveragePooling2D")
            return global_pool(one(), "GlobalAveragePool");
        if (cls == "GlobalMaxPooling2D")
            return global_pool(one(), "GlobalMaxPool");
        if (cls == "AveragePooling2D")
            return pool(one(), "AveragePool");
        if (cls == "MaxPooling2D")
            return pool(one(), "MaxPool");
        if (cls == "Dense")
            return dense(one());
        if (cls == "Flatten")
            return flatten(one());
        if (cls == "Reshape")
            return reshape(one());
        if (cls == "Dropout" || cls == "SpatialDropout2D" || cls == "GaussianNoise"
            || cls == "GaussianDropout" || cls == "AlphaDropout")
            return identity(one());  // inference
        error("unsupported layer class");
    }

    /// Sets the current layer from a layer entry; returns its config.
    const json::object& enter(const json::value& entry, const std::string& path)
    {
        const json::object* layer = entry.if_object();
        if (!layer)
            fail(file_, path + ": expected an object");
        const json::value* cfg = layer->if_contains("config");
        if (!cfg || !cfg->is_object())
            fail(file_, path + ".config: expected an object");
        cfg_ = &cfg->as_object();
        class_ = string_at(*layer, "class_name", path);
        const json::value* name = layer->if_contains("name");
        if (!name)
            name = cfg_->if_contains("name");
        if (!name || !name->is_string())
            fail(file_, path + ": layer without a name");
        layer_ = std::string(name->as_string());
        return *cfg_;
    }

    void add_output(const ktensor& t)
    {
        if (t.shape.size() != 4)
        {
            g_.outputs.push_back(t.name);
            return;
        }
        g_.outputs.push_back(
          transpose(t.name, t.name + "/to_nhwc", nchw_to_nhwc, t.name + "/nhwc"));  // Keras's NHWC
    }

    /// [layer, node_index, tensor_index] (Keras 2) or a Keras 3 "__keras_tensor__" keras_history.
    std::string inbound_layer(const json::value& ref) const
    {
        const json::value* r = &ref;
        if (const json::object* o = ref.if_object())
        {
            const json::value* c = o->if_contains("config");
            r = c && c->is_object() ? c->as_object().if_contains("keras_history") : nullptr;
            if (!r)
                error("inbound_nodes: unsupported tensor reference");
        }
        if (!r->is_array() || r->as_array().size() < 3 || !r->as_array()[0].is_string())
            error("inbound_nodes: expected [layer, node_index, tensor_index]");
        const json::array& a = r->as_array();
        if (as_integer(a[1]).value_or(-1) != 0 || as_integer(a[2]).value_or(-1) != 0)
            error("inbound_nodes: only the first output of a layer called once is supported");
        return std::string(a[0].as_string());
    }

    std::vector<std::string> inbound_layers(const json::object& layer) const
    {
        std::vector<std::string> names;
        const json::value* inbound = layer.if_contains("inbound_nodes");
        if (!inbound || !inbound->is_array() || inbound->as_array().empty())
            return names;
        if (inbound->as_array().size() != 1)
            error("called " + std::to_string(inbound->as_array().size())
                  + " times: shared layers are not supported");
        const json::value& call = inbound->as_array()[0];
        if (const json::object* k3 =
              call.if_object())  // Keras 3: {"args": [tensor or [tensors]], "kwargs": {}}
        {
            const json::value* args = k3->if_contains("args");
            if (!args || !args->is_array() || args->as_array().empty())
                error("inbound_nodes: expected args");
            const json::value& first = args->as_array()[0];
            if (first.is_array())
                for (const json::value& t : first.as_array())
                    names.push_back(inbound_layer(t));
            else
                names.push_back(inbound_layer(first));
            return names;
        }
        if (!call.is_array())
            error("inbound_nodes: expected a list of tensor references");
        for (const json::value& t : call.as_array())
            names.push_back(inbound_layer(t));
        return names;
    }

    const ktensor& layer_output(const std::string& name) const
    {
        const auto it = outputs_.find(name);
        if (it == outputs_.end())
            error("input '" + name + "' is not the output of an earlier layer");
        return it->second;
    }

    void build_functional(const json::value& config, const std::string& path)
    {
        const json::object* c = config.if_object();
        const json::value* layers = c ? c->if_contains("layers") : nullptr;
        if (!layers || !layers->is_array())
            fail(file_, path + ".layers: expected a list");
        const json::array& list = layers->as_array();
        // Layers in dependency order (Keras writes them so; reorder if not).
        std::vector<bool> done(list.size(), false);
        std::size_t remaining = list.size();
        while (remaining > 0)
        {
            bool progress = false;
            for (std::size_t i = 0; i < list.size(); ++i)
            {
                if (done[i])
                    continue;
                const std::string lpath = path + ".layers[" + std::to_string(i) + "]";
                enter(list[i], lpath);
                const std::vector<std::string> in = inbound_layers(list[i].as_object());
                if (!std::all_of(in.begin(),
                                 in.end(),
                                 [&](const std::string& n)
                                 {
                                     return outputs_.count(n) > 0;
                                 }))
                    continue;
                if (outputs_.count(layer_))
                    error("duplicate layer name");
                ktensor out;
                if (class_ == "InputLayer")
                {
                    if (!in.empty())
                        error("an InputLayer with inputs");
                    out = input(*cfg_);
                }
                else
                {
                    if (in.empty())
                        error("no inbound nodes");
                    std::vector<ktensor> xs;
                    for (const std::string& n : in)
                        xs.push_back(layer_output(n));
                    out = convert(class_, xs);
                }
                outputs_.emplace(layer_, std::move(out));
                done[i] = true;
                --remaining;
                progress = true;
            }
            if (!progress)
            {
                // Name the first layer that cannot run and its missing input.
                for (std::size_t i = 0; i < list.size(); ++i)
                    if (!done[i])
                    {
                        enter(list[i], path + ".layers[" + std::to_string(i) + "]");
                        for (const std::string& n : inbound_layers(list[i].as_object()))
                            if (!outputs_.count(n))
                                error("input '" + n + "' is not the output of any layer (or a cycle)");
                    }
                fail(file_, path + ".layers: cannot order the layers");
            }
        }
        layer_.clear();
        where_ = path + ".output_layers";
        const json::value* outs = c->if_contains("output_layers");
        if (!outs || !outs->is_array() || outs->as_array().empty())
            fail(file_, path + ".output_layers: expected a list");
        // A single output may be written unnested: ["name", 0, 0].
        const json::array& o = outs->as_array();
        if (o[0].is_string())
            add_output(layer_output(inbound_layer(*outs)));
        else
            for (const json::value& ref : o)
                add_output(layer_output(inbound_layer(ref)));
    }

    void build_sequential(const json::value& config, const std::string& path)
    {
        const json::value* layers = &config;  // old Keras: the list itself
        std::string lpath = path;
        if (const json::object* c = config.if_object())
        {
            layers = c->if_contains("layers");
            lpath += ".layers";
        }
        if (!layers || !layers->is_array() || layers->as_array().empty())
            fail(file_, lpath + ": expected a non-empty list");
        const json::array& list = layers->as_array();
        ktensor x;
        for (std::size_t i = 0; i < list.size(); ++i)
        {
            const json::object& cfg = enter(list[i], lpath + "[" + std::to_string(i) + "]");
            if (i == 0)
            {
                if (class_ == "InputLayer")
                {
                    x = input(cfg);
                    continue;
                }
                // The first layer declares the input; Keras names it "<layer>_input".
                const std::string name = layer_;
                layer_ += "_input";
                x = input(cfg);
                layer_ = name;
            }
            x = convert(class_, {x});
        }
        layer_.clear();
        add_output(x);
    }
};
}  // namespace

std::map<std::string, tfjs_weight> read_tfjs_weights(const std::string& model_json_path)
{
    return decode_manifest(parse_model_json(model_json_path), model_json_path);
}

graph load_tfjs(const std::string& model_json_path)
{
    const json::object root = parse_model_json(model_json_path);
    builder b(model_json_path, decode_manifest(root, model_json_path));
    return b.build(root);
}
}  // namespace refrt
