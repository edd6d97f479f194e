# Install rules: headers, libraries, the CLI, the CMake package (LegolasFluxConfig.cmake, its
# version file, the exported targets) and the pkg-config file. Included by the top-level
# CMakeLists.txt after every target exists. scripts/consumer.sh builds tests/consumer against the
# result.
include(CMakePackageConfigHelpers)

set(LEGOLASFLUX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/LegolasFlux)

# Public headers. The FlatBuffers code flatc generates is private to src/arrow/ipc (no public
# header includes it), so it is not installed. The torch adapter's headers need LibTorch: installed
# only with the adapter.
set(_legolasflux_header_excludes)
if(NOT TARGET legolasflux_torch)
  set(_legolasflux_header_excludes PATTERN torch EXCLUDE)
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/legolasflux
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT Development
  FILES_MATCHING PATTERN "*.hpp" ${_legolasflux_header_excludes})

# The core libraries, exported as LegolasFlux::arrow, LegolasFlux::legolas, LegolasFlux::model and
# the umbrella LegolasFlux::legolasflux (their include directory is in their INSTALL_INTERFACE).
# arrow and legolas have to be in the export set anyway (model links them); giving them the names of
# the in-tree aliases lets a consumer use the Arrow or Legolas layer alone.
install(TARGETS legolasflux_arrow legolasflux_legolas legolasflux_model legolasflux_umbrella
  EXPORT LegolasFluxTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Runtime NAMELINK_COMPONENT Development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)
install(EXPORT LegolasFluxTargets
  NAMESPACE LegolasFlux::
  DESTINATION ${LEGOLASFLUX_CMAKE_DIR}
  COMPONENT Development)

# The torch component: its own export set, so that LegolasFluxConfig.cmake looks for LibTorch only
# when a consumer asks for the component, and can tell that it was not built (no file).
if(TARGET legolasflux_torch)
  install(TARGETS legolasflux_torch
    EXPORT LegolasFluxTorchTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Runtime NAMELINK_COMPONENT Development
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)
  install(EXPORT LegolasFluxTorchTargets
    NAMESPACE LegolasFlux::
    DESTINATION ${LEGOLASFLUX_CMAKE_DIR}
    COMPONENT Development)
endif()

if(TARGET legolasflux)
  install(TARGETS legolasflux RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)
endif()
# The program `legolasflux convert` runs for .pt/.pth files, the only one that loads LibTorch:
# beside legolasflux, where it looks for it.
if(TARGET legolasflux-torch)
  install(TARGETS legolasflux-torch RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime)
endif()

# Static libraries pass their link dependencies on to consumers: LegolasFluxConfig.cmake then has
# to find them. Shared libraries carry them themselves. The libraries found with pkg-config are
# collected from the targets (every PkgConfig::legolasflux_* they link), so that a new one cannot be
# forgotten here: LEGOLASFLUX_PKGCONFIG_DEPS holds "prefix=module" pairs, e.g. legolasflux_lz4=liblz4.
get_target_property(_legolasflux_arrow_type legolasflux_arrow TYPE)
if(_legolasflux_arrow_type STREQUAL "STATIC_LIBRARY")
  set(LEGOLASFLUX_STATIC ON)
else()
  set(LEGOLASFLUX_STATIC OFF)
endif()
set(LEGOLASFLUX_PKGCONFIG_DEPS)
set(LEGOLASFLUX_PKGCONFIG_MODULES)
foreach(_legolasflux_target IN ITEMS legolasflux_arrow legolasflux_legolas legolasflux_model)
  get_target_property(_legolasflux_links ${_legolasflux_target} LINK_LIBRARIES)
  foreach(_legolasflux_link IN LISTS _legolasflux_links)
    if(_legolasflux_link MATCHES "^PkgConfig::(legolasflux_[A-Za-z0-9_]+)$")
      set(_legolasflux_prefix ${CMAKE_MATCH_1})
      if(NOT ${_legolasflux_prefix}_MODULE_NAME)
        message(FATAL_ERROR "${_legolasflux_target} links PkgConfig::${_legolasflux_prefix}, which was not "
                            "made by pkg_check_modules(${_legolasflux_prefix} IMPORTED_TARGET <one module>)")
      endif()
      list(APPEND LEGOLASFLUX_PKGCONFIG_DEPS "${_legolasflux_prefix}=${${_legolasflux_prefix}_MODULE_NAME}")
      list(APPEND LEGOLASFLUX_PKGCONFIG_MODULES ${${_legolasflux_prefix}_MODULE_NAME})
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES LEGOLASFLUX_PKGCONFIG_DEPS)
list(REMOVE_DUPLICATES LEGOLASFLUX_PKGCONFIG_MODULES)

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/LegolasFluxConfig.cmake.in
  ${PROJECT_BINARY_DIR}/LegolasFluxConfig.cmake
  INSTALL_DESTINATION ${LEGOLASFLUX_CMAKE_DIR}
  NO_CHECK_REQUIRED_COMPONENTS_MACRO)

# Compatibility: before 1.0 every minor release may change the API and the ABI (the libraries'
# SOVERSION is MAJOR.MINOR for the same reason), so a request for 0.1 is met by 0.1.x only —
# SameMinorVersion. From 1.0 on, the usual promise: same major version.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_legolasflux_compatibility SameMinorVersion)
else()
  set(_legolasflux_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/LegolasFluxConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${_legolasflux_compatibility})

install(FILES
  ${PROJECT_BINARY_DIR}/LegolasFluxConfig.cmake
  ${PROJECT_BINARY_DIR}/LegolasFluxConfigVersion.cmake
  DESTINATION ${LEGOLASFLUX_CMAKE_DIR}
  COMPONENT Development)

# pkg-config: the core library (with the Arrow and Legolas layers it needs), not the torch adapter
# (LibTorch has no pkg-config file to require). The prefix is found from the .pc file's own
# location, so that `cmake --install --prefix ANYWHERE` and moved trees work.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(LEGOLASFLUX_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(LEGOLASFLUX_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(LEGOLASFLUX_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH _legolasflux_pc_up "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" _legolasflux_pc_up "${_legolasflux_pc_up}")
  set(LEGOLASFLUX_PC_PREFIX "\${pcfiledir}/${_legolasflux_pc_up}")
  set(LEGOLASFLUX_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(LEGOLASFLUX_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# With static libraries, `pkg-config --libs` (without --static) must still name LZ4, ZSTD, … or the
# link fails: they are plain Requires then. With shared libraries they are only needed for a fully
# static link: Requires.private.
list(JOIN LEGOLASFLUX_PKGCONFIG_MODULES " " _legolasflux_pc_modules)
if(LEGOLASFLUX_STATIC)
  set(LEGOLASFLUX_PC_REQUIRES "Requires: ${_legolasflux_pc_modules}")
else()
  set(LEGOLASFLUX_PC_REQUIRES "Requires.private: ${_legolasflux_pc_modules}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/legolasflux.pc.in ${PROJECT_BINARY_DIR}/legolasflux.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/legolasflux.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT Development)
