#include "pickle_writer.hpp"

#include "legolasflux/errors.hpp"

namespace legolasflux::detail {
namespace {

// Opcodes (Lib/pickle.py).
constexpr uint8_t kProto = 0x80, kGlobal = 'c', kMark = '(', kTuple = 't', kReduce = 'R', kBinPersId = 'Q',
                  kEmptyDict = '}', kSetItems = 'u', kEmptyList = ']', kAppends = 'e', kBinUnicode = 'X',
                  kBinInt1 = 'K', kBinInt2 = 'M', kBinInt = 'J', kLong1 = 0x8a, kNewTrue = 0x88, kNewFalse = 0x89,
                  kNone = 'N', kStop = '.';

}  // namespace

PickleWriter::PickleWriter() {
    op(kProto);
    out_.push_back(2);
}

void PickleWriter::le(uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void PickleWriter::global(std::string_view module, std::string_view name) {
    op(kGlobal);
    out_.insert(out_.end(), module.begin(), module.end());
    out_.push_back('\n');
    out_.insert(out_.end(), name.begin(), name.end());
    out_.push_back('\n');
}

void PickleWriter::mark() { op(kMark); }
void PickleWriter::tuple() { op(kTuple); }
void PickleWriter::reduce() { op(kReduce); }
void PickleWriter::persistent_id() { op(kBinPersId); }
void PickleWriter::empty_dict() { op(kEmptyDict); }
void PickleWriter::set_items() { op(kSetItems); }
void PickleWriter::empty_list() { op(kEmptyList); }
void PickleWriter::append_items() { op(kAppends); }
void PickleWriter::none() { op(kNone); }
void PickleWriter::boolean(bool value) { op(value ? kNewTrue : kNewFalse); }

void PickleWriter::string(std::string_view utf8) {
    if (utf8.size() > 0xffffffffu) throw InvalidArgument("pickle: a string longer than 4 GiB");
    op(kBinUnicode);
    le(utf8.size(), 4);
    out_.insert(out_.end(), utf8.begin(), utf8.end());
}

void PickleWriter::integer(int64_t value) {
    // BININT1 and BININT2 are unsigned, BININT a signed 32-bit value; LONG1 the rest, as the fewest
    // little-endian two's-complement bytes that keep the sign.
    if (value >= 0 && value < 0x100) {
        op(kBinInt1);
        le(static_cast<uint64_t>(value), 1);
    } else if (value >= 0 && value < 0x10000) {
        op(kBinInt2);
        le(static_cast<uint64_t>(value), 2);
    } else if (value >= INT32_MIN && value <= INT32_MAX) {
        op(kBinInt);
        le(static_cast<uint64_t>(value), 4);
    } else {
        int n = 8;
        while (n > 1) {
            const int64_t shifted = value >> (8 * (n - 1) - 1);  // the top byte and the sign bit below it
            if (shifted != 0 && shifted != -1) break;
            --n;
        }
        op(kLong1);
        out_.push_back(static_cast<uint8_t>(n));
        le(static_cast<uint64_t>(value), n);
    }
}

std::vector<uint8_t> PickleWriter::finish() {
    op(kStop);
    return std::move(out_);
}

}  // namespace legolasflux::detail
