# node/: the WireGuard data plane core, the common base, and the daemon.
libmncore_a_SOURCES += \
	node/mn_err.c node/mn_err.h \
	node/mn_rng.c node/mn_rng.h \
	node/mn_addr.c node/mn_addr.h \
	node/allowedips.c node/allowedips.h \
	node/wg.c node/wg.h node/wg_internal.h \
	node/wg_crypto.c node/wg_crypto.h \
	node/wg_noise.c node/wg_cookie.c \
	node/wg_replay.c node/wg_replay.h \
	node/offload.c node/offload.h \
	node/wgkey.c node/wgkey.h \
	node/wgconf.c node/wgconf.h \
	node/uapi.c node/uapi.h \
	node/mn_time.h node/mn_wire.h

check_PROGRAMS += tests/test_node
TESTS += tests/test_node
tests_test_node_CFLAGS = $(TEST_CFLAGS)
tests_test_node_LDADD = $(CORE_LIBS) $(TEST_LIBS)
# failmalloc: malloc/calloc/realloc of the core and the tests go through a wrapper
# that can fail the i-th allocation (tests/node/failmalloc.h).
tests_test_node_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc
tests_test_node_SOURCES = tests/check_main.c tests/check_main.h tests/node/wg_fixture.h \
	tests/node/test_allowedips.c \
	tests/node/test_wgkey.c \
	tests/node/test_wgconf.c \
	tests/node/test_uapi.c \
	tests/node/failmalloc.c tests/node/failmalloc.h \
	tests/node/test_wg.c \
	tests/node/test_offload.c \
	tests/node/test_base.c

# The meshnode program: the real driver (libuv, TUN, rtnetlink, UDP, UAPI
# socket). Not in libmncore.a: the core never links libuv.
bin_PROGRAMS += meshnode
meshnode_CFLAGS = $(AM_CFLAGS) $(UV_CFLAGS)
meshnode_LDADD = $(CORE_LIBS) $(UV_LIBS)
meshnode_SOURCES = \
	node/main.c \
	node/driver.c node/driver.h \
	node/tun.c node/tun.h \
	node/netlink.c node/netlink.h \
	node/udp.c node/udp.h \
	node/uapi_server.c node/uapi_server.h
