# node/: the node core (sans-I/O) that joins the WireGuard core, the gossip
# core and (later) nat/ into one mesh node; the daemon (daemon/) and the
# simulator (sim/) drive the same code. So far: the invite link codec and the
# one-port demultiplexer.
libmncore_a_SOURCES += \
	node/invite_link.c node/invite_link.h \
	node/demux.c node/demux.h

check_PROGRAMS += tests/test_node
TESTS += tests/test_node
tests_test_node_CFLAGS = $(TEST_CFLAGS)
tests_test_node_LDADD = $(CORE_LIBS) $(TEST_LIBS)
tests_test_node_SOURCES = tests/check_main.c tests/check_main.h \
	tests/node/test_invite_link.c \
	tests/node/test_demux.c

# The join protocol (doc/join.md): messages, the admitter, the joiner.
libmncore_a_SOURCES += \
	node/join_wire.c node/join_wire.h \
	node/join_admit.c node/join.c node/join.h
tests_test_node_SOURCES += tests/node/test_join.c tests/node/test_join_wire.c
