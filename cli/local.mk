# cli/: the meshnode program's command line, one file per command group.
# meshnode-wg (what wg-quick runs) is a symbolic link to meshnode: the
# program behaves by the name it was run as. The build makes the link beside
# the binary too, so tests find it without installing.
bin_PROGRAMS += meshnode
meshnode_CFLAGS = $(AM_CFLAGS) $(UV_CFLAGS) $(QRENCODE_CFLAGS)
meshnode_LDADD = $(DAEMON_LIBS) $(QRENCODE_LIBS)
meshnode_SOURCES = \
	cli/main.c cli/cmd.h \
	cli/cmd_key.c \
	cli/cmd_wg.c \
	cli/cmd_wg_userspace.c \
	cli/cmd_mesh.c cli/cmd_mesh.h \
	cli/cmd_join.c \
	cli/cmd_kick.c \
	cli/cmd_ping.c \
	cli/cmd_backup.c

all-local: meshnode-wg
meshnode-wg: meshnode$(EXEEXT)
	$(AM_V_GEN)ln -sf meshnode$(EXEEXT) $@
CLEANFILES = meshnode-wg

install-exec-hook:
	cd $(DESTDIR)$(bindir) && rm -f meshnode-wg$(EXEEXT) && \
		ln -s meshnode$(EXEEXT) meshnode-wg$(EXEEXT)
uninstall-hook:
	rm -f $(DESTDIR)$(bindir)/meshnode-wg$(EXEEXT)
