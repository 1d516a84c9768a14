// SPDX-License-Identifier: GPL-2.0
/*
 * The program `make demo` profiles: a toy request loop that parses,
 * hashes and compresses, so the flame graph has a recognisable shape.
 * Usage: demo SECONDS
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) void keep(unsigned long x)
{
	sink = x;
}

__attribute__((noinline)) void parse_request(const char *req)
{
	unsigned long x = 0;

	for (int r = 0; r < 2000; r++)
		for (const char *c = req; *c; c++)
			x = x * 31 + (unsigned char)*c;
	keep(x);
}

__attribute__((noinline)) void hash_payload(void)
{
	unsigned long x = sink;

	for (int i = 0; i < 400000; i++)
		x = (x ^ (x >> 13)) * 0x9e3779b97f4a7c15UL;
	keep(x);
}

__attribute__((noinline)) void compress_response(void)
{
	unsigned long x = sink;

	for (int i = 0; i < 800000; i++)
		x = x * 6364136223846793005UL + (x >> 7);
	keep(x);
}

__attribute__((noinline)) void handle_request(const char *req)
{
	parse_request(req);
	hash_payload();
	compress_response();
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	struct timespec start, ts;
	const char *req = "GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n";

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		handle_request(req);
		clock_gettime(CLOCK_MONOTONIC, &ts);
	} while ((ts.tv_sec - start.tv_sec) + (ts.tv_nsec - start.tv_nsec) / 1e9 < secs);
	return 0;
}
