/* replay_atecc.h - secmodem-replay's ATECC608 mode (replay_atecc.c). */
#ifndef REPLAY_ATECC_H
#define REPLAY_ATECC_H
/* Decodes a file of captured packets; 0, or 2 on malformed input. */
int replay_atecc_file(const char *file, int json);
/* Prints the packet the library would send for argv[0] (args in argv[1..]). */
int replay_atecc_encode(int argc, char **argv);
#endif
