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
	node/mn_time.h node/mn_wire.h

check_PROGRAMS += tests/test_node
TESTS += tests/test_node
tests_test_node_CFLAGS = $(TEST_CFLAGS)
tests_test_node_LDADD = $(CORE_LIBS) $(TEST_LIBS)
tests_test_node_SOURCES = tests/check_main.c tests/check_main.h tests/node/wg_fixture.h \
	tests/node/test_allowedips.c \
	tests/node/test_wg.c \
	tests/node/test_offload.c \
	tests/node/test_base.c
