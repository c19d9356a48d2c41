// Read with the structures of glibc's <elf.h> rather than libelf: only one table is needed
// (.dynsym and its string table), a few dozen lines, and the core gains no dependency for it.
#include "check/elf_symbols.hpp"

#include <cstring>
#include <elf.h>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace mlps::core::check {

namespace {

template <class T>
T at(const std::string &file, uint64_t offset) {
    if (offset > file.size() || file.size() - offset < sizeof(T)) {
        throw std::runtime_error("truncated ELF file");
    }
    T value;
    std::memcpy(&value, file.data() + offset, sizeof value);
    return value;
}

} // namespace

std::vector<std::string> exportedSymbols(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto header = at<Elf64_Ehdr>(file, 0);
    if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 ||
        header.e_ident[EI_CLASS] != ELFCLASS64) {
        throw std::runtime_error("not a 64-bit ELF file");
    }
    std::vector<std::string> names;
    for (uint16_t i = 0; i < header.e_shnum; ++i) {
        const auto section =
            at<Elf64_Shdr>(file, header.e_shoff + uint64_t{i} * header.e_shentsize);
        if (section.sh_type != SHT_DYNSYM || section.sh_entsize == 0) {
            continue;
        }
        const auto strings =
            at<Elf64_Shdr>(file, header.e_shoff + uint64_t{section.sh_link} * header.e_shentsize);
        for (uint64_t s = 1; s < section.sh_size / section.sh_entsize; ++s) {
            const auto sym = at<Elf64_Sym>(file, section.sh_offset + s * section.sh_entsize);
            const unsigned bind = ELF64_ST_BIND(sym.st_info);
            const unsigned visibility = ELF64_ST_VISIBILITY(sym.st_other);
            if (sym.st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK) ||
                (visibility != STV_DEFAULT && visibility != STV_PROTECTED)) {
                continue;
            }
            const uint64_t name = strings.sh_offset + sym.st_name;
            if (name >= file.size()) {
                throw std::runtime_error("truncated ELF string table");
            }
            names.emplace_back(file.c_str() + name);
        }
    }
    return names;
}

} // namespace mlps::core::check
