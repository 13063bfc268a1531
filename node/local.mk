# node/: the node core (sans-I/O) that joins the WireGuard core, the gossip
# core and (later) nat/ into one mesh node; the daemon (daemon/) and the
# simulator (sim/) drive the same code. Empty until the mesh issue lands.
