# daemon/: the I/O side: the libuv loop driver, UDP sockets, TUN, rtnetlink,
# the UAPI socket server, the OS random generator, endpoint resolution and
# one WireGuard interface run from a config (iface). Only the meshnode
# program links it; the core never links libuv.
noinst_LIBRARIES += libmndaemon.a
libmndaemon_a_CFLAGS = $(AM_CFLAGS) $(UV_CFLAGS)
libmndaemon_a_SOURCES = \
	daemon/driver.c daemon/driver.h \
	daemon/tun.c daemon/tun.h \
	daemon/netlink.c daemon/netlink.h \
	daemon/udp.c daemon/udp.h \
	daemon/uapi_server.c daemon/uapi_server.h \
	daemon/os_rng.c daemon/os_rng.h \
	daemon/resolve.c daemon/resolve.h \
	daemon/iface.c daemon/iface.h
DAEMON_LIBS = libmndaemon.a $(CORE_LIBS) $(UV_LIBS)
