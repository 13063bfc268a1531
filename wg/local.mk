# wg/: the WireGuard core (sans-I/O): the protocol, AllowedIPs, TUN offload
# segmentation and coalescing, and the WireGuard compatibility codecs
# (wg-quick configs, keys, the UAPI text protocol).
libmncore_a_SOURCES += \
	wg/allowedips.c wg/allowedips.h \
	wg/wg.c wg/wg.h wg/wg_internal.h \
	wg/wg_peer.c wg/wg_peer.h \
	wg/wg_index.c wg/wg_index.h \
	wg/wg_timers.c wg/wg_timers.h \
	wg/wg_timerq.c wg/wg_timerq.h \
	wg/wg_send.c wg/wg_send.h \
	wg/wg_receive.c \
	wg/wg_ratelimit.c wg/wg_ratelimit.h \
	wg/wg_crypto.c wg/wg_crypto.h \
	wg/wg_noise.c wg/wg_noise.h \
	wg/wg_cookie.c wg/wg_cookie.h \
	wg/wg_replay.c wg/wg_replay.h \
	wg/offload.c wg/offload.h \
	wg/wgkey.c wg/wgkey.h \
	wg/wgconf.c wg/wgconf.h \
	wg/uapi.c wg/uapi.h

check_PROGRAMS += tests/test_wg
TESTS += tests/test_wg
tests_test_wg_CFLAGS = $(TEST_CFLAGS)
tests_test_wg_LDADD = $(CORE_LIBS) $(TEST_LIBS)
# failmalloc: malloc/calloc/realloc/free of the core and the tests go through a wrapper
# that can fail the i-th allocation (tests/wg/failmalloc.h).
tests_test_wg_LDFLAGS = $(AM_LDFLAGS) -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc \
	-Wl,--wrap=free
tests_test_wg_SOURCES = tests/check_main.c tests/check_main.h tests/wg/wg_fixture.h \
	tests/wg/test_allowedips.c \
	tests/wg/test_wgkey.c \
	tests/wg/test_wgconf.c \
	tests/wg/test_uapi.c \
	tests/wg/test_uapi_locked.c \
	tests/wg/failmalloc.c tests/wg/failmalloc.h \
	tests/wg/test_wg.c tests/wg/wg_pair.h \
	tests/wg/test_wg_limits.c \
	tests/wg/test_wg_ratelimit.c \
	tests/wg/test_wg_scale.c \
	tests/wg/test_wg_failmalloc.c \
	tests/wg/test_offload.c
