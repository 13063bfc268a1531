# fuzz/: libFuzzer targets, built with ./configure --enable-fuzz CC=clang.
FUZZER_FLAGS = -fsanitize=fuzzer,address,undefined -g
# Targets that restore snapshots (fuzz_snap.h) route the allocator through it.
SNAP_WRAP = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free

if FUZZ
noinst_PROGRAMS += fuzz/fuzz_wg_recv
fuzz_fuzz_wg_recv_SOURCES = fuzz/fuzz_wg_recv.c fuzz/fuzz_memo.c fuzz/fuzz_snap.c fuzz/fuzz_snap.h
fuzz_fuzz_wg_recv_CFLAGS = $(AM_CFLAGS) $(FUZZER_FLAGS)
fuzz_fuzz_wg_recv_LDFLAGS = $(FUZZER_FLAGS) $(SNAP_WRAP)
fuzz_fuzz_wg_recv_LDADD = $(CORE_LIBS)

noinst_PROGRAMS += fuzz/fuzz_wgconf
fuzz_fuzz_wgconf_SOURCES = fuzz/fuzz_wgconf.c
fuzz_fuzz_wgconf_CFLAGS = $(AM_CFLAGS) $(FUZZER_FLAGS)
fuzz_fuzz_wgconf_LDFLAGS = $(FUZZER_FLAGS)
fuzz_fuzz_wgconf_LDADD = $(CORE_LIBS)

noinst_PROGRAMS += fuzz/fuzz_uapi
fuzz_fuzz_uapi_SOURCES = fuzz/fuzz_uapi.c fuzz/fuzz_memo.c fuzz/fuzz_snap.c fuzz/fuzz_snap.h
fuzz_fuzz_uapi_CFLAGS = $(AM_CFLAGS) $(FUZZER_FLAGS)
fuzz_fuzz_uapi_LDFLAGS = $(FUZZER_FLAGS) $(SNAP_WRAP)
fuzz_fuzz_uapi_LDADD = $(CORE_LIBS)

noinst_PROGRAMS += fuzz/fuzz_record
fuzz_fuzz_record_SOURCES = fuzz/fuzz_record.c
fuzz_fuzz_record_CFLAGS = $(AM_CFLAGS) $(FUZZER_FLAGS)
fuzz_fuzz_record_LDFLAGS = $(FUZZER_FLAGS)
fuzz_fuzz_record_LDADD = $(CORE_LIBS)

noinst_PROGRAMS += fuzz/fuzz_gossip
fuzz_fuzz_gossip_SOURCES = fuzz/fuzz_gossip.c fuzz/fuzz_memo.c fuzz/fuzz_snap.c fuzz/fuzz_snap.h
fuzz_fuzz_gossip_CFLAGS = $(AM_CFLAGS) $(FUZZER_FLAGS)
fuzz_fuzz_gossip_LDFLAGS = $(FUZZER_FLAGS) $(SNAP_WRAP)
fuzz_fuzz_gossip_LDADD = $(CORE_LIBS)

noinst_PROGRAMS += fuzz/fuzz_gro
fuzz_fuzz_gro_SOURCES = fuzz/fuzz_gro.c
fuzz_fuzz_gro_CFLAGS = $(AM_CFLAGS) $(FUZZER_FLAGS)
fuzz_fuzz_gro_LDFLAGS = $(FUZZER_FLAGS)
fuzz_fuzz_gro_LDADD = $(CORE_LIBS)
endif

if FUZZ
noinst_PROGRAMS += fuzz/fuzz_invite_link
fuzz_fuzz_invite_link_SOURCES = fuzz/fuzz_invite_link.c
fuzz_fuzz_invite_link_CFLAGS = $(AM_CFLAGS) $(FUZZER_FLAGS)
fuzz_fuzz_invite_link_LDFLAGS = $(FUZZER_FLAGS)
fuzz_fuzz_invite_link_LDADD = $(CORE_LIBS)
endif

if FUZZ
noinst_PROGRAMS += fuzz/fuzz_join
fuzz_fuzz_join_SOURCES = fuzz/fuzz_join.c fuzz/fuzz_snap.c fuzz/fuzz_snap.h
fuzz_fuzz_join_CFLAGS = $(AM_CFLAGS) $(FUZZER_FLAGS)
fuzz_fuzz_join_LDFLAGS = $(FUZZER_FLAGS) $(SNAP_WRAP)
fuzz_fuzz_join_LDADD = $(CORE_LIBS)
endif
