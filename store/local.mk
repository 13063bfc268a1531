# store/: (nothing yet)
