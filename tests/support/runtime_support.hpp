// Helpers shared by the reference runtime's tests (amct_runtime_tests): files, temporary directories, and the
// node / python subprocesses of the independent references (TensorFlow.js, ONNX Runtime, ONNX's checker).
#pragma once

#include <cstdint>     // std::int64_t
#include <cstdlib>     // std::getenv, std::system
#include <filesystem>  // std::filesystem
#include <fstream>     // std::ifstream, std::ofstream
#include <iterator>    // std::istreambuf_iterator
#include <random>      // std::random_device, std::mt19937
#include <string>      // std::string
#include <utility>     // std::pair
#include <vector>      // std::vector

#include <doctest/doctest.h>

#include <refrt/graph.hpp>

namespace rt_test
{
namespace fs = std::filesystem;

/// A tensor of `shape` with values uniform in [lo, hi).
inline refrt::tensor random_tensor(std::vector<std::size_t> shape,
                                   std::mt19937& rng,
                                   float lo = -1.0f,
                                   float hi = 1.0f)
{
    refrt::tensor t = refrt::tensor::from_shape(shape);
    std::uniform_real_distribution<float> dist(lo, hi);
    for (float& v : t)
        v = dist(rng);
    return t;
}

inline refrt::attribute ints_attr(std::vector<std::int64_t> v)
{
    refrt::attribute a;
    a.ints = std::move(v);
    return a;
}

inline refrt::attribute int_attr(std::int64_t v)
{
    refrt::attribute a;
    a.i = v;
    return a;
}

inline const std::string scripts_dir = std::string(AMCT_TEST_DATA_DIR) + "/../../scripts/";

inline std::string read_text(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in, "cannot open " << path.string());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_text(const fs::path& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    REQUIRE(out);
}

/// A fresh directory removed at the end of the scope (kept when AMCT_KEEP_TEMP is set, to look into).
struct temp_dir
{
    fs::path path;

    temp_dir()
    {
        path = fs::temp_directory_path() / ("amct_test_" + std::to_string(std::random_device{}()));
        fs::create_directories(path);
    }

    ~temp_dir()
    {
        if (std::getenv("AMCT_KEEP_TEMP"))
            return;
        std::error_code ec;
        fs::remove_all(path, ec);
    }

    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
};

inline std::string shell_quote(const std::string& s)
{
    std::string q = "'";
    for (const char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

/// Runs a shell command with stdout and stderr into `log`; true when it exits with 0.
inline bool run_logged(const std::string& command, const fs::path& log)
{
    return std::system((command + " > " + shell_quote(log.string()) + " 2>&1").c_str()) == 0;
}

/// The directory scripts/fetch_ort.sh installs ONNX Runtime into, from AMCT_ORT_DIR; "" when unset.
inline std::string ort_dir()
{
    const char* dir = std::getenv("AMCT_ORT_DIR");
    return dir != nullptr && fs::is_directory(dir) ? dir : "";
}

/// scripts/ort_run.js on (model, data directory) jobs at graph optimization `level`; "" when every model ran,
/// else the log. `optimized`: where ONNX Runtime saves the first model as it optimized it.
inline std::string ort_run(const std::vector<std::pair<fs::path, fs::path>>& jobs,
                           const std::string& level,
                           const fs::path& log,
                           const fs::path& optimized = {})
{
    std::string command = "node " + shell_quote(scripts_dir + "ort_run.js") + " --ort-dir "
                          + shell_quote(ort_dir()) + " --level " + level;
    std::string list;
    for (const auto& [model, data] : jobs)
    {
        if (model == jobs.front().first && data == jobs.front().second)
        {
            command += " --model " + shell_quote(model.string()) + " --data " + shell_quote(data.string());
            if (!optimized.empty())
                command += " --optimized " + shell_quote(optimized.string());
        }
        else
            list += model.string() + "\t" + data.string() + "\n";
    }
    if (!list.empty())
    {
        const fs::path file = log.string() + ".jobs";
        write_text(file, list);
        command += " --jobs " + shell_quote(file.string());
    }
    return run_logged(command, log) ? "" : read_text(log);
}

/// scripts/onnx_check.py (Debian's python3-onnx, under /usr/bin/python3) on model files; "" when all pass,
/// else its report.
inline std::string onnx_check(const std::vector<fs::path>& files, const fs::path& log)
{
    std::string command = "/usr/bin/python3 " + shell_quote(scripts_dir + "onnx_check.py");
    for (const fs::path& f : files)
        command += " " + shell_quote(f.string());
    return run_logged(command, log) ? "" : read_text(log);
}
}  // namespace rt_test
