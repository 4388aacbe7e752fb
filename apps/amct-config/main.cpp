// apps/amct-config/main.cpp, the amct-config tool: checks, resolves and converts AMCT configuration files,
// with a compiler's messages and exit codes (0: fine, 1: the input has errors, 2: wrong usage).
//
//   amct-config check FILE [--layers LIST]            validate config.json or quant.cfg (and against a model)
//   amct-config resolve FILE --layers LIST [--explain] each quantizable layer's effective configuration
//   amct-config convert FILE --layers LIST [-o OUT]    quant.cfg -> the equivalent config.json
//   amct-config create --layers LIST [--skip A,B] [--batch-num N] [--no-activation-offset] [-o OUT]
//                                                      the config.json AMCT's create_quant_config writes
//
// LIST is `name:Type,name:Type,...` or `@FILE` with one `name Type` per line (# comments). The format of FILE
// is config.json when its first non-blank character is `{`, quant.cfg otherwise; --format json|cfg forces
// one.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <amct/amct.hpp>
#include <amct/detail/text_file.hpp>  // detail::read_text_file

namespace
{
struct usage_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

struct options
{
    std::string command, file, format, output;
    std::optional<std::vector<amct::layer_info>> layers;
    bool explain = false;
    amct::create_quant_config_options create;
};

const char* const usage_text =
  "usage: amct-config check FILE [--layers LIST] [--format json|cfg]\n"
  "       amct-config resolve FILE --layers LIST [--explain] [--format json|cfg]\n"
  "       amct-config convert FILE --layers LIST [-o OUT]\n"
  "       amct-config create --layers LIST [--skip A,B] [--batch-num N] [--no-activation-offset] [-o OUT]\n"
  "LIST: name:Type,name:Type,... or @FILE with one 'name Type' per line\n";

std::vector<std::string> split(const std::string& s, char sep)
{
    std::vector<std::string> out;
    std::string item;
    std::istringstream in(s);
    while (std::getline(in, item, sep))
    {
        if (!item.empty())
        {
            out.push_back(item);
        }
    }
    return out;
}

std::vector<amct::layer_info> parse_layers(const std::string& list)
{
    std::vector<amct::layer_info> layers;
    if (!list.empty() && list[0] == '@')
    {
        const std::string path = list.substr(1);
        std::istringstream in(amct::detail::read_text_file(path));
        std::string line;
        for (std::size_t n = 1; std::getline(in, line); ++n)
        {
            const auto hash = line.find('#');
            line = line.substr(0, hash);
            const auto end = line.find_last_not_of(" \t\r");
            if (end == std::string::npos)
            {
                continue;
            }
            line.resize(end + 1);
            const auto gap = line.find_last_of(" \t");
            const auto start = line.find_first_not_of(" \t");
            if (gap == std::string::npos || gap < start)
            {
                throw amct::config_error(
                  {{{path, n, start + 1}, "expected 'name Type', found '" + line.substr(start) + "'"}});
            }
            const auto name_end = line.find_last_not_of(" \t", gap);
            layers.push_back({line.substr(start, name_end + 1 - start), line.substr(gap + 1)});
        }
        return layers;
    }
    for (const auto& item : split(list, ','))
    {
        const auto colon = item.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == item.size())
        {
            throw usage_error("--layers: expected name:Type, found '" + item + "'");
        }
        layers.push_back({item.substr(0, colon), item.substr(colon + 1)});
    }
    return layers;
}

options parse_args(int argc, char** argv)
{
    if (argc < 2)
    {
        throw usage_error("missing command");
    }
    options o;
    o.command = argv[1];
    if (o.command != "check" && o.command != "resolve" && o.command != "convert" && o.command != "create")
    {
        throw usage_error("unknown command '" + o.command + "'");
    }
    auto value = [&](int& i)
    {
        if (i + 1 >= argc)
        {
            throw usage_error(std::string(argv[i]) + " needs a value");
        }
        return std::string(argv[++i]);
    };
    for (int i = 2; i < argc; ++i)
    {
        const std::string a = argv[i];
        if (a == "--layers")
            o.layers = parse_layers(value(i));
        else if (a == "--explain")
            o.explain = true;
        else if (a == "--format")
        {
            o.format = value(i);
            if (o.format != "json" && o.format != "cfg")
            {
                throw usage_error("--format: expected json or cfg, found '" + o.format + "'");
            }
        }
        else if (a == "-o" || a == "--output")
            o.output = value(i);
        else if (a == "--skip")
            o.create.skip_layers = split(value(i), ',');
        else if (a == "--batch-num")
        {
            const std::string v = value(i);
            std::size_t used = 0;
            try
            {
                o.create.batch_num = std::stoi(v, &used);
            }
            catch (const std::exception&)
            {
                used = 0;
            }
            if (used != v.size() || v.empty())
            {
                throw usage_error("--batch-num: expected an integer, found '" + v + "'");
            }
        }
        else if (a == "--no-activation-offset")
            o.create.activation_offset = false;
        else if (!a.empty() && a[0] == '-')
            throw usage_error("unknown option '" + a + "'");
        else if (o.file.empty() && o.command != "create")
            o.file = a;
        else
            throw usage_error("unexpected argument '" + a + "'");
    }
    if (o.file.empty() && o.command != "create")
    {
        throw usage_error(o.command + ": missing FILE");
    }
    if (!o.layers && o.command != "check")
    {
        throw usage_error(o.command + ": --layers LIST is required (the model's layers decide the result)");
    }
    return o;
}

bool is_json(const options& o, const std::string& text)
{
    if (!o.format.empty())
    {
        return o.format == "json";
    }
    // after a byte-order mark (refused by both readers, by name)
    const auto first = text.find_first_not_of(" \t\r\n", amct::starts_with_byte_order_mark(text) ? 3 : 0);
    return first != std::string::npos && text[first] == '{';
}

/// `file:line:col: severity: message`, then the source line and a caret, as compilers print them. `source` is
/// the file read (nullptr when there is none).
void print(const amct::diagnostic& d, const char* severity, const amct::source_map* source)
{
    // file names and messages may quote bytes of the file: escaped, never sent raw to the terminal
    std::cerr << amct::escaped(d.where.to_string()) << ": " << severity << ": "
              << amct::escaped(d.message, true) << "\n";
    if (source && d.where.line != 0 && d.where.file == source->file()
        && d.message.find('\n') == std::string::npos)
    {
        std::cerr << source->excerpt(d.where) << "\n";  // (syntax errors show the source in their message)
    }
}

/// Every diagnostic of `e`, then the count, as clang ends its output.
void report(const amct::config_error& e, const amct::source_map* source)
{
    for (const auto& d : e.diagnostics())
    {
        print(d, "error", source);
    }
    const auto n = e.diagnostics().size();
    std::cerr << n << (n == 1 ? " error" : " errors") << " generated.\n";
}

std::string flag(const std::optional<bool>& b)
{
    return b ? (*b ? "yes" : "no") : "-";
}

/// Whether parameter struct P has num_of_bins.
template <class P, class = void>
struct has_bins : std::false_type
{
};

template <class P>
struct has_bins<P, std::void_t<decltype(P::num_of_bins)>> : std::true_type
{
};

/// The effective configuration of every configured layer, one line each.
void print_table(const amct::quant_config& q,
                 const std::vector<amct::layer_info>& layers,
                 const amct::resolution* why)
{
    const auto type_of = amct::types_by_name(layers);
    std::printf("batch_num %d, activation_offset %s, do_fusion %s, %zu layers\n",
                q.batch_num,
                q.activation_offset ? "true" : "false",
                q.do_fusion ? "true" : "false",
                q.layers.size());
    int name_w = 5, type_w = 4;  // as wide as the longest name and type
    for (const auto& [name, c] : q.layers)
    {
        const auto t = type_of.find(name);
        name_w = std::max(name_w, static_cast<int>(name.size()));
        type_w = std::max(type_w, t == type_of.end() ? 1 : static_cast<int>(t->second.size()));
    }
    std::printf("%-*s  %-*s  quant  act   bits  asym  %-22s  wts  channel_wise\n",
                name_w,
                "layer",
                type_w,
                "type",
                "parameters");
    for (const auto& [name, c] : q.layers)
    {
        const auto& a = c.activation_quant_params;
        char params[64] = "";
        std::visit(
          [&](const auto& p)
          {
              using P = std::decay_t<decltype(p)>;
              if constexpr (std::is_same_v<P, amct::ifmr_params>)
              {
                  if (a.is_set("search_range") && a.is_set("search_step"))
                  {
                      std::snprintf(params,
                                    sizeof params,
                                    "[%g, %g] step %g",
                                    p.search_range_start,
                                    p.search_range_end,
                                    p.search_step);
                  }
              }
              else if constexpr (has_bins<P>::value)
              {
                  if (a.is_set("num_of_bins"))
                  {
                      std::snprintf(params, sizeof params, "%d bins", p.num_of_bins);
                  }
              }
          },
          a.params);
        const auto t = type_of.find(name);
        std::printf(
          "%-*s  %-*s  %-5s  %-4s  %4d  %-4s  %-22s  %3d  %s\n",
          name_w,
          name.c_str(),
          type_w,
          t == type_of.end() ? "?" : t->second.c_str(),
          c.quant_enable ? "yes" : "no",
          std::string(a.algorithm()).c_str(),
          a.num_bits(),
          flag(a.asymmetric().has_value() ? a.asymmetric() : std::optional<bool>(q.activation_offset))
            .c_str(),
          params,
          c.weight_quant_params.num_bits(),
          flag(c.weight_quant_params.channel_wise()).c_str());
        if (why)
        {
            for (const auto& n : why->notes)
            {
                if (n.layer == name)
                {
                    std::printf("    %-36s  %s\n", n.field.c_str(), n.rule.c_str());
                }
            }
        }
    }
}

void write_output(const options& o, const std::string& text)
{
    if (o.output.empty() || o.output == "-")
    {
        std::cout << text;
        return;
    }
    std::ofstream out(o.output, std::ios::binary);
    if (!(out << text) || !out.flush())
    {
        throw amct::config_error({{{o.output, 0, 0}, "cannot write the file"}});
    }
}

int run(const options& o)
{
    std::string text;
    const amct::source_map source(o.file, text);
    int status = 0;
    try
    {
        if (o.command == "create")
        {
            write_output(o, amct::write_config_json(amct::create_quant_config(*o.layers, o.create)));
            return 0;
        }
        text = amct::detail::read_text_file(o.file);
        if (is_json(o, text))
        {
            if (o.command == "convert")
            {
                throw usage_error("convert: " + o.file + " is already a config.json");
            }
            const auto q = o.layers ? amct::read_config_json(text, o.file, *o.layers)
                                    : amct::read_config_json(text, o.file);
            if (o.command == "resolve")
            {
                print_table(q, *o.layers, nullptr);
            }
            return 0;
        }
        const auto cfg = amct::dsl::read_quant_cfg(text, o.file);
        if (!o.layers)
        {
            return 0;
        }
        amct::resolution why;
        const auto q = amct::resolve_quant_cfg(cfg, *o.layers, &why);
        for (const auto& d : why.unmatched)
        {
            print(d, "warning", &source);
        }
        if (o.command == "resolve")
        {
            print_table(q, *o.layers, o.explain ? &why : nullptr);
        }
        else if (o.command == "convert")
        {
            write_output(o, amct::write_config_json(q));
        }
    }
    catch (const amct::config_error& e)
    {
        report(e, &source);
        status = 1;
    }
    return status;
}
}  // namespace

int main(int argc, char** argv)
{
    try
    {
        return run(parse_args(argc, argv));
    }
    catch (const usage_error& e)
    {
        std::cerr << "amct-config: error: " << e.what() << "\n" << usage_text;
        return 2;
    }
    catch (const amct::config_error& e)  // an unreadable --layers file
    {
        report(e, nullptr);
        return 1;
    }
    catch (const std::exception& e)
    {
        std::cerr << "amct-config: error: " << e.what() << "\n";
        return 1;
    }
}
