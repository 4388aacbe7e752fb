// libFuzzer target: the TF.js layers-model importer (runtime/refrt/tfjs_import.hpp) on arbitrary bytes. The
// input up to its first NUL byte is model.json, the rest the weights file "group1-shard1of1.bin" beside it
// (the seeds are tests/data/tfjs/sequential in that form). A model_error naming model.json is the expected
// answer to bad input; anything else (another exception, a crash, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <refrt/tfjs_import.hpp>
#include <unistd.h>  // getpid

namespace
{
namespace fs = std::filesystem;

/// The folder of each input's model.json (one per process: libFuzzer's -jobs run several).
const fs::path& model_dir()
{
    static const fs::path dir = []
    {
        const fs::path d = fs::temp_directory_path() / ("amct_fuzz_tfjs_" + std::to_string(::getpid()));
        fs::create_directories(d);
        return d;
    }();
    // registered after `dir` is made, so it runs before `dir` is destroyed
    static const int cleanup = std::atexit(
      []
      {
          std::error_code ec;
          fs::remove_all(model_dir(), ec);
      });
    (void)cleanup;
    return dir;
}

void write(const fs::path& path, const char* data, std::size_t size)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data, static_cast<std::streamsize>(size));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const char* bytes = reinterpret_cast<const char*>(data);
    std::size_t json_size = 0;
    while (json_size < size && bytes[json_size] != '\0')
        ++json_size;
    const std::size_t shard_at = json_size < size ? json_size + 1 : size;
    const fs::path json = model_dir() / "model.json";
    write(json, bytes, json_size);
    write(model_dir() / "group1-shard1of1.bin", bytes + shard_at, size - shard_at);
    try
    {
        refrt::load_tfjs(json.string());
    }
    catch (const refrt::model_error& e)
    {
        if (std::string(e.what()).rfind(json.string(), 0) != 0)
        {
            std::fprintf(stderr, "fuzz property failed: the error names the file: %s\n", e.what());
            std::abort();
        }
    }
    return 0;
}
