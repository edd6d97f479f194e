// The README's code is real code: every ```cpp block preceded by <!-- snippet: FILE NAME --> must
// be, word for word, the region between "// [NAME]" and "// [/NAME]" of FILE (common indentation
// removed). The files are compiled and run as tests, so the README's code is too.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream s(text);
    for (std::string line; std::getline(s, line);) out.push_back(line);
    return out;
}

std::string dedented(const std::vector<std::string>& lines) {
    size_t indent = std::string::npos;
    for (const auto& l : lines)
        if (l.find_first_not_of(' ') != std::string::npos) indent = std::min(indent, l.find_first_not_of(' '));
    std::string out;
    for (const auto& l : lines) out += (l.size() >= indent ? l.substr(indent) : std::string()) + "\n";
    return out;
}

std::string region(const std::string& file, const std::string& name) {
    const auto lines = lines_of(slurp(std::string(LEGOLASFLUX_SOURCE_DIR) + "/" + file));
    std::vector<std::string> body;
    bool inside = false, found = false;
    for (const auto& l : lines) {
        const auto trimmed = l.substr(std::min(l.size(), l.find_first_not_of(' ')));
        if (trimmed == "// [" + name + "]")
            inside = found = true;
        else if (trimmed == "// [/" + name + "]")
            inside = false;
        else if (inside)
            body.push_back(l);
    }
    EXPECT_TRUE(found) << "no region " << name << " in " << file;
    return dedented(body);
}

}  // namespace

TEST(Readme, CodeBlocksAreTheCompiledExamples) {
    const auto lines = lines_of(slurp(std::string(LEGOLASFLUX_SOURCE_DIR) + "/README.md"));
    const std::regex marker(R"(<!-- snippet: (\S+) (\S+) -->)");
    int checked = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        std::smatch m;
        if (!std::regex_search(lines[i], m, marker)) continue;
        ASSERT_LT(i + 1, lines.size());
        ASSERT_EQ(lines[i + 1], "```cpp") << "line " << i + 2 << " of README.md";
        std::vector<std::string> block;
        size_t j = i + 2;
        for (; j < lines.size() && lines[j] != "```"; ++j) block.push_back(lines[j]);
        EXPECT_EQ(dedented(block), region(m[1], m[2])) << "README.md line " << i + 1 << ": " << m[1] << " " << m[2];
        ++checked;
        i = j;
    }
    EXPECT_GE(checked, 4) << "the README should show the usage and extensibility code";
}
