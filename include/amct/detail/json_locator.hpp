// amct/detail/json_locator.hpp: where each value of a JSON text is, by JSON Pointer (RFC 6901), and which
// object keys repeat. Boost.JSON's DOM keeps no positions; this scanner runs over text that Boost.JSON has
// accepted. The index is built on first use (only files with errors need it); key_count is the
// allocation-free count every file gets.
#pragma once

#include <cstddef>        // std::size_t
#include <string>         // std::string
#include <unordered_map>  // std::unordered_map
#include <vector>         // std::vector

namespace amct
{
inline namespace AMCT_ABI
{
/// Offsets of the values and keys of a JSON text.
class json_locator
{
public:
    /// A key that appears twice in one object: the pointer of the member and both key offsets.
    struct duplicate
    {
        std::string pointer;
        std::size_t first = 0;
        std::size_t second = 0;
    };

    explicit json_locator(const std::string& text)
      : m_text(text)
    {
    }

    /// Byte offset where the value at `pointer` starts ("" is the root), or npos.
    std::size_t value_offset(const std::string& pointer)
    {
        build();
        const auto it = m_values.find(pointer);
        return it == m_values.end() ? std::string::npos : it->second;
    }

    /// Byte offset of the key of the member at `pointer`, or npos.
    std::size_t key_offset(const std::string& pointer)
    {
        build();
        const auto it = m_keys.find(pointer);
        return it == m_keys.end() ? std::string::npos : it->second;
    }

    const std::vector<duplicate>& duplicates()
    {
        build();
        return m_duplicates;
    }

    /// The inverse of escape: "~1" -> "/", "~0" -> "~".
    static std::string unescape(const std::string& token)
    {
        std::string out;
        for (std::size_t i = 0; i < token.size(); ++i)
        {
            if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1'))
            {
                out += token[++i] == '0' ? '~' : '/';
            }
            else
            {
                out += token[i];
            }
        }
        return out;
    }

    /// `token` escaped for a JSON Pointer ("~" -> "~0", "/" -> "~1").
    static std::string escape(const std::string& token)
    {
        if (token.find_first_of("~/") == std::string::npos)
        {
            return token;
        }
        std::string out;
        for (char c : token)
        {
            out += c == '~' ? "~0" : (c == '/' ? "~1" : std::string(1, c));
        }
        return out;
    }

    /// The number of object keys in `text` (accepted by Boost.JSON): strings followed by ':'.
    static std::size_t key_count(const std::string& text) noexcept
    {
        std::size_t n = 0;
        bool after_string = false;
        for (std::size_t i = 0; i < text.size(); ++i)
        {
            const char c = text[i];
            if (c == '"')
            {
                for (++i; i < text.size() && text[i] != '"'; ++i)
                {
                    i += text[i] == '\\' ? 1u : 0u;
                }
                after_string = true;
            }
            else if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            {
                n += after_string && c == ':' ? 1u : 0u;
                after_string = false;
            }
        }
        return n;
    }

private:
    void build()
    {
        if (!m_built)
        {
            m_built = true;
            skip_space();
            value("");
        }
    }

    void skip_space() noexcept
    {
        while (m_pos < m_text.size()
               && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' || m_text[m_pos] == '\n'
                   || m_text[m_pos] == '\r'))
        {
            ++m_pos;
        }
    }

    /// Reads a string token and returns its unescaped value (\uXXXX kept as written: keys here are ASCII).
    std::string string_token()
    {
        std::string s;
        ++m_pos;  // opening quote
        while (m_pos < m_text.size() && m_text[m_pos] != '"')
        {
            if (m_text[m_pos] == '\\' && m_pos + 1 < m_text.size())
            {
                const char e = m_text[m_pos + 1];
                s += e == 'n'   ? '\n'
                     : e == 't' ? '\t'
                     : e == 'r' ? '\r'
                     : e == 'b' ? '\b'
                     : e == 'f' ? '\f'
                                : e;
                m_pos += 2;
                if (e == 'u')
                {
                    s.pop_back();
                    s += m_text.substr(m_pos - 2, 6);
                    m_pos += 4;
                }
                continue;
            }
            s += m_text[m_pos++];
        }
        ++m_pos;  // closing quote
        return s;
    }

    void value(const std::string& pointer)
    {
        m_values.emplace(pointer, m_pos);
        if (m_pos >= m_text.size())
        {
            return;
        }
        const char c = m_text[m_pos];
        if (c == '{')
        {
            ++m_pos;
            skip_space();
            std::unordered_map<std::string, std::size_t> seen;
            while (m_pos < m_text.size() && m_text[m_pos] != '}')
            {
                const std::size_t key_at = m_pos;
                const std::string child = pointer + "/" + escape(string_token());
                const auto [it, fresh] = seen.emplace(child, key_at);
                if (!fresh)
                {
                    m_duplicates.push_back({child, it->second, key_at});
                }
                m_keys[child] = key_at;
                skip_space();
                ++m_pos;  // ':'
                skip_space();
                value(child);
                skip_space();
                if (m_pos < m_text.size() && m_text[m_pos] == ',')
                {
                    ++m_pos;
                    skip_space();
                }
            }
            ++m_pos;
        }
        else if (c == '[')
        {
            ++m_pos;
            skip_space();
            for (std::size_t i = 0; m_pos < m_text.size() && m_text[m_pos] != ']'; ++i)
            {
                value(pointer + "/" + std::to_string(i));
                skip_space();
                if (m_pos < m_text.size() && m_text[m_pos] == ',')
                {
                    ++m_pos;
                    skip_space();
                }
            }
            ++m_pos;
        }
        else if (c == '"')
        {
            string_token();
        }
        else
        {
            while (m_pos < m_text.size() && m_text[m_pos] != ',' && m_text[m_pos] != '}'
                   && m_text[m_pos] != ']' && m_text[m_pos] != ' ' && m_text[m_pos] != '\n'
                   && m_text[m_pos] != '\r' && m_text[m_pos] != '\t')
            {
                ++m_pos;
            }
        }
    }

    const std::string& m_text;
    bool m_built = false;
    std::size_t m_pos = 0;
    std::unordered_map<std::string, std::size_t> m_values;
    std::unordered_map<std::string, std::size_t> m_keys;
    std::vector<duplicate> m_duplicates;
};
}  // namespace AMCT_ABI
}  // namespace amct
