# nat/: (nothing yet)
