# cli/: the meshnode program's command line, one file per command group.
bin_PROGRAMS += meshnode
meshnode_CFLAGS = $(AM_CFLAGS) $(UV_CFLAGS)
meshnode_LDADD = $(DAEMON_LIBS)
meshnode_SOURCES = \
	cli/main.c cli/cmd.h \
	cli/cmd_key.c \
	cli/cmd_wg.c
