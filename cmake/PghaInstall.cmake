# `cmake --install` and the Debian packages (CPack), in two components:
#   daemon -> package pgha:        pgha, pghactl, pgha-fencer, systemd units, /etc/patroni templates
#   dev    -> package libpgha-dev: headers, static libraries, CMake package, pkg-config files,
#                                  the embedding examples' sources
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PGHA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pgha)

# Every library, exported as pgha::<name>. The short names are the ones embedders use.
set(pgha_exported_libraries
  pgha_base pgha_config pgha_dcs pgha_client
  pgha_fence pgha_postgres pgha_ha pgha_api libpgha
  etcd_proto pgha_etcd3_config pgha_etcd3
  pgha_zookeeper_config pgha_zookeeper
  pgha_consul_config pgha_consul
  pgha_backends)
set_target_properties(pgha_client PROPERTIES EXPORT_NAME client)
set_target_properties(libpgha PROPERTIES EXPORT_NAME core)
set_target_properties(pgha_etcd3 PROPERTIES EXPORT_NAME etcd3)
set_target_properties(pgha_zookeeper PROPERTIES EXPORT_NAME zookeeper)
set_target_properties(pgha_consul PROPERTIES EXPORT_NAME consul)
set_target_properties(pgha_backends PROPERTIES EXPORT_NAME backends)

install(TARGETS ${pgha_exported_libraries} EXPORT pghaTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY
    ${PROJECT_SOURCE_DIR}/libpgha/include/
    ${PROJECT_SOURCE_DIR}/dcs_backends/etcd3/include/
    ${PROJECT_SOURCE_DIR}/dcs_backends/zookeeper/include/
    ${PROJECT_SOURCE_DIR}/dcs_backends/consul/include/
    ${PROJECT_SOURCE_DIR}/dcs_backends/factory/include/
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev FILES_MATCHING PATTERN "*.h")
install(EXPORT pghaTargets NAMESPACE pgha:: DESTINATION ${PGHA_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/packaging/pghaConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/pghaConfig.cmake INSTALL_DESTINATION ${PGHA_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/pghaConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pghaConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/pghaConfigVersion.cmake
  DESTINATION ${PGHA_CMAKE_DIR} COMPONENT dev)
file(RELATIVE_PATH PGHA_PC_UP /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
foreach(pc pgha-client pgha-etcd3 pgha-zookeeper pgha-consul pgha-backends)
  configure_file(${PROJECT_SOURCE_DIR}/packaging/${pc}.pc.in ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/${pc}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endforeach()
install(FILES
    ${PROJECT_SOURCE_DIR}/examples/embed/CMakeLists.txt
    ${PROJECT_SOURCE_DIR}/examples/embed/Makefile
    ${PROJECT_SOURCE_DIR}/examples/embed/follow_cluster.cc
    ${PROJECT_SOURCE_DIR}/examples/embed/primary_writer.cc
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/libpgha-dev/examples/embed COMPONENT dev)

install(TARGETS pgha pghactl pgha-fencer RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT daemon)
install(FILES
    ${PROJECT_SOURCE_DIR}/packaging/systemd/pgha.service
    ${PROJECT_SOURCE_DIR}/packaging/systemd/pgha@.service
    ${PROJECT_SOURCE_DIR}/packaging/systemd/pgha-fencer@.service
  DESTINATION lib/systemd/system COMPONENT daemon)
# Templates in the form of Debian's patroni package; copied into /etc/patroni by the
# administrator, never by the package (see packaging/debian/postinst).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/etc/dcs.yml ${PROJECT_SOURCE_DIR}/packaging/etc/config.yml.in
  DESTINATION ${CMAKE_INSTALL_DATADIR}/pgha/etc COMPONENT daemon)
# /etc/patroni itself, empty, as Debian's patroni package has it (a directory two packages may
# both ship). Only in the packages: `cmake --install` into a prefix leaves /etc alone.
install(DIRECTORY DESTINATION /etc/patroni COMPONENT daemon EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/examples/haproxy/haproxy.cfg
  DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT daemon)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs COMPONENT daemon)

# Debian packages: `cpack -G DEB` in the build directory (tests/packaging checks them).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pgha)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPackDeb would put it before each package's own synopsis.
set(CPACK_PACKAGE_CONTACT "pgha developers <pgha-devel@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL daemon dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_DAEMON_PACKAGE_NAME pgha)
set(CPACK_DEBIAN_DAEMON_DESCRIPTION "high-availability PostgreSQL, a drop-in replacement for Patroni
pgha turns PostgreSQL servers into a self-healing cluster (automatic failover, switchover,
replica rebuild, pg_rewind, synchronous replication) through etcd, ZooKeeper or Consul. It
reads Patroni's patroni.yml and speaks Patroni's REST API and DCS layout; pghactl does what
patronictl does.")
# The shared libraries the binaries link (gRPC, Protobuf, Abseil, yaml-cpp, httplib, libpq,
# libzookeeper-mt, OpenSSL) come from dpkg-shlibdeps; the postgres user from postgresql-common.
set(CPACK_DEBIAN_DAEMON_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_DAEMON_PACKAGE_DEPENDS "postgresql-common")
set(CPACK_DEBIAN_DAEMON_PACKAGE_RECOMMENDS "postgresql")
set(CPACK_DEBIAN_DAEMON_PACKAGE_SUGGESTS "etcd-server | zookeeperd | consul, haproxy")
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_DAEMON_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libpgha-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION "pgha's C++ libraries: follow a PostgreSQL HA cluster from a service
pgha::client keeps the current primary and replicas of a Patroni or pgha cluster, driven by
the DCS's watch, and turns them into libpq connection strings. Static libraries, headers,
a CMake package (find_package(pgha)) and pkg-config files.")
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libabsl-dev, nlohmann-json3-dev, libyaml-cpp-dev, pkg-config, libgrpc++-dev, libprotobuf-dev, libzookeeper-mt-dev, libcpp-httplib-dev, libssl-dev, libpq-dev")
include(CPack)
