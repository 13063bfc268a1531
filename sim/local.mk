# sim/: the simulator engine (virtual clock, event queue, network model,
# scenarios, trace hash) and meshsim. libmnsim.a never touches libuv, a
# socket or a real clock; meshsim.c reads the clock only to report wall time.
# The swim core persists through store/swim_persist.c (one LMDB environment
# per node up to ~1,000 nodes), so every user of libmnsim.a links
# libmnstore.a and LMDB.
noinst_LIBRARIES += libmnsim.a
libmnsim_a_SOURCES = \
	sim/simcore.c sim/simcore.h \
	sim/evq.c sim/evq.h \
	sim/pool.c sim/pool.h \
	sim/net.c sim/net.h \
	sim/trace.c sim/trace.h \
	sim/stats.c sim/stats.h \
	sim/scn.c sim/scn.h \
	sim/sim.c sim/sim.h sim/sim_engine.h sim/sim_faults.c sim/sim_metrics.c \
	sim/demo_core.c sim/demo_core.h \
	sim/swim_core.c sim/swim_core.h sim/swim_core_params.c \
	sim/swim_core_node.h sim/swim_core_store.c sim/swim_core_rogue.c \
	gossip/swim_rogue.c gossip/swim_rogue.h \
	sim/swim_fixture.c sim/swim_fixture.h \
	sim/xmemo.c sim/xmemo.h \
	sim/mesh_core.c sim/mesh_core.h sim/mesh_core_node.h \
	sim/mesh_core_join.c sim/mesh_core_metrics.c
SIM_LIBS = libmnsim.a libmnstore.a $(LMDB_LIBS) $(CORE_LIBS)

bin_PROGRAMS += meshsim
meshsim_SOURCES = sim/meshsim.c
meshsim_LDADD = $(SIM_LIBS)

EXTRA_DIST += sim/README.md sim/scenarios

check_PROGRAMS += tests/test_sim
TESTS += tests/test_sim
tests_test_sim_CFLAGS = $(TEST_CFLAGS) -DSIM_SCENARIO_DIR='"$(abs_top_srcdir)/sim/scenarios"'
tests_test_sim_LDADD = $(SIM_LIBS) $(TEST_LIBS)
tests_test_sim_SOURCES = tests/check_main.c tests/check_main.h \
	tests/sim/simtest.c tests/sim/simtest.h \
	tests/sim/test_evq.c \
	tests/sim/test_pool.c \
	tests/sim/test_net.c \
	tests/sim/test_scn.c \
	tests/sim/test_engine.c \
	tests/sim/test_scenarios.c \
	tests/sim/test_swim_scenarios.c \
	tests/sim/test_swim_store.c \
	tests/sim/test_swim_revoke.c \
	tests/sim/test_mesh_scenarios.c

# simbench: the engine's own speed (event queue, null core); not a test.
noinst_PROGRAMS += simbench
simbench_SOURCES = sim/simbench.c
simbench_LDADD = $(SIM_LIBS)
