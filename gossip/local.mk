# gossip/ (see gossip/README.md): signed membership records, sealed control messages, SWIM with
# Lifeguard (dissemination, anti-entropy), the shared record table.
libmncore_a_SOURCES += \
	gossip/record.c gossip/record.h \
	gossip/seal.c gossip/seal.h \
	gossip/swim.c gossip/swim.h gossip/swim_internal.h \
	gossip/swim_scale.c gossip/swim_member.c gossip/swim_digest.c gossip/swim_susp.c \
	gossip/swim_dissem.c gossip/swim_wire.c gossip/swim_probe.c \
	gossip/swim_pp.c gossip/swim_tomb.c gossip/swim_trust.c gossip/swim_node.c \
	gossip/swim_orphan.c gossip/swim_ann.c gossip/swim_budget.c \
	gossip/rtab.c gossip/rtab.h \
	gossip/oatab.c gossip/oatab.h \
	gossip/annpool.c gossip/annpool.h

check_PROGRAMS += tests/test_gossip
TESTS += tests/test_gossip
tests_test_gossip_CFLAGS = $(TEST_CFLAGS)
tests_test_gossip_LDADD = $(CORE_LIBS) $(TEST_LIBS)
tests_test_gossip_SOURCES = tests/check_main.c tests/check_main.h \
	tests/gossip/gossip_fixture.h \
	tests/gossip/test_record.c \
	tests/gossip/test_rtab.c \
	tests/gossip/test_oatab.c \
	tests/gossip/test_seal.c \
	tests/gossip/test_swim.c \
	tests/gossip/test_trust.c \
	tests/gossip/test_swim_api.c \
	tests/gossip/test_slots.c \
	tests/vnet.h
EXTRA_DIST += gossip/README.md
