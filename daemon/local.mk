# daemon/: the I/O side: the libuv loop driver, UDP sockets, TUN, rtnetlink,
# the UAPI socket server, the OS random generator, endpoint resolution and
# one WireGuard interface run from a config (iface). Only the meshnode
# program links it; the core never links libuv.
noinst_LIBRARIES += libmndaemon.a
libmndaemon_a_CFLAGS = $(AM_CFLAGS) $(UV_CFLAGS)
libmndaemon_a_SOURCES = \
	daemon/driver.c daemon/driver.h daemon/driver_internal.h daemon/driver_routes.c \
	daemon/tun.c daemon/tun.h \
	daemon/netlink.c daemon/netlink.h \
	daemon/udp.c daemon/udp.h \
	daemon/uapi_server.c daemon/uapi_server.h \
	daemon/os_rng.c daemon/os_rng.h \
	daemon/resolve.c daemon/resolve.h \
	daemon/iface.c daemon/iface.h \
	daemon/control.c daemon/control.h \
	daemon/mesh_state.c daemon/mesh_state.h \
	daemon/driver_node.c daemon/driver_node.h \
	daemon/mesh_status.c daemon/mesh_status.h \
	daemon/mesh.c daemon/mesh.h \
	daemon/mesh_admit.c daemon/mesh_admit.h \
	daemon/mesh_invite.c daemon/mesh_invite.h \
	daemon/mesh_join.c daemon/mesh_join.h \
	daemon/mesh_lookup.c daemon/mesh_lookup.h \
	daemon/mesh_kick.c daemon/mesh_kick.h \
	daemon/mesh_root.c daemon/mesh_root.h \
	daemon/mesh_leave.c daemon/mesh_leave.h \
	daemon/mesh_admin.c daemon/mesh_admin.h \
	daemon/icmp_ping.c daemon/icmp_ping.h \
	daemon/root_backup.c daemon/root_backup.h
DAEMON_LIBS = libmndaemon.a $(STORE_LIBS) $(CORE_LIBS) $(UV_LIBS)

# The systemd unit: `meshnode up --foreground` on /var/lib/meshnode, its
# ExecStart pointing at the installed binary.
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = meshnode.service
meshnode.service: $(srcdir)/dist/meshnode.service.in Makefile
	$(AM_V_GEN)sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/dist/meshnode.service.in > $@
MOSTLYCLEANFILES = meshnode.service
EXTRA_DIST += dist/meshnode.service.in

check_PROGRAMS += tests/test_daemon
TESTS += tests/test_daemon
tests_test_daemon_CFLAGS = $(TEST_CFLAGS) $(UV_CFLAGS)
tests_test_daemon_LDADD = $(DAEMON_LIBS) $(TEST_LIBS)
tests_test_daemon_SOURCES = tests/check_main.c tests/check_main.h \
	tests/daemon/test_mesh_state.c \
	tests/daemon/test_icmp_ping.c \
	tests/daemon/test_mesh_peer.c \
	tests/daemon/test_root_backup.c

# A rogue member's forged admission, for tests/net/t_mesh_forge.sh (built
# with the tests, never installed).
check_PROGRAMS += tests/net/forge_admission
tests_net_forge_admission_CFLAGS = $(AM_CFLAGS) $(UV_CFLAGS)
tests_net_forge_admission_LDADD = $(DAEMON_LIBS)
tests_net_forge_admission_SOURCES = tests/net/forge_admission.c
