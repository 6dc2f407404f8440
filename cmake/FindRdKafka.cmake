# FindRdKafka
# -----------
# Finds librdkafka's C library. Debian ships only pkg-config files for it, so
# this module asks pkg-config first and falls back to a plain header/library
# search.
#
# Provides the imported target RdKafka::rdkafka and the variables
# RdKafka_FOUND, RdKafka_VERSION, RdKafka_INCLUDE_DIRS, RdKafka_LIBRARIES.

find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_RdKafka QUIET rdkafka)
endif()

find_path(RdKafka_INCLUDE_DIR
  NAMES librdkafka/rdkafka.h
  HINTS ${PC_RdKafka_INCLUDE_DIRS})
find_library(RdKafka_LIBRARY
  NAMES rdkafka
  HINTS ${PC_RdKafka_LIBRARY_DIRS})

set(RdKafka_VERSION "${PC_RdKafka_VERSION}")
if(NOT RdKafka_VERSION AND RdKafka_INCLUDE_DIR)
  file(STRINGS "${RdKafka_INCLUDE_DIR}/librdkafka/rdkafka.h" _rdkafka_version_line
       REGEX "^#define RD_KAFKA_VERSION +0x[0-9a-fA-F]+")
  if(_rdkafka_version_line MATCHES "0x([0-9a-fA-F][0-9a-fA-F])([0-9a-fA-F][0-9a-fA-F])([0-9a-fA-F][0-9a-fA-F])")
    math(EXPR _major "0x${CMAKE_MATCH_1}")
    math(EXPR _minor "0x${CMAKE_MATCH_2}")
    math(EXPR _patch "0x${CMAKE_MATCH_3}")
    set(RdKafka_VERSION "${_major}.${_minor}.${_patch}")
  endif()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(RdKafka
  REQUIRED_VARS RdKafka_LIBRARY RdKafka_INCLUDE_DIR
  VERSION_VAR RdKafka_VERSION)

if(RdKafka_FOUND AND NOT TARGET RdKafka::rdkafka)
  add_library(RdKafka::rdkafka UNKNOWN IMPORTED)
  set_target_properties(RdKafka::rdkafka PROPERTIES
    IMPORTED_LOCATION "${RdKafka_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${RdKafka_INCLUDE_DIR}")
endif()

set(RdKafka_INCLUDE_DIRS "${RdKafka_INCLUDE_DIR}")
set(RdKafka_LIBRARIES "${RdKafka_LIBRARY}")
mark_as_advanced(RdKafka_INCLUDE_DIR RdKafka_LIBRARY)
