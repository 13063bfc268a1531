# bench/: benchmarks (README.md), not run in CI. mesh_fill writes the state
# directories of a synthetic network for mesh-idle.sh.
noinst_PROGRAMS += bench/mesh_fill
bench_mesh_fill_CFLAGS = $(AM_CFLAGS) $(UV_CFLAGS)
bench_mesh_fill_LDADD = $(DAEMON_LIBS)
bench_mesh_fill_SOURCES = bench/mesh_fill.c
