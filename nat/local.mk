# nat/: the NAT traversal core (nothing yet; nat/README.md)
