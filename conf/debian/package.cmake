# The Debian package (./build.sh package): CPack's DEB generator over these install rules.
# Everything the package holds besides the binary lives in conf/debian/; the packaged
# /etc/tally/tally.conf is conf/tally.conf with the service's paths.
set(TALLY_DEB_DIR ${CMAKE_CURRENT_SOURCE_DIR}/conf/debian)
set(TALLY_DEB_OUT ${CMAKE_CURRENT_BINARY_DIR}/debian)
# A native package: the Tally authors are upstream and packager, so no Debian revision.
set(TALLY_DEB_VERSION "${PROJECT_VERSION}")

file(READ ${CMAKE_CURRENT_SOURCE_DIR}/conf/tally.conf conf_text)
foreach(pair "dir ./tally-data|dir /var/lib/tally"
             "logfile \"\"|logfile /var/log/tally/tally.log")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 from)
  list(GET pair 1 to)
  string(FIND "${conf_text}" "\n${from}\n" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "conf/tally.conf has no line '${from}' for the package to replace")
  endif()
  string(REPLACE "\n${from}\n" "\n${to}\n" conf_text "${conf_text}")
endforeach()
file(WRITE ${TALLY_DEB_OUT}/tally.conf "${conf_text}")
configure_file(${TALLY_DEB_DIR}/changelog ${TALLY_DEB_OUT}/changelog @ONLY)

# Debian wants the man page and the changelog gzip'ed, reproducibly (-n).
foreach(f tallyd.1 changelog)
  if(f STREQUAL "tallyd.1")
    set(src ${TALLY_DEB_DIR}/tallyd.1)
  else()
    set(src ${TALLY_DEB_OUT}/changelog)
  endif()
  add_custom_command(OUTPUT ${TALLY_DEB_OUT}/${f}.gz
                     COMMAND gzip -9n -c ${src} > ${TALLY_DEB_OUT}/${f}.gz
                     DEPENDS ${src} VERBATIM)
  list(APPEND deb_docs ${TALLY_DEB_OUT}/${f}.gz)
endforeach()
add_custom_target(tally_deb_docs ALL DEPENDS ${deb_docs})

install(TARGETS tallyd RUNTIME DESTINATION bin)
install(FILES ${TALLY_DEB_OUT}/tally.conf DESTINATION /etc/tally)
install(FILES ${TALLY_DEB_DIR}/tally.logrotate DESTINATION /etc/logrotate.d RENAME tally)
install(FILES ${TALLY_DEB_DIR}/tally.service DESTINATION /lib/systemd/system)
install(FILES ${TALLY_DEB_DIR}/sysusers.conf DESTINATION lib/sysusers.d RENAME tally.conf)
install(FILES ${TALLY_DEB_OUT}/tallyd.1.gz DESTINATION share/man/man1)
install(FILES ${TALLY_DEB_DIR}/copyright ${TALLY_DEB_OUT}/changelog.gz
        DESTINATION share/doc/tally)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tally)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "The Tally authors <tally@example.org>")
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "durable Redis-compatible counter store")
set(CPACK_PACKAGE_DESCRIPTION
    "Tally's tallyd speaks the Redis protocol, so redis-cli and the usual Redis
client libraries work with it unchanged, and serves counters over an HTTP API.
Every acknowledged write is on disk before its reply leaves the server: writes
from many clients share one fsync of Tally's own write-ahead log, applied to a
RocksDB store. The package runs it as the systemd service tally.service.")
# Dependencies from the shared libraries tallyd links (dpkg-shlibdeps), plus what the
# maintainer scripts and logrotate's postrotate call.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd | systemd-standalone-sysusers")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "redis-tools, logrotate")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${TALLY_DEB_DIR}/conffiles ${TALLY_DEB_DIR}/postinst ${TALLY_DEB_DIR}/prerm
    ${TALLY_DEB_DIR}/postrm)
include(CPack)
