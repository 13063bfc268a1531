# store/: durable node state (LMDB, or the same interface in memory). It does
# I/O, so it is not part of the core: the daemon and the simulator link it.
noinst_LIBRARIES += libmnstore.a
libmnstore_a_SOURCES = store/store.c store/store.h \
	store/swim_persist.c store/swim_persist.h \
	store/mesh_meta.c store/mesh_meta.h
STORE_LIBS = libmnstore.a $(LMDB_LIBS)

check_PROGRAMS += tests/test_store
TESTS += tests/test_store
tests_test_store_CFLAGS = $(TEST_CFLAGS) $(LMDB_CFLAGS)
tests_test_store_LDADD = $(STORE_LIBS) $(CORE_LIBS) $(TEST_LIBS)
tests_test_store_SOURCES = tests/check_main.c tests/check_main.h \
	tests/store/storetest.c tests/store/storetest.h \
	tests/store/test_store.c \
	tests/store/test_swim_persist.c \
	tests/store/test_mesh_meta.c

EXTRA_DIST += store/README.md
