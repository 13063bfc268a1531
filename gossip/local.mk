# gossip/: (nothing yet)
