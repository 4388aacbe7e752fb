// amct/detail/text_file.hpp: what the configuration readers read. Only regular files, up to a limit the error
// names (docs/configuration.md#reading-files); a FIFO or /dev/zero must neither block nor grow memory.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <doctest/doctest.h>

#include <amct/config/config_json.hpp>
#include <amct/detail/text_file.hpp>

#include "test_support.hpp"
#include <sys/stat.h>  // mkfifo

namespace
{
namespace fs = std::filesystem;

/// A fresh directory, removed at the end of the scope.
struct scratch
{
    fs::path path = fs::temp_directory_path() / ("amct_text_file_" + std::to_string(std::random_device{}()));

    scratch()
    {
        fs::create_directories(path);
    }

    ~scratch()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

void write(const fs::path& p, const std::string& text)
{
    std::ofstream(p, std::ios::binary) << text;
}

std::string read_error(const std::string& path)
{
    return amct_test::config_error_of(
      [&]
      {
          amct::detail::read_text_file(path);
      });
}
}  // namespace

TEST_SUITE("config files")
{
    TEST_CASE("read_text_file reads regular files only, up to 64 MiB (docs/configuration.md#reading-files)")
    {
        const scratch dir;
        const fs::path file = dir.path / "c.cfg";
        write(file, std::string("batch_num: 1\n\0x", 15));
        CHECK(amct::detail::read_text_file(file.string()) == std::string("batch_num: 1\n\0x", 15));
        const fs::path link = dir.path / "link.cfg";
        fs::create_symlink(file, link);
        CHECK(amct::detail::read_text_file(link.string()) == std::string("batch_num: 1\n\0x", 15));
        write(dir.path / "empty.cfg", "");
        CHECK(amct::detail::read_text_file((dir.path / "empty.cfg").string()).empty());

        const fs::path fifo = dir.path / "fifo.cfg";
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);  // nobody writes: opening it would block
        CHECK(read_error(fifo.string()) == fifo.string() + ": is a FIFO (named pipe), not a regular file");
        CHECK(read_error("/dev/zero") == "/dev/zero: is a character device, not a regular file");
        CHECK(read_error(dir.path.string()) == dir.path.string() + ": is a directory, not a regular file");
        CHECK(read_error((dir.path / "missing.cfg").string())
              == (dir.path / "missing.cfg").string() + ": cannot read the file");
        // through a reader: the same error, at the file
        CHECK(amct_test::config_error_of(
                [&]
                {
                    amct::load_config_json(fifo.string());
                })
              == fifo.string() + ": is a FIFO (named pipe), not a regular file");

        const fs::path big = dir.path / "big.json";
        write(big, "");
        fs::resize_file(big, amct::detail::max_text_file_bytes + 1);  // sparse: no disk used
        CHECK(amct::detail::max_text_file_bytes == 64u << 20);
        CHECK(read_error(big.string())
              == big.string() + ": larger than the 64 MiB limit of amct's configuration readers");
    }

    TEST_CASE("read_regular_file: the limit is inclusive, whatever the chunk boundaries "
              "(docs/configuration.md#reading-files)")
    {
        const scratch dir;
        const fs::path file = dir.path / "f";
        for (const std::size_t size : {std::size_t{0},
                                       std::size_t{1},
                                       std::size_t{65535},
                                       std::size_t{65536},
                                       std::size_t{65537},
                                       std::size_t{200000}})
        {
            CAPTURE(size);
            std::string text(size, 'a');
            for (std::size_t i = 0; i < size; ++i)
            {
                text[i] = static_cast<char>('a' + i % 26);
            }
            write(file, text);
            std::string bytes, problem;
            CHECK(amct::detail::read_regular_file(file.string(), size, "the test", bytes, problem));
            CHECK(bytes == text);
            if (size > 0)
            {
                CHECK(!amct::detail::read_regular_file(file.string(), size - 1, "the test", bytes, problem));
                CHECK(problem
                      == "larger than the " + amct::detail::byte_size_string(size - 1)
                           + " limit of the test");
                CHECK(bytes.empty());
            }
        }
        CHECK(amct::detail::byte_size_string(std::uint64_t{2} << 30) == "2 GiB");
        CHECK(amct::detail::byte_size_string(std::uint64_t{64} << 20) == "64 MiB");
        CHECK(amct::detail::byte_size_string(1000) == "1000 bytes");
    }
}
