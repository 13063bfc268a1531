# sim/: (nothing yet)
