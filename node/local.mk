# node/: the node core (sans-I/O) that joins the WireGuard core, the gossip
# core and (later) nat/ into one mesh node; the daemon (daemon/) and the
# simulator (sim/) drive the same code. The invite link codec, the one-port
# demultiplexer, paths, the node itself (node.h) and the join protocol.
libmncore_a_SOURCES += \
	node/invite_link.c node/invite_link.h \
	node/demux.c node/demux.h \
	node/path.c node/path.h \
	node/node.c node/node.h node/node_internal.h node/node_peer.c

check_PROGRAMS += tests/test_node
TESTS += tests/test_node
tests_test_node_CFLAGS = $(TEST_CFLAGS)
tests_test_node_LDADD = $(CORE_LIBS) $(TEST_LIBS)
# failmalloc (tests/wg/failmalloc.h): every allocation of the core and the tests
# goes through a wrapper that can fail the i-th one
tests_test_node_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc \
	-Wl,--wrap=free
tests_test_node_SOURCES = tests/check_main.c tests/check_main.h \
	tests/node/test_invite_link.c \
	tests/node/test_demux.c \
	tests/node/test_path.c \
	tests/node/node_net.h \
	tests/node/test_node.c \
	tests/node/test_node_paths.c \
	tests/node/test_node_failmalloc.c \
	tests/wg/failmalloc.c tests/wg/failmalloc.h \
	tests/vnet.h

# The join protocol (doc/join.md): messages, the admitter, the joiner.
libmncore_a_SOURCES += \
	node/join_wire.c node/join_wire.h \
	node/join_admit.c node/join.c node/join.h
tests_test_node_SOURCES += tests/node/test_join.c tests/node/test_join_wire.c
