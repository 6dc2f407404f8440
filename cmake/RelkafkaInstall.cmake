# Installs the headers, relkafka and relkafka_testing as static and as shared
# libraries, a CMake package and pkg-config files.
#
# The in-tree targets are the static libraries. Their shared variants are
# linked from the same object files, so nothing is compiled twice. Both
# variants are exported as relkafka::relkafka and relkafka::testing, in two
# export sets; relkafkaConfig.cmake includes one of them.

include(CMakePackageConfigHelpers)

set(relkafka_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/relkafka)

# The shared variants are linked from these objects.
set_target_properties(relkafka relkafka_testing PROPERTIES POSITION_INDEPENDENT_CODE ON)
set_target_properties(relkafka_testing PROPERTIES EXPORT_NAME testing)

add_library(relkafka_shared SHARED $<TARGET_OBJECTS:relkafka>)
target_include_directories(relkafka_shared PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(relkafka_shared PUBLIC cxx_std_17)
# The shared libraries list their link dependencies again: keep them in step
# with relkafka's and relkafka_testing's. -z defs makes a missing one a link
# error here instead of in a user's program.
target_link_libraries(relkafka_shared
  PUBLIC RdKafka::rdkafka Threads::Threads
  PRIVATE fmt::fmt nlohmann_json::nlohmann_json)

add_library(relkafka_testing_shared SHARED $<TARGET_OBJECTS:relkafka_testing>)
target_link_libraries(relkafka_testing_shared
  PUBLIC relkafka_shared
  PRIVATE fmt::fmt)

set_target_properties(relkafka_shared PROPERTIES OUTPUT_NAME relkafka EXPORT_NAME relkafka)
set_target_properties(relkafka_testing_shared PROPERTIES OUTPUT_NAME relkafka_testing EXPORT_NAME testing)
foreach(target IN ITEMS relkafka_shared relkafka_testing_shared)
  # No ABI stability before 1.0: each minor release gets a new soname.
  set_target_properties(${target} PROPERTIES
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
  target_link_options(${target} PRIVATE LINKER:-z,defs)
endforeach()

install(DIRECTORY include/ ${PROJECT_BINARY_DIR}/include/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")

install(TARGETS relkafka relkafka_testing EXPORT relkafkaStaticTargets)
install(TARGETS relkafka_shared relkafka_testing_shared EXPORT relkafkaSharedTargets)
foreach(export IN ITEMS relkafkaStaticTargets relkafkaSharedTargets)
  install(EXPORT ${export} NAMESPACE relkafka:: DESTINATION ${relkafka_cmake_dir})
endforeach()

configure_package_config_file(cmake/relkafkaConfig.cmake.in relkafkaConfig.cmake
  INSTALL_DESTINATION ${relkafka_cmake_dir})
# Before 1.0, minor releases are incompatible.
write_basic_package_version_file(relkafkaConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/relkafkaConfig.cmake
    ${PROJECT_BINARY_DIR}/relkafkaConfigVersion.cmake
    cmake/FindRdKafka.cmake
  DESTINATION ${relkafka_cmake_dir})

# The .pc files find the prefix from their own location, so that they stay
# right after `cmake --install --prefix`, like the CMake package.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(relkafka_pc_prefix "${CMAKE_INSTALL_PREFIX}")
else()
  set(relkafka_pc_prefix /)
  cmake_path(RELATIVE_PATH relkafka_pc_prefix BASE_DIRECTORY "/${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  set(relkafka_pc_prefix "\${pcfiledir}/${relkafka_pc_prefix}")
endif()
foreach(dir IN ITEMS LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(relkafka_pc_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(relkafka_pc_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
foreach(pc IN ITEMS relkafka relkafka-testing)
  configure_file(cmake/${pc}.pc.in ${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
