# gossip/: signed membership records (and, next, SWIM and dissemination).
libmncore_a_SOURCES += \
	gossip/record.c gossip/record.h

check_PROGRAMS += tests/test_gossip
TESTS += tests/test_gossip
tests_test_gossip_CFLAGS = $(TEST_CFLAGS)
tests_test_gossip_LDADD = $(CORE_LIBS) $(TEST_LIBS)
tests_test_gossip_SOURCES = tests/check_main.c tests/check_main.h \
	tests/gossip/test_record.c
