// The TF.js layers-model importer (runtime/refrt/tfjs_import.hpp) against TensorFlow.js itself: small
// models built and predicted by tfjs-layers (tests/data/tfjs, scripts/gen_tfjs_golden.js), and, when
// AMCT_MODELS_DIR (environment, else the macro) names scripts/fetch_models.sh's cache, nsfwjs's MobileNetV2
// against scripts/tfjs_reference.js run by node.
#include <algorithm>   // std::max, std::max_element
#include <cmath>       // std::abs
#include <cstdint>     // std::int64_t, std::uint32_t
#include <cstdlib>     // std::getenv, std::system
#include <cstring>     // std::memcpy
#include <filesystem>  // std::filesystem
#include <string>      // std::string
#include <vector>      // std::vector

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include "runtime_support.hpp"
#include <refrt/executor.hpp>
#include <refrt/tfjs_import.hpp>
#include <sys/stat.h>  // mkfifo

namespace
{
namespace fs = std::filesystem;
namespace json = boost::json;
using refrt::tensor;

using rt_test::read_text;
using rt_test::scripts_dir;
using rt_test::shell_quote;
using rt_test::temp_dir;
using rt_test::write_text;

const std::string data_dir = std::string(AMCT_TEST_DATA_DIR) + "/tfjs/";

/// Float32 little-endian file.
std::vector<float> read_f32(const fs::path& path)
{
    const std::string bytes = read_text(path);
    REQUIRE(bytes.size() % 4 == 0);
    std::vector<float> v(bytes.size() / 4);
    for (std::size_t i = 0; i < v.size(); ++i)
    {
        std::uint32_t u = 0;
        for (std::size_t b = 4; b-- > 0;)
            u = (u << 8) | static_cast<unsigned char>(bytes[4 * i + b]);
        std::memcpy(&v[i], &u, sizeof u);
    }
    return v;
}

void write_f32(const fs::path& path, const std::vector<float>& v)
{
    std::string bytes(4 * v.size(), '\0');
    for (std::size_t i = 0; i < v.size(); ++i)
    {
        std::uint32_t u = 0;
        std::memcpy(&u, &v[i], sizeof u);
        for (std::size_t b = 0; b < 4; ++b)
            bytes[4 * i + b] = static_cast<char>((u >> (8 * b)) & 0xff);
    }
    write_text(path, bytes);
}

tensor make_input(const std::vector<std::size_t>& shape, const std::vector<float>& values)
{
    tensor t = tensor::from_shape(shape);
    REQUIRE(t.size() == values.size());
    std::copy(values.begin(), values.end(), t.data());
    return t;
}

/// All outputs, flattened and concatenated.
std::vector<float> run_flat(const refrt::graph& g, const std::string& input, const tensor& x)
{
    std::vector<float> all;
    for (const tensor& t : refrt::run(g, {{input, x}}))
        all.insert(all.end(), t.data(), t.data() + t.size());
    return all;
}

/// max |a - b| over max |b|.
double relative_max_difference(const std::vector<float>& a, const std::vector<float>& b)
{
    REQUIRE(a.size() == b.size());
    double diff = 0.0, scale = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
    {
        diff = std::max(diff, static_cast<double>(std::abs(a[i] - b[i])));
        scale = std::max(scale, static_cast<double>(std::abs(b[i])));
    }
    return diff / std::max(scale, 1e-30);
}

const refrt::node& find_node(const refrt::graph& g, const std::string& name)
{
    for (const refrt::node& n : g.nodes)
        if (n.name == name)
            return n;
    FAIL("no node " << name);
    throw;
}

std::vector<std::size_t> shape_of(const refrt::graph& g, const std::string& constant)
{
    const tensor* t = g.constant(constant);
    REQUIRE_MESSAGE(t, "no constant " << constant);
    return {t->shape().begin(), t->shape().end()};
}

/// The model_error message of load_tfjs, or "" when it loads.
std::string load_error(const fs::path& json_path)
{
    try
    {
        refrt::load_tfjs(json_path.string());
    }
    catch (const refrt::model_error& e)
    {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part)
{
    return s.find(part) != std::string::npos;
}

/// A copy of a test model in a temporary directory, its model.json rewritten by `edit`.
template <class Edit>
fs::path edited_copy(const temp_dir& dir, const std::string& model, Edit edit)
{
    for (const auto& e : fs::directory_iterator(data_dir + model))
        fs::copy_file(e.path(), dir.path / e.path().filename());
    json::value root = json::parse(read_text(dir.path / "model.json"));
    edit(root.as_object());
    write_text(dir.path / "model.json", json::serialize(root));
    return dir.path / "model.json";
}

json::object& layer_named(json::object& root, const std::string& name)
{
    for (json::value& l : root["modelTopology"].as_object()["config"].as_object()["layers"].as_array())
        if (l.as_object()["config"].as_object()["name"].as_string() == name.c_str())
            return l.as_object();
    FAIL("no layer " << name);
    throw;
}

}  // namespace

TEST_CASE("tfjs weights decode exactly as tfjs-core decodeWeights")
{
    for (const std::string model : {"functional", "sequential"})
    {
        CAPTURE(model);
        const auto weights = refrt::read_tfjs_weights(data_dir + model + "/model.json");
        const std::vector<float> decoded = read_f32(data_dir + model + "/decoded.bin");
        const json::value root = json::parse(read_text(data_dir + model + "/model.json"));
        std::size_t offset = 0;
        for (const json::value& spec : root.at("weightsManifest").at(0).at("weights").as_array())
        {
            const std::string name(spec.at("name").as_string());
            CAPTURE(name);
            const auto it = weights.find(name);
            REQUIRE(it != weights.end());
            std::vector<std::int64_t> shape;
            for (const json::value& d : spec.at("shape").as_array())
                shape.push_back(d.as_int64());
            CHECK(it->second.shape == shape);
            REQUIRE(offset + it->second.values.size() <= decoded.size());
            std::size_t mismatches = 0;
            for (std::size_t i = 0; i < it->second.values.size(); ++i)
                mismatches += it->second.values[i] != decoded[offset + i];
            CHECK(mismatches == 0);
            offset += it->second.values.size();
        }
        CHECK(offset == decoded.size());
        CHECK(weights.size() == root.at("weightsManifest").at(0).at("weights").as_array().size());
    }
}

TEST_CASE("tfjs functional model: graph structure")
{
    const refrt::graph g = refrt::load_tfjs(data_dir + "functional/model.json");
    REQUIRE(g.inputs.size() == 1);
    CHECK(g.inputs[0].name == "image");
    CHECK(g.inputs[0].shape == std::vector<std::int64_t>{-1, 11, 11, 3});
    REQUIRE(!g.nodes.empty());
    CHECK(g.nodes[0].op == "Transpose");
    CHECK(g.nodes[0].inputs == std::vector<std::string>{"image"});
    CHECK(g.nodes[0].get_ints("perm") == std::vector<std::int64_t>{0, 3, 1, 2});

    const refrt::node& conv1 = find_node(g, "conv1");
    CHECK(conv1.op == "Conv");
    CHECK(conv1.inputs == std::vector<std::string>{"pad", "conv1/kernel", "conv1/bias"});
    CHECK(shape_of(g, "conv1/kernel") == std::vector<std::size_t>{8, 3, 3, 3});
    CHECK(conv1.get_ints("strides") == std::vector<std::int64_t>{2, 2});
    CHECK(find_node(g, "conv1/relu").op == "Relu");

    const refrt::node& dw = find_node(g, "dw");
    CHECK(dw.op == "Conv");
    CHECK(dw.get_int("group", 0) == 8);
    CHECK(dw.get_string("auto_pad", "") == "SAME_UPPER");
    CHECK(dw.inputs[1] == "dw/depthwise_kernel");
    CHECK(shape_of(g, "dw/depthwise_kernel") == std::vector<std::size_t>{16, 1, 3, 3});
    CHECK(find_node(g, "dilated").get_ints("dilations") == std::vector<std::int64_t>{2, 2});

    const refrt::node& pad = find_node(g, "pad");
    CHECK(pad.op == "Pad");
    REQUIRE(pad.inputs.size() == 2);
    const tensor* pads = g.constant(pad.inputs[1]);
    REQUIRE(pads);
    CHECK(std::vector<float>(pads->begin(), pads->end()) == std::vector<float>{0, 0, 1, 2, 0, 0, 2, 0});

    const refrt::node& bn3 = find_node(g, "bn3");  // center = false: zero beta
    CHECK(bn3.op == "BatchNormalization");
    REQUIRE(bn3.inputs.size() == 5);
    const tensor* beta = g.constant(bn3.inputs[2]);
    REQUIRE(beta);
    CHECK(std::all_of(beta->begin(),
                      beta->end(),
                      [](float v)
                      {
                          return v == 0.0f;
                      }));
    CHECK(find_node(g, "relu1").op == "Clip");
    CHECK(find_node(g, "concat").get_int("axis", -1) == 1);

    const refrt::node& logits = find_node(g, "logits");
    CHECK(logits.op == "Gemm");
    CHECK(logits.inputs == std::vector<std::string>{"drop", "logits/kernel", "logits/bias"});
    CHECK(logits.get_int("transB", 1) == 0);
    CHECK(shape_of(g, "logits/kernel") == std::vector<std::size_t>{20, 5});
    CHECK(find_node(g, "logits/softmax").get_int("axis", 0) == 1);
    CHECK(find_node(g, "flat/to_nhwc").get_ints("perm") == std::vector<std::int64_t>{0, 2, 3, 1});
    CHECK(g.outputs == std::vector<std::string>{"logits", "head2"});
}

TEST_CASE("tfjs small models match tfjs-layers' predictions")
{
    struct model_case
    {
        std::string dir, input;
        std::vector<std::size_t> shape;
    };

    for (const model_case& m : {model_case{"functional", "image", {2, 11, 11, 3}},
                                model_case{"sequential", "to_image_input", {2, 32}}})
    {
        CAPTURE(m.dir);
        const refrt::graph g = refrt::load_tfjs(data_dir + m.dir + "/model.json");
        refrt::check_graph(g);
        const std::vector<float> golden = read_f32(data_dir + m.dir + "/output.bin");
        const std::vector<float> got =
          run_flat(g, m.input, make_input(m.shape, read_f32(data_dir + m.dir + "/input.bin")));
        const double diff = relative_max_difference(got, golden);
        MESSAGE(m.dir << ": max difference vs tfjs " << diff << " (relative to the largest output)");
        CHECK(diff < 1e-5);
    }
}

TEST_CASE("tfjs import errors name the file, the layer and its class")
{
    SUBCASE("unsupported layer class")
    {
        const temp_dir dir;
        const fs::path file = edited_copy(dir,
                                          "functional",
                                          [](json::object& root)
                                          {
                                              layer_named(root, "bn2")["class_name"] = "LayerNormalization";
                                          });
        const std::string e = load_error(file);
        CHECK(contains(e, file.string() + ": "));
        CHECK(contains(e, "layer 'bn2' (LayerNormalization)"));
        CHECK(contains(e, "unsupported layer class"));
    }
    SUBCASE("unsupported activation")
    {
        const temp_dir dir;
        const fs::path file = edited_copy(dir,
                                          "functional",
                                          [](json::object& root)
                                          {
                                              layer_named(root, "head2")["config"].as_object()["activation"] =
                                                "elu";
                                          });
        CHECK(contains(load_error(file), "layer 'head2' (Dense): unsupported activation 'elu'"));
    }
    SUBCASE("leaky ReLU")
    {
        const temp_dir dir;
        const fs::path file =
          edited_copy(dir,
                      "functional",
                      [](json::object& root)
                      {
                          layer_named(root, "relu2")["config"].as_object()["negative_slope"] = 0.1;
                      });
        CHECK(contains(load_error(file), "layer 'relu2' (ReLU): negative_slope"));
    }
    SUBCASE("missing weight")
    {
        const temp_dir dir;
        std::uintmax_t dropped = 0;  // bytes of the weight taken out
        const fs::path file =
          edited_copy(dir,
                      "functional",
                      [&](json::object& root)
                      {
                          json::array& w =
                            root["weightsManifest"].as_array()[0].as_object()["weights"].as_array();
                          REQUIRE(w.back().as_object()["name"].as_string() == "bn3/moving_variance");
                          json::object& spec = w.back().as_object();
                          // its bytes: uint8-quantized (tfjs' converter's --quantize_uint8), else float32
                          const json::value* q = spec.if_contains("quantization");
                          dropped = q && q->as_object().at("dtype").as_string() == "uint8" ? 1 : 4;
                          for (const json::value& d : spec["shape"].as_array())
                              dropped *= static_cast<std::uintmax_t>(d.as_int64());
                          w.pop_back();
                      });
        // the shard without the weight's bytes: a manifest and shards that agree, without the weight
        const fs::path shard = dir.path / "group1-shard2of2.bin";
        fs::resize_file(shard, fs::file_size(shard) - dropped);
        CHECK(contains(load_error(file),
                       "layer 'bn3' (BatchNormalization): missing weight 'bn3/moving_variance'"));
    }
    SUBCASE("missing shard")
    {
        const temp_dir dir;
        const fs::path file = edited_copy(dir, "functional", [](json::object&) {});
        fs::remove(dir.path / "group1-shard2of2.bin");
        const std::string e = load_error(file);
        CHECK(contains(e, file.string() + ": "));
        CHECK(contains(e, "cannot read shard 'group1-shard2of2.bin'"));
    }
    SUBCASE("short shard")
    {
        const temp_dir dir;
        const fs::path file = edited_copy(dir, "functional", [](json::object&) {});
        const fs::path shard = dir.path / "group1-shard2of2.bin";
        fs::resize_file(shard, fs::file_size(shard) - 3);
        const std::string e = load_error(file);
        CHECK(contains(e, "weight 'bn3/moving_variance' needs bytes"));
        CHECK(contains(e, "'group1-shard2of2.bin'"));
    }
    SUBCASE("bad JSON")
    {
        const temp_dir dir;
        const fs::path file = dir.path / "model.json";
        write_text(file, "{\"modelTopology\": {\"class_name\": \"Model\",\n \"config\": [1, 2,]}}");
        const std::string e = load_error(file);
        CHECK(contains(e, file.string() + ": invalid JSON at line 2"));
    }
    SUBCASE("missing file")
    {
        const std::string e = load_error(data_dir + "no_such_model.json");
        CHECK(contains(e, "no_such_model.json: cannot read the file"));
    }
    SUBCASE("long shard: bytes the manifest does not describe")
    {
        const temp_dir dir;
        const fs::path file = edited_copy(dir, "functional", [](json::object&) {});
        const fs::path shard = dir.path / "group1-shard2of2.bin";
        const auto size = fs::file_size(shard);
        fs::resize_file(shard, size + 1);
        const std::string e = load_error(file);
        CHECK(contains(e,
                       file.string()
                         + ": weightsManifest[0]: shards 'group1-shard1of2.bin', "
                           "'group1-shard2of2.bin' hold "));
        CHECK(contains(e, " bytes but the manifest's weights take "));
    }
    SUBCASE("a shape whose element count wraps size_t")
    {
        const temp_dir dir;
        std::string first;
        const fs::path file = edited_copy(
          dir,
          "functional",
          [&](json::object& root)
          {
              json::object& w =
                root["weightsManifest"].as_array()[0].as_object()["weights"].as_array()[0].as_object();
              first = w["name"].as_string().c_str();
              // 2^31 * 8 = 2^34 passes, * 2^31 = 2^65 wrapped to 0
              w["shape"] = json::array{2147483648LL, 8, 2147483648LL};
          });
        CHECK(load_error(file)
              == file.string() + ": weightsManifest[0]: weight '" + first + "': shape too large");
    }
    SUBCASE("shard paths out of the model's folder: '..' and absolute")
    {
        for (const std::string& bad : {std::string("../group1-shard2of2.bin"),
                                       std::string("sub/../../group1-shard2of2.bin"),
                                       (fs::temp_directory_path() / "group1-shard2of2.bin").string()})
        {
            CAPTURE(bad);
            const temp_dir dir;
            const fs::path file =
              edited_copy(dir,
                          "functional",
                          [&](json::object& root)
                          {
                              root["weightsManifest"].as_array()[0].as_object()["paths"].as_array()[1] =
                                json::string(bad);
                          });
            // the file exists where the path leads: refused for where it is, not because it is missing
            fs::copy_file(dir.path / "group1-shard2of2.bin",
                          (dir.path / bad).lexically_normal(),
                          fs::copy_options::overwrite_existing);
            const std::string e = load_error(file);
            CHECK(e
                  == file.string() + ": weightsManifest[0]: shard path '" + bad
                       + "' leaves the model's folder (absolute or '..')");
            fs::remove((dir.path / bad).lexically_normal());
        }
    }
    SUBCASE("a FIFO or a directory as shard or model: refused without blocking")
    {
        const temp_dir dir;
        const fs::path file = edited_copy(dir, "functional", [](json::object&) {});
        const fs::path shard = dir.path / "group1-shard2of2.bin";
        fs::remove(shard);
        REQUIRE(::mkfifo(shard.c_str(), 0600) == 0);
        CHECK(contains(load_error(file),
                       "cannot read shard 'group1-shard2of2.bin' (" + shard.string()
                         + "): is a FIFO (named pipe), not a regular file"));
        fs::remove(shard);
        fs::create_directory(shard);
        CHECK(contains(load_error(file), "): is a directory, not a regular file"));
        const fs::path fifo = dir.path / "fifo.json";
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        CHECK(load_error(fifo) == fifo.string() + ": is a FIFO (named pipe), not a regular file");
        CHECK(load_error("/dev/zero") == "/dev/zero: is a character device, not a regular file");
    }
}

TEST_CASE("tfjs nsfwjs MobileNetV2 matches TensorFlow.js (AMCT_MODELS_DIR)")
{
    const char* models = std::getenv("AMCT_MODELS_DIR");
#ifdef AMCT_MODELS_DIR
    if (!models || !*models)
        models = AMCT_MODELS_DIR;  // the CMake cache variable, when the build passes it on
#endif
    if (models && !*models)
        models = nullptr;
    const fs::path json_path = models ? fs::path(models) / "mobilenet_v2" / "model.json" : fs::path();
    if (!models || !fs::exists(json_path))
    {
        MESSAGE("skipped: set AMCT_MODELS_DIR to the directory scripts/fetch_models.sh prints");
        return;
    }
    const refrt::graph g = refrt::load_tfjs(json_path.string());
    refrt::check_graph(g);
    CHECK(g.inputs.at(0).shape == std::vector<std::int64_t>{-1, 224, 224, 3});
    CHECK(find_node(g, "Conv1").inputs.at(1) == "Conv1/kernel");
    CHECK(find_node(g, "dense_3").op == "Gemm");

    // A deterministic image in [0, 1): a 32-bit LCG (Numerical Recipes constants).
    std::vector<float> image(224 * 224 * 3);
    std::uint32_t state = 12345;
    for (float& v : image)
    {
        state = state * 1664525u + 1013904223u;
        v = static_cast<float>(state >> 8) / 16777216.0f;
    }
    const std::vector<float> got = run_flat(g, g.inputs[0].name, make_input({1, 224, 224, 3}, image));
    REQUIRE(got.size() == 5);

    if (std::system("node --version > /dev/null 2>&1") != 0)
    {
        MESSAGE("skipped the comparison with TensorFlow.js: node is not installed");
        return;
    }
    const temp_dir dir;
    write_f32(dir.path / "input.bin", image);
    const std::string command =
      "node " + shell_quote(scripts_dir + "tfjs_reference.js") + " " + shell_quote(json_path.string()) + " "
      + shell_quote((dir.path / "input.bin").string()) + " " + shell_quote((dir.path / "output.bin").string())
      + " 1 224 224 3 > " + shell_quote((dir.path / "log.txt").string()) + " 2>&1";
    if (std::system(command.c_str()) != 0)
    {
        MESSAGE("skipped the comparison with TensorFlow.js: tfjs_reference.js failed:\n"
                << read_text(dir.path / "log.txt"));
        return;
    }
    const std::vector<float> golden = read_f32(dir.path / "output.bin");
    const double diff = relative_max_difference(got, golden);
    std::string values;
    for (std::size_t i = 0; i < got.size(); ++i)
        values += " " + std::to_string(got[i]) + "/" + std::to_string(golden[i]);
    MESSAGE("MobileNetV2 softmax (refrt/tfjs):" << values << "; max difference " << diff
                                                << " relative to the largest output");
    CHECK(diff < 1e-4);
    CHECK(std::max_element(got.begin(), got.end()) - got.begin()
          == std::max_element(golden.begin(), golden.end()) - golden.begin());
}
