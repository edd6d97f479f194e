// The pickle opcodes torch.save's protocol 2 uses, appended one call at a time (Python's
// Lib/pickletools.py documents each). Only what torch 1.13's weights_only unpickler also reads:
// no floats (BINFLOAT), no bytes, strings as BINUNICODE. No memo: every object is written where it
// is used. Private to the model layer: torch_save.cpp writes data.pkl with it.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace legolasflux::detail {

class PickleWriter {
public:
    PickleWriter();  // PROTO 2

    void global(std::string_view module, std::string_view name);  // GLOBAL "module\nname\n"
    void mark();                                                  // MARK
    void tuple();                                                 // TUPLE: the items since the mark
    void reduce();                                                // REDUCE: callable(*args)
    void persistent_id();                                         // BINPERSID: the tuple on the stack
    void empty_dict();                                            // EMPTY_DICT
    void set_items();                                             // SETITEMS: key, value pairs since the mark
    void empty_list();                                            // EMPTY_LIST
    void append_items();                                          // APPENDS: items since the mark
    void string(std::string_view utf8);                           // BINUNICODE
    void integer(int64_t value);                                  // BININT1/BININT2/BININT/LONG1
    void boolean(bool value);                                     // NEWTRUE/NEWFALSE
    void none();                                                  // NONE

    // STOP, and the bytes.
    std::vector<uint8_t> finish();

private:
    std::vector<uint8_t> out_;
    void op(uint8_t code) { out_.push_back(code); }
    void le(uint64_t value, int bytes);
};

}  // namespace legolasflux::detail
