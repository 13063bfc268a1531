# base/: the ground floor every layer uses (errors, time, seeded randomness,
# addresses and prefixes, wire byte order). It includes nothing of ours.
libmncore_a_SOURCES += \
	base/mn_err.c base/mn_err.h \
	base/mn_rng.c base/mn_rng.h \
	base/mn_addr.c base/mn_addr.h \
	base/mn_time.h base/mn_wire.h base/mn_bits.h

check_PROGRAMS += tests/test_base
TESTS += tests/test_base
tests_test_base_CFLAGS = $(TEST_CFLAGS)
tests_test_base_LDADD = $(CORE_LIBS) $(TEST_LIBS)
tests_test_base_SOURCES = tests/check_main.c tests/check_main.h \
	tests/base/test_base.c
