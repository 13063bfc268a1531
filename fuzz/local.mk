# fuzz/: libFuzzer targets, built with ./configure --enable-fuzz CC=clang.
FUZZER_FLAGS = -fsanitize=fuzzer,address,undefined -g
