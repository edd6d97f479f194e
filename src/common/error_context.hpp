// Error messages that say where (private to the library): a file's path, a message's index.
#pragma once

#include <string>

#include "legolasflux/errors.hpp"

namespace legolasflux::common {

// Runs `f`; an error of ours about the input (FormatError, CorruptionError, UnsupportedError,
// SchemaError, InvalidArgument) is rethrown with `context` and ": " before its message, as that
// type: a subclass of those other than CorruptionError (Legolas' UnknownSchemaVersionError,
// CheckConstraintError) would lose its own, so `f` is an Arrow read, which throws none. I/O errors
// already name their file and pass unchanged.
template <class F>
auto with_context(const std::string& context, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const CorruptionError& e) {
        throw CorruptionError(context + ": " + e.what());
    } catch (const FormatError& e) {
        throw FormatError(context + ": " + e.what());
    } catch (const UnsupportedError& e) {
        throw UnsupportedError(context + ": " + e.what());
    } catch (const SchemaError& e) {
        throw SchemaError(context + ": " + e.what());
    } catch (const InvalidArgument& e) {
        throw InvalidArgument(context + ": " + e.what());
    }
}

}  // namespace legolasflux::common
