// The exceptions every layer of LegolasFlux throws. One small hierarchy, so callers can tell a
// corrupt file from a schema violation from a disk failure:
//
//   Error                 base of everything below; catch it to catch all of ours
//   ├─ FormatError        bytes that do not follow the format (truncated, corrupt, inconsistent)
//   │  └─ CorruptionError a checksum or other integrity check failed
//   ├─ SchemaError        a well-formed table that does not follow a declared schema
//   ├─ ShapeError         weights that do not fit a model (count, shape, name)
//   ├─ IoError            the operating system refused (path and the system's message included)
//   ├─ UnsupportedError   valid input using a feature this library does not implement
//   └─ InvalidArgument    a caller passed something that cannot be used
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

namespace legolasflux {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class FormatError : public Error {
public:
    using Error::Error;
};

class CorruptionError : public FormatError {
public:
    using FormatError::FormatError;
};

class SchemaError : public Error {
public:
    using Error::Error;
};

class ShapeError : public Error {
public:
    using Error::Error;
};

class IoError : public Error {
public:
    IoError(const std::filesystem::path& path, const std::string& what)
        : Error(path.string() + ": " + what), path_(path) {}
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

class UnsupportedError : public Error {
public:
    using Error::Error;
};

class InvalidArgument : public Error {
public:
    using Error::Error;
};

}  // namespace legolasflux
