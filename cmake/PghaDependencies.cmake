# How each dependency is found on Debian 12; ../shared/reference/deps.md has the reasons.
find_package(PkgConfig REQUIRED)   # gRPC finds re2 through pkg-config; httplib has only a .pc
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)    # the REST server checks client certificates itself
find_package(absl CONFIG REQUIRED)
find_package(Protobuf REQUIRED)    # Debian ships no protobuf-config.cmake: CMake's module
find_package(gRPC CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
if(NOT TARGET yaml-cpp::yaml-cpp)
  add_library(yaml-cpp::yaml-cpp ALIAS yaml-cpp)   # the namespaced name exists only from 0.8
endif()
find_package(nlohmann_json CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(PostgreSQL REQUIRED)  # libpq
find_package(Catch2 REQUIRED)

# httplib in Debian is a compiled library whose class layout depends on the feature macros in
# its .pc file; compiling without them links cleanly and corrupts memory at run time.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
add_library(httplib::httplib ALIAS PkgConfig::HTTPLIB)

# libzookeeper-mt ships neither a CMake config nor a .pc file.
find_path(ZOOKEEPER_INCLUDE_DIR zookeeper/zookeeper.h REQUIRED)
find_library(ZOOKEEPER_MT_LIBRARY zookeeper_mt REQUIRED)
add_library(zookeeper::zookeeper_mt UNKNOWN IMPORTED)
set_target_properties(zookeeper::zookeeper_mt PROPERTIES
  IMPORTED_LOCATION ${ZOOKEEPER_MT_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${ZOOKEEPER_INCLUDE_DIR}
  # Without THREADED the synchronous API (zoo_create, zoo_get, ...) is not declared.
  INTERFACE_COMPILE_DEFINITIONS THREADED)
